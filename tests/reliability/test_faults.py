"""A whole lab under API faults: with the sandbox throttling, failing with
HTTP 500 and dropping connections on 10 to 30 percent of calls (30 seeded
runs), a full run completes, no resource is duplicated, every goal passes in
the end, and teardown leaves nothing.

Each run is one participant's lab in a shared sandbox, so a run cannot pass
on what an earlier one left (CloudTrail's events name the participant's
resources). The session is the one the CLI opens (its retry attempts and
polls); the census counts with plain boto3 while faults are off. The runs
happen in two processes side by side (see `fault_runs`); each test judges
one run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .fault_runs import RUNS

WORKERS = 2
TESTS = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def outcomes() -> dict[int, dict[str, Any]]:
    """Every run's outcome, by seed."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "reliability.fault_runs"]
            + [str(seed) for seed in range(worker, RUNS, WORKERS)],
            cwd=TESTS,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(WORKERS)
    ]
    found: dict[int, dict[str, Any]] = {}
    for worker in workers:
        out, err = worker.communicate(timeout=600)
        for line in out.splitlines():
            outcome = json.loads(line)
            found[outcome["seed"]] = outcome
        if worker.returncode:
            found[-1] = {"error": err[-2000:]}
    return found


@pytest.mark.parametrize("seed", range(RUNS))
def test_a_full_run_under_faults_completes_once_and_cleans_up(
    seed: int, outcomes: dict[int, dict[str, Any]]
) -> None:
    assert seed in outcomes, outcomes.get(-1)
    run = outcomes[seed]
    assert "error" not in run, run["error"]

    assert run["failed"] == {}
    assert {goal: s for goal, s in run["goals"].items() if s != "passed"} == {}
    assert run["census"] == run["expected"]
    assert run["teardown_errors"] == [] and run["teardown_left"] == []
    assert run["left"] == {}

    # The faults really struck, each kind, at about the rate asked for.
    struck = run["struck"]
    share = 1 - struck["none"] / sum(struck.values())
    asked = sum(run["faults"][kind] for kind in ("throttle", "error", "drop"))
    assert {"throttle", "error", "drop"} <= set(struck)
    assert asked / 2 < share < asked * 2, (share, asked, struck)
