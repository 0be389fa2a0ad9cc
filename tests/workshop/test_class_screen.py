"""The class screen on fixed data (`FakeClass` stands in for the engine's
class view): the table, the selected participant's goals, drills, teardown
with the account shown first, the export, and an SVG snapshot.

Update the snapshot with `pytest tests/workshop/test_class_screen.py
--snapshot-update` and look at the SVG before committing it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from labguide.catalog.models import Catalog
from labguide.tui.class_screen import (
    ClassApp,
    ClassScreen,
    DrillScreen,
    TeardownScreen,
)

from .fakes import FakeClass

SIZE = (80, 24)


async def until(pilot: Pilot[Any], condition: Callable[[], object]) -> None:
    """Waits for the screen's workers instead of sleeping a fixed time."""
    for _ in range(200):
        await pilot.pause(0.02)
        if condition():
            await pilot.pause()
            return
    raise AssertionError("the condition never held")


def screen(pilot: Pilot[Any]) -> ClassScreen:
    shown = pilot.app.screen
    assert isinstance(shown, ClassScreen)
    return shown


async def read(pilot: Pilot[Any]) -> None:
    await until(
        pilot,
        lambda: (
            isinstance(pilot.app.screen, ClassScreen)
            and pilot.app.screen.report is not None
        ),
    )


def text(pilot: Pilot[Any], selector: str) -> str:
    return str(pilot.app.screen.query_one(selector, Static).render())


@pytest.mark.asyncio
async def test_the_table_shows_every_participant(catalog: Catalog) -> None:
    fake = FakeClass(catalog)
    async with ClassApp(catalog, fake, interval=3600).run_test(size=SIZE) as pilot:
        await read(pilot)
        table = screen(pilot).query_one(DataTable)
        assert table.row_count == 5
        assert [str(table.get_row_at(i)[0]) for i in range(5)] == fake.tags
        assert str(table.get_row_at(0)[2]) == "✔✔✔✔✔✔✔"
        assert str(table.get_row_at(1)[3]) == "6/7"
        header = text(pilot, "#class-where")
        assert "sandbox account 123456789012" in header
        assert "5 participant(s), 1 with every goal" in header
        assert "31 AWS calls in 2.4 s" in header

        await pilot.press("down")
        await until(pilot, lambda: "ana" in text(pilot, "#class-detail"))
        detail = text(pilot, "#class-detail")
        assert "… G4" in detail and "waiting" in detail


@pytest.mark.asyncio
async def test_refreshes_on_the_timer(catalog: Catalog) -> None:
    fake = FakeClass(catalog)
    async with ClassApp(catalog, fake, interval=0.05).run_test(size=SIZE) as pilot:
        await until(pilot, lambda: fake.refreshes >= 3)


@pytest.mark.asyncio
async def test_r_refreshes_at_once(catalog: Catalog) -> None:
    fake = FakeClass(catalog)
    async with ClassApp(catalog, fake, interval=3600).run_test(size=SIZE) as pilot:
        await read(pilot)
        assert fake.refreshes == 1
        await pilot.press("r")
        await until(pilot, lambda: fake.refreshes == 2)


@pytest.mark.asyncio
async def test_a_drill_for_the_selected_participant(catalog: Catalog) -> None:
    fake = FakeClass(catalog)
    async with ClassApp(catalog, fake, interval=3600).run_test(size=SIZE) as pilot:
        await read(pilot)
        await pilot.press("down", "down", "d")
        await until(pilot, lambda: isinstance(pilot.app.screen, DrillScreen))
        await pilot.press("down", "enter")
        await until(pilot, lambda: fake.drilled)
        assert fake.drilled == [("nginx-stopped", ["ben"])]

        await until(pilot, lambda: isinstance(pilot.app.screen, ClassScreen))
        await pilot.press("D")
        await until(pilot, lambda: isinstance(pilot.app.screen, DrillScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(pilot.app.screen, ClassScreen))
        assert len(fake.drilled) == 1


@pytest.mark.asyncio
async def test_drills_are_not_offered_outside_the_sandbox(catalog: Catalog) -> None:
    fake = FakeClass(catalog, sandbox=False)
    async with ClassApp(catalog, fake, interval=3600).run_test(size=SIZE) as pilot:
        await read(pilot)
        await pilot.press("d")
        await until(pilot, lambda: pilot.app._notifications)
        assert not isinstance(pilot.app.screen, DrillScreen)
        assert not fake.drilled


@pytest.mark.asyncio
@pytest.mark.parametrize(("key", "whom"), [("t", ["_solo"]), ("T", None)])
async def test_teardown_shows_the_account_before_deleting(
    catalog: Catalog, key: str, whom: list[str] | None
) -> None:
    fake = FakeClass(catalog)
    async with ClassApp(catalog, fake, interval=3600).run_test(size=SIZE) as pilot:
        await read(pilot)
        await pilot.press(key)
        await until(pilot, lambda: isinstance(pilot.app.screen, TeardownScreen))
        plan = text(pilot, "#teardown-plan")
        assert "sandbox account 123456789012 (us-east-1)" in plan
        labs = 1 if whom else 5
        assert f"{2 * labs} resource(s) of {labs} lab(s)" in plan
        await pilot.press("n")
        await until(pilot, lambda: isinstance(pilot.app.screen, ClassScreen))
        assert fake.torn_down == []

        await pilot.press(key)
        await until(pilot, lambda: isinstance(pilot.app.screen, TeardownScreen))
        await pilot.press("y")
        await until(pilot, lambda: fake.torn_down)
        assert fake.torn_down == [whom or fake.tags[:0] + list(FakeClass(catalog).tags)]
        await until(
            pilot, lambda: screen(pilot).query_one(DataTable).row_count == 5 - labs
        )


@pytest.mark.asyncio
async def test_export_writes_the_class_reports(catalog: Catalog, tmp_path: Any) -> None:
    fake = FakeClass(catalog)
    app = ClassApp(catalog, fake, interval=3600, export_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await read(pilot)
        await pilot.press("e")
        await until(pilot, lambda: fake.exported)
        assert fake.exported == [tmp_path]


def test_class_screen_snapshot(snap_compare: Any, catalog: Catalog) -> None:
    async def before(pilot: Pilot[Any]) -> None:
        await read(pilot)
        await pilot.press("down")
        await until(pilot, lambda: "ana" in text(pilot, "#class-detail"))

    app = ClassApp(catalog, FakeClass(catalog), interval=3600)
    assert snap_compare(app, terminal_size=SIZE, run_before=before)
