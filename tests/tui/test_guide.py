"""The guide's behaviour around the lab: safety before touching a real
account, cancelling, languages, the palette, the layout at 80x24, Session
Manager and the class view. The fake engine stands in for AWS where the
point is the guide's own behaviour; the class view runs on the sandbox."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from conftest import open_lab, settle, until
from fakes import INSTANCES, article, fake_app

from labguide.catalog.models import Catalog
from labguide.tui import GuideApp
from labguide.tui.screens import (
    ConfirmScreen,
    InstanceScreen,
    LabScreen,
    TeardownScreen,
)
from labguide.tui.words import say

pytestmark = pytest.mark.asyncio


def text(widget: Any) -> str:
    return str(widget.render())


async def test_in_aws_creating_and_deleting_wait_for_a_confirmation(
    catalog: Catalog,
) -> None:
    app = fake_app(catalog, "en", where="aws", done=article(catalog)[:5])
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        assert "AWS 123456789012" in text(lab.query_one("#place"))
        assert "$0.065/h" in text(lab.query_one("#cost"))

        await pilot.press("d")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen)
        body = text(dialog.query_one("#confirm-body"))
        for shown in ("Step 6", "123456789012", "us-east-1", "$0.065/h", "a day"):
            assert shown in body, (shown, body)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is lab
        assert lab.session.step_status("alb") == "not-started"

        await pilot.press("d", "y")
        await until(pilot, lambda: lab.session.step_status("alb") == "done")

        await pilot.press("T")
        await until(pilot, lambda: isinstance(app.screen, TeardownScreen))
        teardown = app.screen
        assert isinstance(teardown, TeardownScreen)
        await until(pilot, lambda: teardown.plan is not None)
        await pilot.press("y")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ConfirmScreen) and dialog.deleting
        assert "7 resource(s)" in text(dialog.query_one("#confirm-body"))
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is teardown and teardown.finished is None


async def test_long_work_can_be_cancelled_and_the_guide_stays_responsive(
    catalog: Catalog,
) -> None:
    app = fake_app(catalog, "en", slow=True)
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert lab.performing
        assert lab.check_action("cancel", ()) is True
        assert "x" in lab.active_bindings

        # The engine works in a thread: the guide answers keys meanwhile.
        await pilot.press("p")
        assert lab.query_one("TabbedContent").active == "parameters"
        await pilot.press("x")
        await until(pilot, lambda: not lab.performing)
        assert lab.session.step_status(lab.current) == "not-started"
        assert lab.check_action("cancel", ()) is False


async def test_the_language_switches_everywhere_at_once(catalog: Catalog) -> None:
    app = fake_app(catalog, "en", done=article(catalog)[:3])
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        step = lab.step
        await pilot.press("l")
        await settle(pilot)
        assert app.language == "ja"
        assert "サンドボックス" in text(lab.query_one("#place"))
        assert step.title.ja in text(lab.query_one("#step-title"))
        assert lab.query_one("TabbedContent").get_tab("guide").label.plain == "解説"
        assert lab.active_bindings["d"].binding.description == "実行"
        await pilot.press("l")
        await settle(pilot)
        assert lab.active_bindings["d"].binding.description == "Do it"


async def test_every_action_is_in_the_command_palette(catalog: Catalog) -> None:
    app = fake_app(catalog, "en", done=article(catalog))
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        titles = [command.title for command in app.get_system_commands(lab)]
        for binding in LabScreen.BINDINGS:
            action = binding.action.split("(")[0]  # type: ignore[union-attr]
            if lab.check_action(action, ()) is False:
                continue  # cancelling, with nothing to cancel
            assert say(f"key.{binding.id}", "en") in titles, binding  # type: ignore[union-attr]
        for step in catalog.steps:
            assert f"Step {step.number}: {step.title.en}" in titles
        for goal in catalog.goals:
            assert f"Goal: {goal.title.en}" in titles
        assert sum(title.startswith("Tip: ") for title in titles) == len(catalog.tips())
        assert "Class view (instructor)" in titles

        # And the palette itself reaches them.
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Clean up", "enter")
        await until(pilot, lambda: isinstance(app.screen, TeardownScreen))


async def test_at_80x24_every_step_and_goal_is_in_view(catalog: Catalog) -> None:
    app = fake_app(catalog, "ja", done=article(catalog)[:3])
    async with app.run_test(size=(80, 24)) as pilot:
        lab = await open_lab(pilot)
        steps = lab.query_one("#steps")
        goals = lab.query_one("#goals")
        assert steps.region.height >= len(catalog.steps)
        assert goals.region.height >= len(catalog.goals)
        assert goals.region.bottom <= 23  # above the footer
        assert lab.query_one("#cost").region.right <= 80
        assert lab.has_class("-narrow")
        await pilot.resize_terminal(160, 40)
        await settle(pilot)
        assert lab.has_class("-wide")
        assert goals.region.x > lab.query_one("#main").region.x


async def test_session_manager_hands_the_terminal_to_aws_ssm_start_session(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(
        "labguide.tui.screens.lab.shutil.which", lambda tool: f"/usr/bin/{tool}"
    )
    monkeypatch.setattr(
        "labguide.tui.screens.lab.subprocess.call",
        lambda command: calls.append(command) or 0,
    )

    @contextlib.contextmanager
    def suspended() -> Iterator[None]:
        yield

    app = fake_app(catalog, "en", where="aws", done=article(catalog))
    async with app.run_test(size=(100, 30)) as pilot:
        monkeypatch.setattr(app, "suspend", suspended)
        await open_lab(pilot)
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, InstanceScreen))
        await pilot.press("enter")
        await settle(pilot)
    assert calls == [
        ["aws", "ssm", "start-session", "--target", INSTANCES[0].id]
        + ["--region", "us-east-1"]
    ]


async def test_the_class_view_opens_from_the_palette(
    guide: Callable[..., GuideApp],
) -> None:
    from labguide.tui.class_screen import ClassScreen

    app = guide("classview")
    async with app.run_test(size=(120, 30)) as pilot:
        lab = await open_lab(pilot)
        await pilot.press("d")
        await until(pilot, lambda: not lab.performing)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Class view", "enter")
        await until(pilot, lambda: isinstance(app.screen, ClassScreen))
        screen = app.screen
        assert isinstance(screen, ClassScreen)
        await until(pilot, lambda: screen.report is not None)
        table = screen.query_one("#class-table")
        rows = [str(table.get_row_at(i)[0]) for i in range(table.row_count)]
        assert any("classview" in row for row in rows), rows


async def test_a_defect_is_a_notification_pointing_at_the_log_not_a_traceback(
    catalog: Catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = fake_app(catalog, "en", done=article(catalog))

    def broken(session: Any) -> list[Any]:
        raise RuntimeError("the engine tripped")

    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        monkeypatch.setattr(app.engine, "instances", broken)
        lab.open_step("asg")
        await pilot.press("t")
        await settle(pilot)
        messages = [notification.message for notification in app._notifications]
        assert any(
            "Something went wrong: the engine tripped" in m and "labguide.log" in m
            for m in messages
        ), messages
        assert app.screen is lab
