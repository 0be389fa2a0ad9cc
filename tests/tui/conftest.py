"""Fixtures for the guide's tests: one sandbox for the whole run (moto holds
one per process), a guide bound to it with its own sessions folder, and
helpers that wait for the guide's workers instead of sleeping."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerFailed

from labguide.catalog import load_catalog
from labguide.catalog.models import Catalog
from labguide.commands.options import Settings
from labguide.sandbox import Sandbox
from labguide.tui import GuideApp, GuideSettings, LiveEngine

REGION = "us-east-1"
FAST = Settings(poll_seconds=0.05, wait_seconds=10.0)
"""Poll and wait times for a sandbox whose time scale is 0."""

# Times on screen (the session list, the log) are local: pin the zone.
os.environ["TZ"] = "UTC"
time.tzset()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """The sandbox a module's tests of the guide share; each test has its own
    participant, so their labs never meet. One sandbox runs per process, so
    it stops when the module ends and leaves the way free for other suites."""
    with Sandbox(time_scale=0) as running:
        yield running


@pytest.fixture
def guide(
    catalog: Catalog, sandbox: Sandbox, tmp_path: Path
) -> Callable[..., GuideApp]:
    """Makes a guide on the shared sandbox, with sessions in `tmp_path`."""

    def make(participant: str, language: str = "en", **settings: Any) -> GuideApp:
        engine = functools.partial(
            LiveEngine,
            state_dir=tmp_path / "sessions",
            sandbox=sandbox.target,
            settings=lambda target: FAST,
        )
        choices = GuideSettings(
            language=language,  # type: ignore[arg-type]
            participant=participant,
            email=f"{participant}@example.com",
            recheck_seconds=settings.pop("recheck_seconds", 3600.0),
            **settings,
        )
        return GuideApp(catalog, choices, engine)

    return make


async def settle(pilot: Pilot[Any], rounds: int = 40) -> None:
    """Waits until no worker runs and the messages they posted are handled
    (a handled message may start another worker, hence the rounds)."""
    app = pilot.app
    quiet = 0
    for _ in range(rounds):
        try:
            await app.workers.wait_for_complete()
        except (WorkerCancelled, WorkerFailed):
            pass  # the guide shows these itself; the test checks what it shows
        await pilot.pause()
        if any(worker.is_running for worker in app.workers):
            quiet = 0
            continue
        quiet += 1
        if quiet == 2:
            return


async def until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 20.0
) -> None:
    """Settles until `condition` holds; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        await settle(pilot)
        if condition():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.05)


async def open_lab(pilot: Pilot[Any]) -> Any:
    """Starts the lab from the start screen once the place answers; returns
    the lab screen."""
    from labguide.tui.screens import LabScreen, StartScreen

    start = pilot.app.screen
    assert isinstance(start, StartScreen)
    await until(pilot, lambda: start.connection is not None)
    await pilot.press("ctrl+s")
    await until(pilot, lambda: isinstance(pilot.app.screen, LabScreen))
    await settle(pilot)
    return pilot.app.screen
