"""The guide's dialogs: confirmations before touching a real account, errors
with their fix, a goal's evidence, an instance to pick, Session Manager."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Markdown, OptionList, Static
from textual.widgets.option_list import Option

from labguide.catalog.models import Goal
from labguide.tui.engine import Connection, Costs
from labguide.tui.pages import code, goal_page, money
from labguide.tui.screens._speaks import Speaks

if TYPE_CHECKING:
    from labguide.engine.checks.result import CheckResult
    from labguide.engine.diagnostics import Instance


class ConfirmScreen(Speaks, ModalScreen[bool]):
    """Asks before anything is created or deleted in a real AWS account,
    showing the account, the region and what it costs by the hour.

    Args:
        deleting: whether the lab's resources are about to be deleted (else
            created).
        connection: the account and caller.
        costs: the hourly estimates, if known yet.
        count: how many resources are about to go (deleting only).
        what: the work about to run, in a line (creating only).
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="yes"),
        Binding("n,escape", "answer(False)", "No", id="no"),
    ]

    def __init__(
        self,
        deleting: bool,
        connection: Connection,
        costs: Costs | None,
        count: int = 0,
        what: str = "",
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.deleting = deleting
        self.connection = connection
        self.costs = costs
        self.count = count
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(classes="dialog-title")
            yield Static(id="confirm-body")
            with Horizontal(classes="dialog-buttons"):
                yield Button(
                    id="yes",
                    variant="error" if self.deleting else "primary",
                    compact=True,
                )
                yield Button(id="no", compact=True)

    def on_mount(self) -> None:
        self.translate()
        self.query_one("#no", Button).focus()

    def translate(self) -> None:
        super().translate()
        kind = "delete" if self.deleting else "create"
        self.query_one(".dialog-title", Label).update(self.say(f"confirm.{kind}-title"))
        place = self.connection.place
        lines = [self.what] if self.what else []
        lines += [
            self.say("confirm.account", account=self.connection.account),
            self.say("confirm.caller", caller=self.connection.arn),
            self.say("confirm.region", region=place.region),
        ]
        if place.profile:
            lines.append(self.say("confirm.profile", profile=place.profile))
        costs = self.costs
        if costs is not None:
            if self.deleting:
                lines.append(
                    self.say(
                        "confirm.delete-cost",
                        count=self.count,
                        now=money(costs.now, costs.currency),
                    )
                )
            else:
                lines.append(
                    self.say(
                        "confirm.create-cost",
                        now=money(costs.now, costs.currency),
                        lab=money(costs.whole_lab, costs.currency),
                        day=money(costs.whole_lab * 24, costs.currency),
                    )
                )
        lines.append(self.say(f"confirm.{kind}-question"))
        self.query_one("#confirm-body", Static).update("\n".join(lines))
        self.query_one("#yes", Button).label = self.say("confirm.yes")
        self.query_one("#no", Button).label = self.say("confirm.no")

    def action_answer(self, yes: bool) -> None:
        """Closes the dialog with the answer."""
        self.dismiss(yes)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ErrorScreen(Speaks, ModalScreen[None]):
    """A problem the learner can fix: what is wrong, and how to fix it."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="close")]

    def __init__(self, message: str, fix: str | None) -> None:
        super().__init__(classes="dialog-screen")
        self.message = message
        self.fix = fix

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -error"):
            yield Label(classes="dialog-title")
            yield Static(Content(self.message), id="error-message")
            yield Static(id="error-fix")
            with Horizontal(classes="dialog-buttons"):
                yield Button(id="close", compact=True)

    def on_mount(self) -> None:
        self.translate()
        self.query_one("#close", Button).focus()

    def translate(self) -> None:
        super().translate()
        self.query_one(".dialog-title", Label).update(self.say("error.title"))
        fix = self.query_one("#error-fix", Static)
        fix.display = bool(self.fix)
        if self.fix:
            fix.update(
                Content.assemble((self.say("error.fix") + " ", "bold"), self.fix)
            )
        self.query_one("#close", Button).label = self.say("error.close")

    def action_close(self) -> None:
        """Closes the dialog."""
        self.dismiss(None)

    @on(Button.Pressed)
    def pressed(self) -> None:
        self.dismiss(None)


class GoalScreen(Speaks, ModalScreen[tuple[str, str] | None]):
    """A goal: what passing it proves, its checks and their evidence.

    Dismissed with `("step", id)` to open the goal's step, `("tip", id)` to
    open the tip a failing check points to, or None.
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="close"),
        Binding("s", "open_step", "Open the step", id="goal-step"),
        Binding("t", "open_tip", "Troubleshoot", id="goal-tip"),
    ]

    def __init__(
        self, goal: Goal, status: str | None, results: Sequence[CheckResult]
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.goal = goal
        self.status = status
        self.results = list(results)

    @property
    def tip(self) -> str | None:
        """The tip of the first failing check, if any."""
        return next((r.tip for r in self.results if r.tip), None)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide -tall"):
            yield Label(classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Markdown(id="goal-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(id="goal-step", compact=True)
                if self.tip:
                    yield Button(id="goal-tip", variant="warning", compact=True)
                yield Button(id="close", compact=True)

    def on_mount(self) -> None:
        self.translate()
        self.query_one("#close", Button).focus()

    def translate(self) -> None:
        super().translate()
        language = self.guide.language
        self.query_one(".dialog-title", Label).update(self.goal.title.get(language))
        self.query_one("#goal-text", Markdown).update(
            goal_page(
                self.guide.catalog, self.goal, self.status, self.results, language
            )
        )
        self.query_one("#goal-step", Button).label = self.say("goal.open-step")
        for button in self.query("#goal-tip").results(Button):
            button.label = self.say("goal.open-tip")
        self.query_one("#close", Button).label = self.say("error.close")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_tip":
            return self.tip is not None
        return True

    def action_close(self) -> None:
        """Closes the dialog."""
        self.dismiss(None)

    def action_open_step(self) -> None:
        """Opens the goal's step."""
        self.dismiss(("step", self.goal.step))

    def action_open_tip(self) -> None:
        """Opens the tip of the failing check."""
        if self.tip:
            self.dismiss(("tip", self.tip))

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "goal-step":
            self.action_open_step()
        elif event.button.id == "goal-tip":
            self.action_open_tip()
        else:
            self.action_close()


class InstanceScreen(Speaks, ModalScreen[str | None]):
    """Picks one of the lab's instances (for Session Manager)."""

    BINDINGS = [Binding("escape", "close", "Close", id="close")]

    def __init__(self, instances: Sequence[Instance]) -> None:
        super().__init__(classes="dialog-screen")
        self.instances = list(instances)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(classes="dialog-title")
            yield OptionList(
                *[
                    Option(
                        instance.label(), id=instance.id, disabled=not instance.online
                    )
                    for instance in self.instances
                ],
                id="instance-list",
            )
            yield Static(id="instance-hint", classes="dialog-hint")

    def on_mount(self) -> None:
        self.translate()
        self.query_one(OptionList).focus()

    def translate(self) -> None:
        super().translate()
        self.query_one(".dialog-title", Label).update(self.say("instance.title"))
        self.query_one("#instance-hint", Static).update(self.say("instance.hint"))

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_close(self) -> None:
        """Closes the dialog without a choice."""
        self.dismiss(None)


class SessionManagerScreen(Speaks, ModalScreen[bool]):
    """Explains Session Manager where the guide cannot open it: in the
    sandbox (whose instances have no shell: the diagnostics stand in), in a
    browser, or without the AWS CLI or its Session Manager plugin.

    Dismissed with True when the learner wants the diagnostics instead.
    """

    BINDINGS = [
        Binding("escape", "close", "Close", id="close"),
        Binding("d", "diagnostics", "Diagnostics", id="diagnostics"),
    ]

    def __init__(
        self,
        sandbox: bool,
        missing: Sequence[str] = (),
        command: str = "",
        web: bool = False,
    ) -> None:
        super().__init__(classes="dialog-screen")
        self.sandbox = sandbox
        self.missing = list(missing)
        self.command = command
        self.web = web

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide"):
            yield Label(classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Markdown(id="shell-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(id="diagnostics", variant="primary", compact=True)
                yield Button(id="close", compact=True)

    def on_mount(self) -> None:
        self.translate()
        self.query_one("#diagnostics", Button).focus()

    def translate(self) -> None:
        super().translate()
        self.query_one(".dialog-title", Label).update(self.say("shell.title"))
        parts: list[str] = []
        if self.sandbox:
            parts += [self.say("shell.sandbox"), self.say("shell.sandbox-diagnostics")]
        else:
            if self.web:
                parts.append(self.say("shell.web"))
            for tool in self.missing:
                parts.append(self.say(f"shell.missing-{tool}"))
            if self.command:
                parts.append(self.say("shell.then") + "\n\n" + code(self.command))
            parts.append(self.say("shell.diagnostics"))
        self.query_one("#shell-text", Markdown).update("\n\n".join(parts))
        self.query_one("#diagnostics", Button).label = self.say(
            "shell.open-diagnostics"
        )
        self.query_one("#close", Button).label = self.say("error.close")

    def action_close(self) -> None:
        """Closes the dialog."""
        self.dismiss(False)

    def action_diagnostics(self) -> None:
        """Closes the dialog and opens the diagnostics."""
        self.dismiss(True)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "diagnostics")
