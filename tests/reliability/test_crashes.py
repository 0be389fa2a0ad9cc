"""`labguide run --all` killed with SIGKILL at seeded points of a full run:
the next run completes, with no duplicate and no orphan.

The child reaches the sandbox in this process as an AWS endpoint (`--aws`
with AWS_ENDPOINT_URL), the way a learner points labguide at `labguide
sandbox serve`. It is killed after a seeded number of its progress lines, or
after a seeded delay; then `labguide run --all` runs again to the end. The
census must then show exactly one lab, all seven goals must pass, and a
teardown must leave nothing: whatever the killed run made was found again.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from labguide.catalog.models import Catalog
from labguide.sandbox import Sandbox

from .census import census, expected, leftovers, plain_clients
from .harness import (
    EMAIL,
    REGION,
    cli_env,
    confirm_email,
    labguide_command,
    open_session,
)

POINTS = 22
SEED = 20260215


def run_command(participant: str) -> list[str]:
    return labguide_command(
        "run", "--all", "--aws", "--participant", participant, "--email", EMAIL
    )


class Progress:
    """A `labguide run` child whose progress lines (stderr) are counted."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def kill_after_lines(self, count: int, timeout: float = 60) -> None:
        """SIGKILL once `count` progress lines were printed (or at the end)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while len(self.lines) < count and self.process.poll() is None:
                if not self.changed.wait(max(0.0, deadline - time.monotonic())):
                    break
            self.process.send_signal(signal.SIGKILL)

    def kill_after(self, seconds: float) -> None:
        """SIGKILL after `seconds`, unless the run ended first."""
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)

    def finish(self, timeout: float = 120) -> tuple[int, str]:
        """The exit code and stdout, once the child has ended."""
        out, _ = self.process.communicate(timeout=timeout)
        self._reader.join(timeout=5)
        return self.process.returncode, out


@pytest.fixture(scope="module")
def reference(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A full run nobody kills: how many progress lines and seconds it takes,
    so the kill points spread over the whole of a run."""
    home = tmp_path_factory.mktemp("reference")
    began = time.monotonic()
    child = Progress(run_command("crashref"), cli_env(sandbox, home))
    code, out = child.finish()
    assert code == 0, "\n".join(child.lines)
    return {"lines": len(child.lines), "seconds": time.monotonic() - began}


def kill_points() -> list[tuple[int, str, float]]:
    """(point, 'lines' or 'delay', where): three in four points count lines."""
    pick = random.Random(SEED)
    points = []
    for point in range(POINTS):
        how = "delay" if point % 4 == 3 else "lines"
        points.append((point, how, pick.random()))
    return points


@pytest.mark.parametrize(("point", "how", "where"), kill_points())
def test_a_run_killed_anywhere_resumes_without_duplicate_or_orphan(
    point: int,
    how: str,
    where: float,
    sandbox: Sandbox,
    catalog: Catalog,
    reference: dict,
    tmp_path: Path,
) -> None:
    participant = f"crash{point:02d}"
    env = cli_env(sandbox, tmp_path)
    client = plain_clients(sandbox.target(REGION))

    killed = Progress(run_command(participant), env)
    if how == "lines":
        killed.kill_after_lines(1 + int(where * reference["lines"]))
    else:
        # The child's first second is Python and labguide starting up.
        killed.kill_after(0.5 + where * reference["seconds"])
    code, _ = killed.finish()
    assert code in (-signal.SIGKILL, 0)

    again = subprocess.run(
        [*run_command(participant), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout)
    assert not summary["failed"] and not summary["skipped"], summary
    assert census(client, catalog, participant) == expected(catalog)

    confirm_email(sandbox)
    with open_session(sandbox, catalog, tmp_path / "check", participant) as session:
        goals = session.verify()
        assert {g.goal.id: g.status for g in goals if g.status != "passed"} == {}
        outcome = session.teardown()
        assert outcome.clean, (outcome.errors, outcome.left)
    assert leftovers(census(client, catalog, participant)) == {}
