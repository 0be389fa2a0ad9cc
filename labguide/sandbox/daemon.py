"""The user's sandbox: one detached `labguide sandbox serve` process.

`labguide sandbox serve` writes `server.json` (pid, port, endpoint) in
`labguide.locations.sandbox_dir()` once it listens, and removes it when it
stops. `ensure_running()` reads that file and asks the sandbox for its status;
if none answers, it starts a detached one (its own session, so it outlives
the labguide that started it) and waits until it answers. A lock file keeps
two labguides from starting two sandboxes at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labguide.aws.target import Target, WebRoute
from labguide.sandbox.config import CONTROL_PREFIX

SERVER_FILE = "server.json"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


@dataclass(frozen=True)
class SandboxInfo:
    """A running sandbox process, as its server file describes it."""

    pid: int
    host: str
    port: int
    state_dir: str

    @property
    def endpoint_url(self) -> str:
        """The sandbox's endpoint."""
        return f"http://{self.host}:{self.port}"

    def target(self, region: str) -> Target:
        """How to reach it in `region`."""
        from labguide.sandbox.server import sandbox_target

        return sandbox_target(self.host, self.port, region)


def _directory() -> Path:
    from labguide.locations import sandbox_dir

    return sandbox_dir()


def write_server_file(directory: Path, info: SandboxInfo) -> None:
    """Records a running sandbox (called by `labguide sandbox serve`)."""
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / (SERVER_FILE + ".tmp")
    temporary.write_text(json.dumps(info.__dict__))
    os.replace(temporary, directory / SERVER_FILE)


def remove_server_file(directory: Path, pid: int) -> None:
    """Forgets a sandbox that stopped, if the file is still its own."""
    path = directory / SERVER_FILE
    info = _read(path)
    if info is not None and info.pid == pid:
        path.unlink(missing_ok=True)


def _read(path: Path) -> SandboxInfo | None:
    try:
        data = json.loads(path.read_text())
        return SandboxInfo(
            int(data["pid"]),
            str(data["host"]),
            int(data["port"]),
            str(data["state_dir"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def control(
    info: SandboxInfo,
    path: str,
    payload: dict[str, Any] | None = None,
    timeout: float = 5,
) -> Any:
    """Calls the sandbox's control API; returns the decoded JSON answer.

    Raises:
        OSError: the sandbox does not answer.
        ValueError: the sandbox refused the request.
    """
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        f"{info.endpoint_url}{CONTROL_PREFIX}{path}",
        data=data,
        method="POST" if data is not None else "GET",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return json.loads(answer.read())
    except urllib.error.HTTPError as problem:
        detail = problem.read().decode("utf-8", "replace")
        try:
            detail = json.loads(detail).get("error", detail)
        except ValueError:
            pass
        raise ValueError(str(detail)) from None


def _answers(info: SandboxInfo) -> bool:
    try:
        status = control(info, "/status", timeout=2)
    except (OSError, ValueError):
        return False
    return isinstance(status, dict) and status.get("pid") == info.pid


def running_sandbox() -> SandboxInfo | None:
    """The user's sandbox if it runs and answers, else None."""
    info = _read(_directory() / SERVER_FILE)
    if info is None or not _answers(info):
        return None
    return info


def web_route_of(endpoint_url: str | None) -> WebRoute | None:
    """How to reach load balancers' pages when `endpoint_url` is a sandbox.

    `labguide --aws` with AWS_ENDPOINT_URL set to a `labguide sandbox serve`
    reaches the sandbox like AWS, but the load balancers' DNS names resolve
    nowhere: their pages are served by the sandbox itself. Only a loopback
    endpoint that answers the sandbox's control API gets a route; any other
    endpoint is left to DNS, as AWS is.
    """
    if not endpoint_url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(endpoint_url)
    loopback = ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "http" or parts.hostname not in loopback or not parts.port:
        return None
    info = SandboxInfo(0, parts.hostname, parts.port, "")
    try:
        status = control(info, "/status", timeout=2)
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or "world" not in status:
        return None
    return WebRoute(parts.hostname, parts.port)


@contextlib.contextmanager
def _spawn_lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "spawn.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_running(
    time_scale: float | None = None, region: str | None = None
) -> Target:
    """The user's sandbox, started if none runs.

    Args:
        time_scale: a time scale to set (on a running sandbox too); None
            keeps the running one's, or the default for a new one.
        region: the region of the returned target; the catalog's default
            when omitted.

    Raises:
        LabguideError: the sandbox could not be started.
    """
    from labguide.errors import LabguideError

    if region is None:
        from labguide.catalog import load_catalog

        region = load_catalog().lab.default_region
    directory = _directory()
    with _spawn_lock(directory):
        info = running_sandbox()
        if info is None:
            info = _spawn(directory, time_scale)
        elif time_scale is not None:
            try:
                control(info, "/time-scale", {"scale": time_scale})
            except (OSError, ValueError) as problem:
                raise LabguideError(
                    f"The sandbox refused the time scale: {problem}."
                ) from None
    return info.target(region)


IDLE_EXIT_SECONDS = 4 * 3600
"""A background sandbox nobody has called for this long saves and stops (the
lab is kept and comes back with the next start); LABGUIDE_SANDBOX_IDLE sets
another figure."""


def idle_exit_seconds() -> float:
    """How long a background sandbox waits for a request before it stops."""
    value = os.environ.get("LABGUIDE_SANDBOX_IDLE", "")
    try:
        return float(value) if value else IDLE_EXIT_SECONDS
    except ValueError:
        return IDLE_EXIT_SECONDS


def _spawn(directory: Path, time_scale: float | None) -> SandboxInfo:
    from labguide.errors import LabguideError

    command = [
        sys.executable,
        "-m",
        "labguide",
        "sandbox",
        "serve",
        "--port",
        "0",
        "--state-dir",
        str(directory),
        "--quiet",
    ]
    if time_scale is not None:
        command += ["--time-scale", str(time_scale)]
    command += ["--idle-exit", str(idle_exit_seconds())]
    (directory / SERVER_FILE).unlink(missing_ok=True)
    with (directory / "serve.log").open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
            cwd=str(directory),
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        info = _read(directory / SERVER_FILE)
        if info is not None and info.pid == process.pid and _answers(info):
            return info
        if process.poll() is not None:
            raise LabguideError(
                f"The sandbox stopped as it started (exit {process.returncode}).",
                f"See {directory / 'serve.log'}.",
            )
        time.sleep(0.1)
    raise LabguideError(
        f"The sandbox did not answer within {START_TIMEOUT:.0f} s.",
        f"See {directory / 'serve.log'}.",
    )


def stop_running() -> bool:
    """Stops the user's sandbox; returns whether one was running."""
    info = running_sandbox()
    if info is None:
        return False
    import http.client

    with contextlib.suppress(OSError, ValueError, http.client.HTTPException):
        control(info, "/stop", {})
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        if not _alive(info.pid):
            return True
        time.sleep(0.1)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child we started and that ended is a zombie until reaped: reap it.
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    return True
