"""SVG snapshots of every screen of the guide, in Japanese and in English.

They run on the fake engine (fixed ids, times and costs), at 80x24 unless a
test says otherwise. Update them with `pytest tests/tui --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from conftest import settle, until
from fakes import article, fake_app
from textual.pilot import Pilot
from textual.widgets import Input

from labguide.catalog.models import Catalog
from labguide.errors import LabguideError
from labguide.tui.screens import LabScreen

LANGUAGES = ("en", "ja")
Before = Callable[[Pilot[Any]], Awaitable[None]]


async def still(pilot: Pilot[Any]) -> None:
    """Lets the guide settle and stops what blinks."""
    await settle(pilot)
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


def in_lab(*keys: str, then: Callable[[LabScreen], object] | None = None) -> Before:
    """Opens the lab from the start screen, presses keys, and calls `then`."""

    async def before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(pilot.app.screen, LabScreen))
        lab = pilot.app.screen
        assert isinstance(lab, LabScreen)
        await settle(pilot)
        if keys:
            await pilot.press(*keys)
            await settle(pilot)
        if then is not None:
            then(lab)
            await settle(pilot)
        await still(pilot)

    return before


@pytest.mark.parametrize("language", LANGUAGES)
def test_start_screen(snap_compare: Any, catalog: Catalog, language: str) -> None:
    assert snap_compare(fake_app(catalog, language), run_before=still)


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_screen_guide(snap_compare: Any, catalog: Catalog, language: str) -> None:
    app = fake_app(catalog, language, done=article(catalog)[:3])
    assert snap_compare(app, run_before=in_lab())


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_screen_parameters(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, done=article(catalog)[:3])
    assert snap_compare(app, run_before=in_lab("p"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_screen_live_log(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, done=article(catalog)[:5])
    assert snap_compare(app, run_before=in_lab("d"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_screen_checks_pending(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, done=article(catalog)[:9])
    assert snap_compare(app, run_before=in_lab("up", "c"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_screen_troubleshooting(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    async def diagnose(pilot: Pilot[Any]) -> None:
        await in_lab(then=lambda lab: lab.reveal_tip("nginx-stopped"))(pilot)
        await pilot.press("enter")
        await still(pilot)

    app = fake_app(catalog, language, done=article(catalog), broken=True)
    assert snap_compare(app, run_before=diagnose)


@pytest.mark.parametrize("language", LANGUAGES)
def test_lab_screen_wide_all_goals_pass(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, done=article(catalog))
    assert snap_compare(app, run_before=in_lab("e", "c"), terminal_size=(160, 40))


@pytest.mark.parametrize("language", LANGUAGES)
def test_goal_dialog(snap_compare: Any, catalog: Catalog, language: str) -> None:
    app = fake_app(catalog, language, done=article(catalog), broken=True)
    run_before = in_lab(then=lambda lab: lab.show_goal("targets-healthy"))
    assert snap_compare(app, run_before=run_before)


@pytest.mark.parametrize("language", LANGUAGES)
def test_confirm_dialog_before_creating_in_aws(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, where="aws", done=article(catalog)[:5])
    assert snap_compare(app, run_before=in_lab("d"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_dialog(snap_compare: Any, catalog: Catalog, language: str) -> None:
    expired = LabguideError(
        "The SSO session of profile 'workshop' has expired or never started.",
        "Run `aws sso login --profile workshop` and try again.",
    )
    app = fake_app(catalog, language, where="aws", connect_error=expired)
    assert snap_compare(app, run_before=still)


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_screen(snap_compare: Any, catalog: Catalog, language: str) -> None:
    app = fake_app(catalog, language, done=article(catalog)[:3])
    assert snap_compare(app, run_before=in_lab("question_mark"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_teardown_screen_plan(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, done=article(catalog))
    assert snap_compare(app, run_before=in_lab("T"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_teardown_screen_nothing_left(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, done=article(catalog))
    assert snap_compare(app, run_before=in_lab("T", "y"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_session_manager_in_the_sandbox(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, done=article(catalog))
    assert snap_compare(app, run_before=in_lab("s"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_instance_picker_in_aws(
    snap_compare: Any, catalog: Catalog, language: str
) -> None:
    app = fake_app(catalog, language, where="aws", done=article(catalog))
    assert snap_compare(app, run_before=in_lab("s"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_session_manager_without_its_plugin(
    snap_compare: Any, catalog: Catalog, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "labguide.tui.screens.lab.shutil.which",
        lambda tool: "/usr/local/bin/aws" if tool == "aws" else None,
    )
    app = fake_app(catalog, language, where="aws", done=article(catalog))
    assert snap_compare(app, run_before=in_lab("s", "enter"))
