"""How the reliability suites reach labguide and the sandbox: the engine in
this process, or the `labguide` command as a child process with `--aws` and
AWS_ENDPOINT_URL pointing at the sandbox."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from labguide.aws.clients import Clients
from labguide.catalog.models import Catalog
from labguide.engine.session import LabSession
from labguide.sandbox import ACCESS_KEY_ID, SECRET_ACCESS_KEY, Sandbox, control
from labguide.sandbox.daemon import SandboxInfo

REGION = "us-east-1"
EMAIL = "learner@example.com"


def info(sandbox: Sandbox) -> SandboxInfo:
    """The sandbox as the control API's client wants it."""
    return SandboxInfo(os.getpid(), "127.0.0.1", sandbox.port, "")


def confirm_email(sandbox: Sandbox) -> None:
    """Clicks the link of every pending subscription e-mail."""
    control(info(sandbox), "/confirm-email", {})


def open_session(
    sandbox: Sandbox,
    catalog: Catalog,
    state_dir: Path,
    participant: str | None,
    email: str | None = EMAIL,
) -> LabSession:
    """A session on the sandbox as the CLI opens one (its attempts, polls)."""
    target = sandbox.target(REGION)
    return LabSession.open(
        catalog,
        Clients(target),
        state_dir,
        participant=participant,
        email=email,
        poll_seconds=0.05,
        wait_seconds=30,
        account_label="sandbox",
    )


def cli_env(sandbox: Sandbox, home: Path, **extra: str) -> dict[str, str]:
    """The environment of a `labguide ... --aws` child reaching `sandbox` as
    an AWS endpoint, with no profile or credentials file of the user's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "LABGUIDE_"))
    }
    env.update(
        LABGUIDE_HOME=str(home),
        AWS_ENDPOINT_URL=sandbox.endpoint_url,
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_CONFIG_FILE=str(home / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        LABGUIDE_POLL_SECONDS="0.05",
        LABGUIDE_WAIT_SECONDS="30",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def labguide_command(*args: str) -> list[str]:
    """The `labguide` command line, run by this interpreter."""
    return [sys.executable, "-m", "labguide", *args]
