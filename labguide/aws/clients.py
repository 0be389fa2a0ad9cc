"""Clients from one place: one boto3 session, made up front, shared by threads.

boto3 clients are thread-safe but sessions are not, so the session is built
once and each client once (under a lock); workers then share the clients.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from labguide.aws.errors import explain
from labguide.aws.target import Target
from labguide.errors import LabguideError

log = logging.getLogger(__name__)

SERVICES = (
    "autoscaling",
    "backup",
    "cloudtrail",
    "cloudwatch",
    "ec2",
    "elbv2",
    "iam",
    "logs",
    "resourcegroupstaggingapi",
    "sns",
    "ssm",
    "sts",
)


@dataclass(frozen=True)
class Identity:
    """Who the calls run as: shown before anything is created or deleted."""

    account: str
    arn: str
    user_id: str

    @property
    def caller(self) -> str:
        """The caller's name: the last part of its ARN."""
        return self.arn.rsplit("/", 1)[-1] if "/" in self.arn else self.arn


AWS_ATTEMPTS = 5
"""Attempts per call against AWS (standard retry mode's budget)."""
SANDBOX_ATTEMPTS = 10
"""Attempts per call against the sandbox. Its faults (drills, the reliability
tests) strike up to a third of all calls on purpose: with three attempts one
call in forty would fail outright at that rate, and a lab makes hundreds;
with ten, fewer than one in a hundred thousand. Only injected faults use
them: the sandbox answers every action the lab makes."""


def default_attempts(target: Target) -> int:
    """The attempts per call suited to `target`."""
    return SANDBOX_ATTEMPTS if target.is_sandbox else AWS_ATTEMPTS


def _env_attempts(default: int) -> int:
    value = os.environ.get("AWS_MAX_ATTEMPTS", "")
    return int(value) if value.isdigit() and int(value) > 0 else default


class Clients:
    """boto3 clients for one target, with standard retries and a call count.

    Args:
        target: where the calls go.
        max_attempts: attempts per call (standard retry mode's budget); None
            takes the target's default (`default_attempts`).
    """

    def __init__(self, target: Target, max_attempts: int | None = None) -> None:
        self.target = target
        # A learner's own AWS_MAX_ATTEMPTS wins, as it does in the AWS CLI.
        max_attempts = _env_attempts(
            default_attempts(target) if max_attempts is None else max_attempts
        )
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._clients: dict[str, Any] = {}
        self._config = Config(
            retries={"mode": "standard", "max_attempts": max_attempts},
            connect_timeout=10,
            read_timeout=60,
            max_pool_connections=32,
            user_agent_extra="labguide",
        )
        try:
            if target.kind == "sandbox":
                self._session = boto3.Session(
                    aws_access_key_id=target.access_key_id,
                    aws_secret_access_key=target.secret_access_key,
                    region_name=target.region,
                )
            else:
                self._session = boto3.Session(
                    profile_name=target.profile, region_name=target.region
                )
        except (BotoCoreError, ClientError) as error:
            raise self._explained(error) from None
        self._session.events.register("before-call", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1

    @property
    def total_calls(self) -> int:
        """How many API calls were made through these clients."""
        return sum(self.calls.values())

    def __getattr__(self, service: str) -> Any:
        if service not in SERVICES:
            raise AttributeError(service)
        return self.client(service)

    def client(self, service: str) -> Any:
        """The client for `service`, made once."""
        with self._lock:
            client = self._clients.get(service)
            if client is None:
                try:
                    client = self._session.client(
                        service,  # type: ignore[call-overload]
                        endpoint_url=self.target.endpoint_url,
                        config=self._config,
                    )
                except (BotoCoreError, ClientError) as error:
                    raise self._explained(error) from None
                self._clients[service] = client
            return client

    def identity(self) -> Identity:
        """The account and caller, from STS.

        Raises:
            LabguideError: credentials are missing, expired or refused.
        """
        try:
            answer = self.client("sts").get_caller_identity()
        except (BotoCoreError, ClientError) as error:
            raise self._explained(error) from None
        except RuntimeError as error:
            # Refreshable credentials that come back expired raise this.
            explained = explain(error, self.target.profile)
            if explained is None:
                raise
            raise explained from None
        return Identity(
            account=str(answer["Account"]),
            arn=str(answer["Arn"]),
            user_id=str(answer["UserId"]),
        )

    def _explained(self, error: BaseException) -> LabguideError:
        explained = explain(error, self.target.profile)
        if explained is not None:
            return explained
        return LabguideError(f"AWS call failed: {error}")
