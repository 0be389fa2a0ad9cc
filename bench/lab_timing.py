"""The whole lab with the sandbox's AWS timing model on (scaled), done two
ways, in a process of its own (moto keeps one world per process):

- `labguide`: what `labguide run --all` then `labguide verify --watch` do,
  through the same engine: independent steps at once, checks re-run while
  pending, the e-mail confirmed as soon as it is sent;
- `sequential`: strictly one step at a time, each started only once the
  previous step's checks pass, as far as they can yet (`critical_path.NEEDS`).

`python bench/lab_timing.py MODE SCALE` prints one JSON line: the wall time
from the first step to the seventh goal passing, and the goals.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from critical_path import article_steps, needs

from labguide.aws.clients import Clients
from labguide.catalog import load_catalog
from labguide.commands.options import settings_for
from labguide.engine.session import LabSession
from labguide.sandbox import Sandbox, control
from labguide.sandbox.daemon import SandboxInfo

REGION = "us-east-1"
EMAIL = "learner@example.com"
TIMEOUT = 900.0


def main(mode: str, scale: float) -> None:
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    catalog = load_catalog()
    with Sandbox(time_scale=scale) as sandbox, tempfile.TemporaryDirectory() as home:
        target = sandbox.target(REGION)
        settings = settings_for(target)
        info = SandboxInfo(os.getpid(), "127.0.0.1", sandbox.port, "")
        # Opening reconciles, which reads every service once: moto builds its
        # backends then, before the clock starts.
        with LabSession.open(
            catalog,
            Clients(target),
            Path(home),
            email=EMAIL,
            poll_seconds=settings.poll_seconds,
            wait_seconds=TIMEOUT,
            account_label="sandbox",
        ) as session:
            began = time.perf_counter()
            if mode == "labguide":
                result = session.run_all()
                control(info, "/confirm-email", {})
                goals = session.watch(TIMEOUT)
            else:
                result, goals = one_at_a_time(session, info, settings.poll_seconds)
            seconds = time.perf_counter() - began
    print(
        json.dumps(
            {
                "mode": mode,
                "scale": scale,
                "seconds": seconds,
                "failed": result.failed,
                "goals": {g.goal.id: g.status for g in goals},
            }
        )
    )


def one_at_a_time(session: LabSession, info: SandboxInfo, poll: float) -> tuple:
    """Each step alone, then a wait for every check it made possible."""
    catalog = session.catalog
    checks = needs(catalog)
    done: set[str] = set()
    outcome = None
    for step in article_steps(catalog):
        outcome = session.run([step])
        done.add(step)
        if step == "alarm":
            control(info, "/confirm-email", {})
        ready = [check for check, steps in checks.items() if steps <= done]
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            results = session.run_checks(ready)
            if all(r.status == "passed" for r in results.values()):
                break
            time.sleep(poll)
    return outcome, session.watch(TIMEOUT)


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
