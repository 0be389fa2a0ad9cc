"""`labguide sandbox serve` as a process of its own, for the benchmarks: the
sandbox as a learner or a workshop runs it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

READY_SECONDS = 30.0
"""How long a sandbox may take to start."""


def start_sandbox(
    env: dict[str, str], scale: float = 0.0
) -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    """Starts a sandbox for `env`'s LABGUIDE_HOME at time scale `scale`;
    returns it, once it has written its server file, with the AWS variables
    it printed (AWS_ENDPOINT_URL and the rest).

    Raises:
        RuntimeError: the sandbox did not start.
    """
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "labguide",
            "sandbox",
            "serve",
            "--time-scale",
            str(scale),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        exports: dict[str, str] = {}
        while len(exports) < 4:
            line = process.stdout.readline().decode()
            if not line:
                raise RuntimeError("the sandbox did not start")
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").strip().partition("=")
                exports[key] = value
        server_file = Path(env["LABGUIDE_HOME"]) / "sandbox" / "server.json"
        deadline = time.monotonic() + READY_SECONDS
        while not server_file.is_file():
            if time.monotonic() > deadline:
                raise RuntimeError("the sandbox wrote no server file")
            time.sleep(0.05)
    except BaseException:
        stop_sandbox(process)
        raise
    return process, exports


def stop_sandbox(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Stops a sandbox (it saves its world first), killing it if it hangs."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
