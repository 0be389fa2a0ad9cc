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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

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

POINTS = 20
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
def reference(
    sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, float]:
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


def crash_and_resume(
    sandbox: Sandbox,
    catalog: Catalog,
    reference: dict[str, float],
    home: Path,
    point: int,
    how: str,
    where: float,
) -> dict[str, Any]:
    """Kills a full run at the point, runs it again to the end, and reports
    what the census, the goals and a teardown found."""
    participant = f"crash{point:02d}"
    env = cli_env(sandbox, home)
    client = plain_clients(sandbox.target(REGION))
    outcome: dict[str, Any] = {}

    killed = Progress(run_command(participant), env)
    if how == "lines":
        killed.kill_after_lines(1 + int(where * reference["lines"]))
    else:
        # The child's first half second is Python and labguide starting up.
        killed.kill_after(0.5 + where * reference["seconds"])
    outcome["killed"], _ = killed.finish()
    outcome["killed_after"] = killed.lines[-1] if killed.lines else ""

    again = subprocess.run(
        [*run_command(participant), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    outcome["again"] = again.returncode
    outcome["again_stderr"] = again.stderr[-3000:]
    if again.returncode != 0:
        return outcome
    outcome["summary"] = json.loads(again.stdout)
    outcome["census"] = census(client, catalog, participant)

    confirm_email(sandbox)
    with open_session(sandbox, catalog, home / "check", participant) as session:
        outcome["goals"] = {g.goal.id: g.status for g in session.verify()}
        teardown = session.teardown()
        outcome["teardown_errors"] = teardown.errors
        outcome["teardown_left"] = [r.to_dict() for r in teardown.left]
    outcome["left"] = leftovers(census(client, catalog, participant))
    return outcome


@pytest.fixture(scope="module")
def outcomes(
    sandbox: Sandbox,
    catalog: Catalog,
    reference: dict[str, float],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[int, dict[str, Any]]:
    """Every kill point's outcome; two points at a time, each its own
    participant (the children and the sandbox then share both cores)."""

    def attempt(point: int, how: str, where: float) -> dict[str, Any]:
        home = tmp_path_factory.mktemp(f"crash{point:02d}")
        try:
            return crash_and_resume(
                sandbox, catalog, reference, home, point, how, where
            )
        except Exception as error:  # judged by the point's own test
            return {"error": repr(error)}

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            point: pool.submit(attempt, point, how, where)
            for point, how, where in kill_points()
        }
        return {point: future.result() for point, future in futures.items()}


@pytest.mark.parametrize(("point", "how", "where"), kill_points())
def test_a_run_killed_anywhere_resumes_without_duplicate_or_orphan(
    point: int,
    how: str,
    where: float,
    catalog: Catalog,
    outcomes: dict[int, dict[str, Any]],
) -> None:
    run = outcomes[point]
    assert "error" not in run, run["error"]
    assert run["killed"] in (-signal.SIGKILL, 0)

    assert run["again"] == 0, run["again_stderr"]
    assert not run["summary"]["failed"] and not run["summary"]["skipped"], run
    assert run["census"] == expected(catalog)
    assert {goal: s for goal, s in run["goals"].items() if s != "passed"} == {}
    assert run["teardown_errors"] == [] and run["teardown_left"] == []
    assert run["left"] == {}
