"""A whole lab under API faults: with the sandbox throttling, failing with
HTTP 500 and dropping connections on 10 to 30 percent of calls (30 seeded
runs), a full run completes, no resource is duplicated, every goal passes in
the end, and teardown leaves nothing.

Each run is one participant's lab in one shared sandbox, so a run cannot
pass on what an earlier one left (CloudTrail's events name the participant's
resources). The session is the one the CLI opens (its retry attempts and
polls); the census counts with plain boto3 while faults are off.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from labguide.catalog.models import Catalog
from labguide.sandbox import Faults, Sandbox

from .census import census, expected, leftovers, plain_clients
from .harness import REGION, confirm_email, open_session

RUNS = 30
NO_FAULTS = Faults()


def faults_for(seed: int) -> Faults:
    """Between 10 and 30 percent of calls struck, shared among the three
    kinds in a proportion the seed picks."""
    pick = random.Random(seed)
    total = 0.10 + 0.20 * seed / (RUNS - 1)
    shares = [pick.uniform(0.2, 1.0) for _ in range(3)]
    throttle, error, drop = (total * s / sum(shares) for s in shares)
    return Faults(throttle=throttle, error=error, drop=drop, seed=seed)


def count_faults(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts what the sandbox's fault injector decides, call by call."""
    struck: Counter[str] = Counter()
    injector = sandbox.app.injector
    draw = injector.draw

    def counted() -> str | None:
        kind = draw()
        struck[kind or "none"] += 1
        return kind

    monkeypatch.setattr(injector, "draw", counted)
    return struck


@pytest.mark.parametrize("seed", range(RUNS))
def test_a_full_run_under_faults_completes_once_and_cleans_up(
    seed: int,
    sandbox: Sandbox,
    catalog: Catalog,
    tmp_path: Path,
    quick_retries: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    participant = f"fault{seed:02d}"
    faults = faults_for(seed)
    client = plain_clients(sandbox.target(REGION))
    struck = count_faults(sandbox, monkeypatch)

    sandbox.set_faults(faults)
    try:
        with open_session(sandbox, catalog, tmp_path, participant) as session:
            result = session.run_all()
            assert result.ok, (result.failed, result.skipped)
            confirm_email(sandbox)
            goals = session.watch(60)
            assert {g.goal.id: g.status for g in goals if g.status != "passed"} == {}

            sandbox.set_faults(NO_FAULTS)
            assert census(client, catalog, participant) == expected(catalog)

            sandbox.set_faults(Faults(**{**faults.as_dict(), "seed": seed + RUNS}))
            outcome = session.teardown()
            assert outcome.clean, (outcome.errors, outcome.left)
    finally:
        sandbox.set_faults(NO_FAULTS)

    assert leftovers(census(client, catalog, participant)) == {}
    calls = sum(struck.values())
    share = 1 - struck["none"] / calls
    # The faults really struck, at about the rate asked for.
    total = faults.throttle + faults.error + faults.drop
    assert {"throttle", "error", "drop"} <= set(struck)
    assert total / 2 < share < total * 2, (share, total, struck)
