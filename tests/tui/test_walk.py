"""The guide against the sandbox, driven from the UI only: keys, clicks and
what the screen shows. Each test has its own participant (its own lab in the
shared sandbox) and its own sessions folder."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from conftest import REGION, open_lab, settle, until
from textual.widgets import Input, OptionList, RichLog, Select, TabbedContent

from labguide.catalog.models import Catalog
from labguide.sandbox import Sandbox, control
from labguide.sandbox.daemon import SandboxInfo
from labguide.sandbox.drills import DRILLS, start_drill
from labguide.tui import GuideApp
from labguide.tui.screens import (
    ErrorScreen,
    GoalScreen,
    LabScreen,
    StartScreen,
    TeardownScreen,
)

pytestmark = pytest.mark.asyncio

Guide = Callable[..., GuideApp]


def statuses(lab: LabScreen) -> dict[str, str | None]:
    """Each goal as the goals panel shows it."""
    return {
        goal.id: lab.goal_views.get(goal.id).status
        if goal.id in lab.goal_views
        else None
        for goal in lab.catalog.goals
    }


def log_text(lab: LabScreen) -> str:
    """The live log as one line (the log wraps long lines at spaces)."""
    lines = lab.query_one("#log", RichLog).lines
    return re.sub(r"\s+", " ", " ".join(line.text for line in lines))


def prompt(lab: LabScreen, list_id: str, option_id: str) -> str:
    options = lab.query_one(list_id, OptionList)
    return str(options.get_option(option_id).prompt)


def sandbox_info(sandbox: Sandbox) -> SandboxInfo:
    return SandboxInfo(os.getpid(), "127.0.0.1", sandbox.port, "")


async def test_the_whole_lab_from_the_ui_steps_done_goals_ticking(
    guide: Guide, catalog: Catalog, sandbox: Sandbox
) -> None:
    app = guide("walk", recheck_seconds=0.2)
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        assert lab.current == catalog.steps[0].id
        assert "Sandbox" in str(lab.query_one("#place").render())

        ticked_after: dict[str, str] = {}
        for step in [s for s in catalog.steps if s.article]:
            await pilot.press("n")
            assert lab.current == step.id
            await pilot.press("d")
            await until(
                pilot,
                lambda s=step: (
                    lab.session.step_status(s.id) == "done" and not lab.performing
                ),
            )

            # The step shows done, its log shows each call with its resource.
            assert prompt(lab, "#steps", step.id).startswith("✔")
            assert step.title.en in log_text(lab)
            for goal, status in statuses(lab).items():
                if status == "passed":
                    ticked_after.setdefault(goal, step.id)
                    assert prompt(lab, "#goals", goal).startswith("✔")

        # Each goal ticks once its step is done; the page through the ALB
        # needs the instances too, and CloudTrail the backup plan's event.
        expected = {goal.id: goal.step for goal in catalog.goals}
        expected.update({"web-via-alb": "asg", "cloudtrail": "backup"})
        del expected["alarm-notification"]  # the e-mail waits for its click
        assert ticked_after == expected

        # Long ids fold across lines: look for them with the folds undone.
        log = "".join(log_text(lab).split())
        for mark in ("vpc-", "subnet-", "sg-", "lt-", "loadbalancer/app/", "i-"):
            assert mark in log, mark
        assert lab.session.next_step() is None

        # Pending checks re-run by themselves: the e-mail's link, clicked
        # outside the guide, turns the last goal green with no key pressed.
        assert statuses(lab)["alarm-notification"] == "pending"
        control(
            sandbox_info(sandbox), "/confirm-email", {"endpoint": "walk@example.com"}
        )
        await until(pilot, lambda: set(statuses(lab).values()) == {"passed"})
        assert "7/7" in str(lab.query_one("#goals-title").render())
        assert "All seven goals pass" in str(lab.query_one("#guidance").render())
        assert all(prompt(lab, "#goals", g.id).startswith("✔") for g in catalog.goals)


async def test_quit_halfway_then_resume_at_the_same_step_and_ticks(
    guide: Guide, catalog: Catalog
) -> None:
    app = guide("resume")
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        for _ in range(8):
            await pilot.press("n", "d")
            await until(pilot, lambda: not lab.performing)
        ticks = statuses(lab)
        upcoming = lab.session.next_step()
        assert upcoming is not None and upcoming.number == 9
        assert [g for g, s in ticks.items() if s == "passed"] == [
            "web-via-alb",
            "targets-healthy",
            "session-manager",
        ]
        await pilot.press("q")
    assert not app.is_running

    again = guide("someone-else")
    async with again.run_test(size=(100, 30)) as pilot:
        start = again.screen
        assert isinstance(start, StartScreen)
        await until(pilot, lambda: bool(start.sessions))
        line = start.session_line(start.sessions[0])
        assert "resume" in line and "8/12 steps, 3/7 goals" in line, line

        await pilot.click("#sessions", offset=(2, 0))
        await until(pilot, lambda: isinstance(again.screen, LabScreen))
        lab = again.screen
        assert isinstance(lab, LabScreen)
        assert lab.session.state.participant == "resume"
        assert lab.current == upcoming.id
        # The ticks are back (reconciling may find more done than before: the
        # CloudWatch agent makes the log groups of step 10 by itself).
        await settle(pilot)
        after = statuses(lab)
        assert {g: s for g, s in ticks.items() if s} == {
            g: after[g] for g, s in ticks.items() if s
        }
        assert prompt(lab, "#steps", catalog.steps[7].id).startswith("✔")
        assert prompt(lab, "#steps", upcoming.id).startswith("·")


async def test_a_drill_diagnosed_and_fixed_through_the_troubleshooting_tab(
    guide: Guide, catalog: Catalog, sandbox: Sandbox
) -> None:
    app = guide("drill")
    async with app.run_test(size=(120, 40)) as pilot:
        lab = await open_lab(pilot)
        await pilot.press("a")
        await until(
            pilot, lambda: lab.session.next_step() is None and not lab.performing
        )
        await pilot.press("e")  # the sandbox's e-mail link
        await until(pilot, lambda: set(statuses(lab).values()) == {"passed"})

        drill = DRILLS["nginx-stopped"]
        start_drill(drill.name, sandbox.target(REGION), catalog, "drill")
        await pilot.press("r")
        await until(pilot, lambda: statuses(lab)[drill.goal] == "failed")
        assert prompt(lab, "#goals", drill.goal).startswith("✘")

        # The failing goal leads to its tip, in its step's troubleshooting tab.
        goals = lab.query_one("#goals", OptionList)
        goals.focus()
        goals.highlighted = goals.get_option_index(drill.goal)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, GoalScreen))
        await pilot.press("t")
        await until(pilot, lambda: app.screen is lab and bool(lab.instances))
        assert lab.query_one(TabbedContent).active == "tips"
        owner = next(
            s
            for s in catalog.steps
            if any(t.id == drill.name for t in s.troubleshooting)
        )
        assert lab.current == owner.id

        # Its diagnostics, run through Run Command on the broken instance.
        broken = sorted(i.id for i in lab.instances)[0]
        lab.query_one("#instance", Select).value = broken
        await pilot.pause()
        assert app.focused is not None and app.focused.has_class("tip-run")
        await pilot.press("enter")
        await until(pilot, lambda: "$ ss -lntp" in lab.outputs.get(drill.name, ""))
        output = lab.outputs[drill.name]
        assert broken in output and "inactive (dead)" in output, output

        # The fix, typed as a command for Run Command, then a check again.
        command = lab.query_one("#command", Input)
        command.focus()
        await pilot.press(*"sudo systemctl start nginx", "enter")
        await until(
            pilot,
            lambda: "$ sudo systemctl start nginx" in lab.outputs.get("command", ""),
        )
        await pilot.press("shift+tab", "r")
        await until(pilot, lambda: set(statuses(lab).values()) == {"passed"})


async def test_teardown_from_the_ui_ends_with_nothing_left_billing(
    guide: Guide, catalog: Catalog
) -> None:
    app = guide("teardown")
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        await pilot.press("a")
        await until(
            pilot, lambda: lab.session.next_step() is None and not lab.performing
        )
        assert lab.costs is not None and lab.costs.now > 0

        await pilot.press("T")
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, TeardownScreen) and app.screen.plan is not None
            ),
        )
        screen = app.screen
        assert isinstance(screen, TeardownScreen)
        assert len(screen.plan or []) > 15
        assert "Press y" in str(screen.query_one("#teardown-intro").render())

        await pilot.press("y")
        await until(pilot, lambda: screen.finished is not None)
        assert set(screen.states.values()) == {"deleted"}
        result = str(screen.query_one("#teardown-result").render())
        assert "Nothing of the lab is left billing" in result, result
        assert screen.costs is not None and screen.costs.now == 0

        await pilot.press("escape")
        await until(pilot, lambda: app.screen is lab)
        assert all(
            lab.session.step_status(s.id) == "not-started"
            for s in catalog.steps
            if s.article
        )
        assert prompt(lab, "#steps", catalog.steps[-1].id).startswith("✔")
        assert not any(statuses(lab).values())
        assert lab.session.teardown_plan() == []


async def test_a_profile_without_credentials_shows_the_fix_not_a_traceback(
    guide: Guide, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config"
    config.write_text("[profile nokeys]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)

    app = guide("nokeys", where="aws", profile="nokeys")
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ErrorScreen))
        dialog = app.screen
        assert isinstance(dialog, ErrorScreen)
        assert "No AWS credentials were found" in dialog.message
        assert dialog.fix and "aws configure" in dialog.fix
        await pilot.press("escape")
        start = app.screen
        assert isinstance(start, StartScreen)
        assert "No AWS credentials" in str(start.query_one("#identity").render())


async def test_done_by_hand_the_checks_decide_and_a_step_brings_what_it_needs(
    guide: Guide, catalog: Catalog
) -> None:
    app = guide("byhand")
    async with app.run_test(size=(100, 30)) as pilot:
        lab = await open_lab(pilot)
        first = catalog.steps[0]

        # Nothing was made in the console: the checks say the step is not done.
        await pilot.press("m")
        await until(pilot, lambda: not lab.performing)
        assert lab.session.step_status(first.id) != "done"
        assert lab.check_results[first.checks[0]].status == "failed"
        assert prompt(lab, "#steps", first.id)[0] in "≈✘"

        # Doing a later step for the learner does the steps it needs first.
        group = catalog.step("asg")
        steps = lab.query_one("#steps", OptionList)
        steps.focus()
        steps.highlighted = steps.get_option_index(group.id)
        await settle(pilot)
        assert "needs step(s) 1, 2, 3, 4, 5" in str(lab.query_one("#guidance").render())
        await pilot.press("d")
        await until(pilot, lambda: not lab.performing)
        needed = {first.id, group.id}
        waiting = list(group.depends_on)
        while waiting:
            step = catalog.step(waiting.pop())
            needed.add(step.id)
            waiting += step.depends_on
        done = {s.id for s in catalog.steps if lab.session.step_status(s.id) == "done"}
        assert done == needed

        # A step that makes nothing, said to be done by hand: the checks agree.
        manual = catalog.step("session-manager")
        steps.highlighted = steps.get_option_index(manual.id)
        await settle(pilot)
        await pilot.press("m")
        await until(pilot, lambda: not lab.performing)
        assert lab.session.step_status(manual.id) == "done"
        assert all(lab.check_results[c].status == "passed" for c in manual.checks)
        assert statuses(lab)["session-manager"] == "passed"
