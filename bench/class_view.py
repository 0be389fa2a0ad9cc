"""The class view's cost as a class grows: labs of participants `p001`...
are built through the engine in one sandbox (time scale 0), which runs as
its own process (`labguide sandbox serve`, as for a workshop), and at each
size the class view refreshes twice, cold (its first refresh reads every
lab's details once) and warm (what every later refresh costs), then once
more with every call taking AWS_LATENCY seconds longer, as on AWS. Its peer:
`labguide verify` for each participant in turn, the view a class would get
without the class view.

`python bench/class_view.py 3 30 200` prints one JSON line per size.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from sandbox_process import start_sandbox, stop_sandbox

from labguide.aws.clients import Clients
from labguide.aws.target import Target
from labguide.catalog import load_catalog
from labguide.catalog.models import Catalog
from labguide.engine.classroom import ClassView
from labguide.engine.session import LabSession
from labguide.sandbox.daemon import SandboxInfo, control

REGION = "us-east-1"
BUILDERS = 4
AWS_LATENCY = 0.08
"""Seconds an AWS call typically takes beyond the sandbox's own work."""
NAIVE_SAMPLE = 30
"""Participants the peer verifies one by one (enough for a per-lab cost)."""


def name(index: int) -> str:
    return f"p{index:03d}"


def build(catalog: Catalog, target: Target, home: Path, first: int, last: int) -> None:
    """The labs of participants first..last-1, several at once."""

    def one(index: int) -> None:
        with LabSession.open(
            catalog,
            Clients(target),
            home,
            participant=name(index),
            email=f"{name(index)}@example.com",
            poll_seconds=0.05,
            wait_seconds=60,
            account_label="sandbox",
            reconcile=False,
        ) as session:
            result = session.run_all()
            if not result.ok:
                raise RuntimeError(f"{name(index)}: {result.failed}")

    with ThreadPoolExecutor(BUILDERS) as pool:
        list(pool.map(one, range(first, last)))


def naive(catalog: Catalog, target: Target, home: Path, count: int) -> dict:
    """Each participant's `verify`, one after another: calls and seconds."""
    calls = 0
    began = time.perf_counter()
    for index in range(count):
        clients = Clients(target)
        with LabSession.open(
            catalog,
            clients,
            home,
            participant=name(index),
            account_label="sandbox",
            reconcile=False,
        ) as session:
            session.verify()
        calls += clients.total_calls
    return {"calls": calls, "seconds": time.perf_counter() - began, "labs": count}


@contextmanager
def sandbox_process(home: Path) -> Iterator[SandboxInfo]:
    """`labguide sandbox serve` at time scale 0, in a home of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["LABGUIDE_HOME"] = str(home)
    process, exports = start_sandbox(env)
    try:
        port = int(exports["AWS_ENDPOINT_URL"].rsplit(":", 1)[1])
        yield SandboxInfo(process.pid, "127.0.0.1", port, str(home / "sandbox"))
    finally:
        stop_sandbox(process)


def main(sizes: list[int]) -> None:
    catalog = load_catalog()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        with sandbox_process(home / "labguide") as sandbox:
            measure(catalog, sandbox, home, sizes)


def measure(
    catalog: Catalog, sandbox: SandboxInfo, home: Path, sizes: list[int]
) -> None:
    target = sandbox.target(REGION)
    built = 0
    compared = False
    for size in sorted(sizes):
        began = time.perf_counter()
        build(catalog, target, home / "sessions", built, size)
        build_seconds = time.perf_counter() - began
        built = size
        view = ClassView(catalog, Clients(target), account_label="sandbox")
        cold = view.refresh()
        warm = view.refresh()
        # As on AWS, where each call spends time on the network and in the
        # service: the reads overlap their waits.
        control(sandbox, "/faults", {"latency": AWS_LATENCY})
        remote = view.refresh()
        control(sandbox, "/faults", {"latency": 0})
        line = {
            "participants": len(warm.participants),
            "build_seconds": build_seconds,
            "cold_calls": cold.total_calls,
            "cold_seconds": cold.seconds,
            "warm_calls": warm.total_calls,
            "warm_seconds": warm.seconds,
            "latency": AWS_LATENCY,
            "latency_calls": remote.total_calls,
            "latency_seconds": remote.seconds,
            "fallbacks": warm.fallbacks,
            "passed": sum(p.passed for p in warm.participants),
        }
        if size >= NAIVE_SAMPLE and not compared:
            line["naive"] = naive(catalog, target, home / "naive", NAIVE_SAMPLE)
            compared = True
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main([int(size) for size in sys.argv[1:]])
