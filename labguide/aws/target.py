"""Where the lab runs: the sandbox or an AWS account, as one description.

The engine reaches either one over HTTP through boto3, the same way; a
`Target` only says which endpoint, region and credentials to use, and how an
HTTP request for the ALB's DNS name reaches the load balancer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

SANDBOX_ACCOUNT_LABEL = "sandbox"


@dataclass(frozen=True)
class WebRoute:
    """Where HTTP requests for a load balancer's DNS name are sent.

    Real AWS needs none: the name resolves through DNS. The sandbox answers
    such requests itself, so they go to its endpoint with the DNS name kept
    in the Host header (as `curl --connect-to` does).
    """

    host: str
    port: int


@dataclass(frozen=True)
class Target:
    """The endpoint, region and credentials the lab runs against."""

    kind: Literal["sandbox", "aws"]
    """The built-in sandbox, or AWS (or any AWS-compatible endpoint)."""
    region: str
    """The region the lab runs in."""
    profile: str | None = None
    """An AWS profile name (AWS only); None uses the default credential chain."""
    endpoint_url: str | None = None
    """An endpoint that replaces AWS's (the sandbox's; or AWS_ENDPOINT_URL)."""
    web_route: WebRoute | None = None
    """How a request for the ALB's DNS name is reached (the sandbox's)."""
    access_key_id: str | None = None
    """Fixed, non-secret keys for the sandbox only; never set for AWS."""
    secret_access_key: str | None = None
    """Fixed, non-secret keys for the sandbox only; never set for AWS."""

    @property
    def is_sandbox(self) -> bool:
        """Whether this is the built-in sandbox (only for labels and safety
        prompts: the engine behaves the same against both)."""
        return self.kind == "sandbox"

    def plain_clients(self, max_attempts: int = 5) -> Callable[[str], Any]:
        """A factory of bare boto3 clients for this endpoint, each made on
        first use: for code that acts on the lab from outside the engine
        (the sandbox's drills, tests looking at what the engine did), without
        the engine's call counting and error translation.

        Args:
            max_attempts: boto3's attempts per call (standard retry mode).
        """
        import boto3
        from botocore.config import Config

        config = Config(retries={"mode": "standard", "max_attempts": max_attempts})
        made: dict[str, Any] = {}

        def client(service: str) -> Any:
            if service not in made:
                made[service] = boto3.client(
                    service,  # type: ignore[call-overload]
                    region_name=self.region,
                    endpoint_url=self.endpoint_url,
                    aws_access_key_id=self.access_key_id,
                    aws_secret_access_key=self.secret_access_key,
                    config=config,
                )
            return made[service]

        return client
