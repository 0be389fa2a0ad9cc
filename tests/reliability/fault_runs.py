"""Full lab runs under API faults, one seed after another, in a process of
their own: `python -m reliability.fault_runs SEED...` (from tests/) prints
one JSON line per run with what the run did and what the census found.

moto keeps one world per process, so two of these processes side by side
use both cores of a small machine; `test_faults` starts them and judges the
lines they print.
"""

from __future__ import annotations

import json
import logging
import random
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from botocore.retries import standard

from labguide.catalog import load_catalog
from labguide.catalog.models import Catalog
from labguide.sandbox import Faults, Sandbox

from .census import census, expected, leftovers, plain_clients
from .harness import REGION, confirm_email, open_session

RUNS = 30
NO_FAULTS = Faults()
RETRY_DELAY_SCALE = 0.02
"""The share of botocore's back-off the runs sleep (see `scale_retry_delays`)."""


def faults_for(seed: int) -> Faults:
    """Between 10 and 30 percent of calls struck (rising with the seed),
    shared among the three kinds in a proportion the seed picks."""
    pick = random.Random(seed)
    total = 0.10 + 0.20 * seed / (RUNS - 1)
    shares = [pick.uniform(0.2, 1.0) for _ in range(3)]
    throttle, error, drop = (total * s / sum(shares) for s in shares)
    return Faults(throttle=throttle, error=error, drop=drop, seed=seed)


def scale_retry_delays() -> None:
    """Scales botocore's retry back-off down, the way the sandbox scales AWS's
    waits down: which calls are retried, how often and with how much of the
    retry quota stays botocore's own; only the sleeps between attempts
    shrink, so thirty faulty runs fit in the test suite's time."""
    original = standard.ExponentialBackoff.delay_amount

    def scaled(self: Any, context: Any) -> float:
        return float(original(self, context)) * RETRY_DELAY_SCALE

    standard.ExponentialBackoff.delay_amount = scaled  # type: ignore[method-assign]


def count_faults(sandbox: Sandbox) -> Counter[str]:
    """Counts what the sandbox's fault injector decides, call by call."""
    struck: Counter[str] = Counter()
    injector = sandbox.app.injector
    draw = injector.draw

    def counted() -> str | None:
        kind = draw()
        struck[kind or "none"] += 1
        return kind

    injector.draw = counted
    return struck


def run_once(
    sandbox: Sandbox,
    catalog: Catalog,
    seed: int,
    state_dir: Path,
    struck: Counter[str],
) -> dict[str, Any]:
    """One participant's whole lab under the seed's faults: run, confirm the
    e-mail, watch the goals, count, tear down, count again."""
    participant = f"fault{seed:02d}"
    faults = faults_for(seed)
    client = plain_clients(sandbox.target(REGION))
    struck.clear()
    outcome: dict[str, Any] = {"seed": seed, "faults": faults.as_dict()}

    sandbox.set_faults(faults)
    try:
        with open_session(sandbox, catalog, state_dir, participant) as session:
            result = session.run_all()
            outcome["failed"] = {**result.failed, **result.skipped}
            confirm_email(sandbox)
            goals = session.watch(60)
            outcome["goals"] = {g.goal.id: g.status for g in goals}

            sandbox.set_faults(NO_FAULTS)
            outcome["census"] = census(client, catalog, participant)

            sandbox.set_faults(replace(faults, seed=seed + RUNS))
            teardown = session.teardown()
            outcome["teardown_errors"] = teardown.errors
            outcome["teardown_left"] = [r.to_dict() for r in teardown.left]
    except Exception as error:  # reported as the run's outcome, judged there
        outcome["error"] = repr(error)
    finally:
        sandbox.set_faults(NO_FAULTS)
    outcome["left"] = leftovers(census(client, catalog, participant))
    outcome["struck"] = dict(struck)
    return outcome


def main(seeds: list[int]) -> None:
    """Runs the seeds in one sandbox, printing one JSON line per run."""
    # A dropped connection is a fault injected on purpose: quiet.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    scale_retry_delays()
    catalog = load_catalog()
    with Sandbox(time_scale=0) as sandbox, tempfile.TemporaryDirectory() as home:
        struck = count_faults(sandbox)
        for seed in seeds:
            outcome = run_once(sandbox, catalog, seed, Path(home) / str(seed), struck)
            outcome["expected"] = expected(catalog)
            print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main([int(seed) for seed in sys.argv[1:]])
