"""The lab screen: the steps, the seven goals, and the step at hand with its
explanation, parameters, live log, checks and troubleshooting."""

from __future__ import annotations

import datetime as dt
import shlex
import shutil
import subprocess
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import (
    Button,
    DataTable,
    Footer,
    Input,
    Label,
    Markdown,
    OptionList,
    RichLog,
    Select,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import Worker

from labguide.catalog.models import Step
from labguide.tui.engine import Connection, Costs, Session
from labguide.tui.messages import Progress
from labguide.tui.pages import checks_page, step_page, tip_page
from labguide.tui.screens._speaks import Speaks
from labguide.tui.screens.dialogs import (
    ConfirmScreen,
    GoalScreen,
    InstanceScreen,
    SessionManagerScreen,
)
from labguide.tui.widgets import GoalList, GoalView, StepList, TipView

if TYPE_CHECKING:
    from labguide.engine.checks.result import CheckResult
    from labguide.engine.diagnostics import Instance
    from labguide.engine.session import GoalResult, RunResult

TEARDOWN_ACTION = "tear-down"
"""The action of the cleanup step, which has a screen of its own."""
TABS = ("guide", "parameters", "do", "checks", "tips")
MARKDOWN_TABS = {"#guide-text": "guide", "#checks-text": "checks"}
"""The Markdown of each tab, rendered only while the tab shows."""
LOG_STYLES = {
    "created": "green",
    "updated": "cyan",
    "deleted": "magenta",
    "done": "bold green",
    "failed": "bold red",
    "warning": "yellow",
    "wait": "yellow",
}
SHELL_TOOLS = ("aws", "session-manager-plugin")
"""What `aws ssm start-session` needs on the learner's machine."""


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Parameters as (path, value) rows: `subnets[0].cidr`, `10.0.1.0/24`."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key, item in value.items():
            rows += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return rows
    if isinstance(value, list) and any(isinstance(i, (dict, list)) for i in value):
        rows = []
        for index, item in enumerate(value):
            rows += flatten(item, f"{prefix}[{index}]")
        return rows
    if isinstance(value, list):
        return [(prefix, ", ".join(str(item) for item in value))]
    return [(prefix, "—" if value is None else str(value))]


class LabScreen(Speaks, Screen[None]):
    """One participant's lab: what to do next, and everything to do it.

    Args:
        session: the open session (the screen closes it when it goes).
        connection: where it runs and as whom.
    """

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-medium"), (140, "-wide")]

    BINDINGS = [
        Binding("d", "perform", "Do it", id="perform"),
        Binding("m", "done_by_hand", "By hand", id="done-by-hand"),
        Binding("n", "next_step", "Next", id="next-step"),
        Binding("r", "recheck", "Check", id="recheck"),
        Binding("e", "confirm_email", "Confirm e-mail", id="confirm-email"),
        Binding("x", "cancel", "Cancel", id="cancel"),
        Binding("a", "perform_all", "Do all", id="perform-all", show=False),
        Binding("T", "teardown", "Clean up", id="teardown", show=False),
        Binding("s", "session_manager", "Shell", id="session-manager", show=False),
        Binding("l", "language", "Language", id="language", show=False),
        Binding("g", "tab('guide')", "Guide", id="tab-guide", show=False),
        Binding(
            "p", "tab('parameters')", "Parameters", id="tab-parameters", show=False
        ),
        Binding("o", "tab('do')", "Log", id="tab-do", show=False),
        Binding("c", "tab('checks')", "Checks", id="tab-checks", show=False),
        Binding("t", "tab('tips')", "Tips", id="tab-tips", show=False),
        Binding("w", "save_report", "Report", id="report", show=False),
        Binding("b", "back", "Start screen", id="back", show=False),
        Binding("question_mark,f1", "help", "Help", id="help"),
        Binding("q", "quit_guide", "Quit", id="quit"),
    ]

    class Performed(Message):
        """Steps were performed (or marked done by hand) and checked."""

        def __init__(
            self,
            result: RunResult | None,
            step_ids: list[str],
            checks: dict[str, CheckResult],
            goals: list[GoalResult],
            costs: Costs,
        ) -> None:
            self.result = result
            self.step_ids = step_ids
            self.checks = checks
            self.goals = goals
            self.costs = costs
            super().__init__()

    class Checked(Message):
        """Checks and goals were checked again."""

        def __init__(
            self, checks: dict[str, CheckResult], goals: list[GoalResult], costs: Costs
        ) -> None:
            self.checks = checks
            self.goals = goals
            self.costs = costs
            super().__init__()

    class InstancesFound(Message):
        """The group's instances were listed."""

        def __init__(self, instances: list[Instance]) -> None:
            self.instances = instances
            super().__init__()

    class Diagnosed(Message):
        """Diagnostic commands ran on an instance."""

        def __init__(self, key: str, text: str) -> None:
            self.key = key
            self.text = text
            super().__init__()

    class EmailConfirmed(Message):
        """The sandbox confirmed the e-mail subscription."""

        def __init__(self, count: int) -> None:
            self.count = count
            super().__init__()

    class ReportSaved(Message):
        """The report was written."""

        def __init__(self, path: Path) -> None:
            self.path = path
            super().__init__()

    def __init__(self, session: Session, connection: Connection) -> None:
        super().__init__()
        self.session = session
        self.connection = connection
        self.catalog = session.catalog
        # All done: what is left is the cleanup step, the last one.
        first = session.next_step() or self.catalog.steps[-1]
        self.current = first.id
        self.check_results: dict[str, CheckResult] = {}
        self.goal_views: dict[str, GoalView] = {
            goal_id: GoalView(saved.get("status"))
            for goal_id, saved in session.state.goals.items()
        }
        self.goal_results: dict[str, GoalResult] = {}
        self.instances: list[Instance] = []
        self.outputs: dict[str, str] = {}
        self.costs: Costs | None = None
        self.performing: str | None = None
        self.checking = False
        self.shell_wanted = False
        self.stop_diagnostics = threading.Event()
        self.shown: dict[str, str] = {}
        self.wanted: dict[str, str] = {}
        self.keys_shown: tuple[object, ...] = ()

    # Layout

    def compose(self) -> ComposeResult:
        with Horizontal(id="bar"):
            yield Static(id="place")
            yield Static(id="cost")
        with Grid(id="body"):
            with Vertical(id="steps-panel"):
                yield Label(id="steps-title", classes="panel-title")
                yield StepList(self.catalog.steps, self.current, id="steps")
            with Vertical(id="main"):
                yield Static(id="guidance")
                yield Static(id="step-title")
                with TabbedContent(id="tabs", initial="guide"):
                    with TabPane("guide", id="guide"):
                        with VerticalScroll():
                            yield Markdown(id="guide-text")
                    with TabPane("parameters", id="parameters"):
                        yield DataTable(
                            id="parameter-table",
                            cursor_type="row",
                            zebra_stripes=True,
                            show_header=False,
                        )
                    with TabPane("do", id="do"):
                        with Horizontal(id="do-buttons"):
                            yield Button(id="perform", variant="primary", compact=True)
                            yield Button(id="by-hand", compact=True)
                            yield Button(id="perform-all", compact=True)
                        yield RichLog(id="log", wrap=True, min_width=20, max_lines=5000)
                    with TabPane("checks", id="checks"):
                        with VerticalScroll():
                            yield Markdown(id="checks-text", open_links=False)
                    with TabPane("tips", id="tips"):
                        with VerticalScroll(id="tips-scroll"):
                            with Vertical(id="instance-box"):
                                with Horizontal(classes="instance-row"):
                                    yield Label(id="instance-label")
                                    yield Select[str](
                                        [],
                                        id="instance",
                                        compact=True,
                                        allow_blank=True,
                                    )
                                with Horizontal(classes="instance-row"):
                                    yield Button(id="find-instances", compact=True)
                                    yield Button(id="shell", compact=True)
                            yield from self.tip_views()
                            yield Label(id="command-label")
                            yield Input(id="command", compact=True)
                            yield Static(id="command-output", classes="-empty")
            with Vertical(id="goals-panel"):
                yield Label(id="goals-title", classes="panel-title")
                yield GoalList(self.catalog.goals, id="goals")
        yield Footer(compact=True)

    def tip_views(self) -> Iterable[TipView]:
        """Every tip of the lab; only the current step's show."""
        for step in self.catalog.steps:
            for tip in step.troubleshooting:
                view = TipView(tip)
                view.add_class(f"step-{step.id}")
                yield view

    def on_mount(self) -> None:
        self.guide.relay.listen(self)
        self.translate()
        self.set_interval(self.guide.settings.recheck_seconds, self.recheck_pending)
        self.check_now(all_goals=True)

    def on_screen_resume(self) -> None:
        self.guide.relay.listen(self)
        self.refresh_view()

    def on_unmount(self) -> None:
        self.guide.relay.listen(None)
        self.stop_diagnostics.set()
        self.session.close()

    def on_resize(self, event: Resize) -> None:
        self.show_goals()

    def translate(self) -> None:
        super().translate()
        tabs = self.query_one(TabbedContent)
        for tab in TABS:
            tabs.get_tab(tab).label = self.say(f"tab.{tab}")
        self.query_one("#steps-title", Label).update(self.say("lab.steps"))
        self.query_one("#perform", Button).label = self.say("lab.perform")
        self.query_one("#by-hand", Button).label = self.say("lab.by-hand")
        self.query_one("#perform-all", Button).label = self.say("lab.perform-all")
        self.query_one("#instance-label", Label).update(self.say("lab.instance"))
        self.query_one("#instance", Select).prompt = self.say("lab.no-instance")
        self.query_one("#find-instances", Button).label = self.say("lab.find-instances")
        self.query_one("#shell", Button).label = self.say("lab.shell")
        self.query_one("#command-label", Label).update(self.say("lab.command"))
        self.query_one("#command", Input).placeholder = self.say("lab.command-hint")
        self.show_step()

    # The step at hand

    @property
    def step(self) -> Step:
        """The step open on the screen."""
        return self.catalog.step(self.current)

    def open_step(self, step_id: str) -> None:
        """Opens a step: its texts, parameters, checks and tips."""
        if step_id == self.current:
            return
        self.current = step_id
        self.query_one(StepList).point_at(step_id)
        self.show_step()
        if self.session.step_status(step_id) != "not-started":
            self.check_now()

    @on(OptionList.OptionHighlighted, "#steps")
    def step_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        # Highlights arrive after the fact: one the list has moved past since
        # (it starts on the first step, then goes to the current one) is old.
        if event.option_index != event.option_list.highlighted:
            return
        if event.option.id is not None:
            self.open_step(event.option.id)

    def show_step(self) -> None:
        """Renders the step at hand (after opening it, or in a new language)."""
        from labguide.catalog.naming import step_parameters

        step = self.step
        language = self.guide.language
        self.show_markdown("#guide-text", step_page(step, language))

        table = self.query_one("#parameter-table", DataTable)
        table.clear(columns=True)
        table.add_columns("name", "value")
        scoped = step_parameters(self.catalog, step, self.session.state.participant)
        table.add_rows(flatten(scoped.model_dump(mode="json")))

        for view in self.query(TipView):
            view.display = view.has_class(f"step-{step.id}")
        if self.query_one(TabbedContent).active == "tips":
            self.word_tips()
        has_instance_tips = any(tip.where == "instance" for tip in step.troubleshooting)
        self.query_one("#instance-box").display = has_instance_tips
        self.refresh_view()

    # Keeping the screen up to date

    def refresh_view(self) -> None:
        """Redraws what changes as work goes on: the bar, the steps, the goals,
        the guidance, and the step's checks."""
        statuses = {
            step.id: self.session.step_status(step.id) for step in self.catalog.steps
        }
        upcoming = self.session.next_step()
        self.query_one(StepList).show(
            statuses, self.guide.language, upcoming.id if upcoming else None
        )
        self.show_bar()
        self.show_goals()
        step = self.step
        status = statuses[step.id]
        self.query_one("#step-title", Static).update(
            Content.assemble(
                (f"{step.number}. {step.title.get(self.guide.language)}", "bold"),
                "  ",
                (self.say(f"status.{status}"), "$text-muted"),
            )
        )
        self.query_one("#guidance", Static).update(self.guidance(status, upcoming))
        self.show_markdown(
            "#checks-text",
            checks_page(
                self.catalog,
                step,
                {
                    c: self.check_results[c]
                    for c in step.checks
                    if c in self.check_results
                },
                self.guide.language,
                status != "not-started",
                self.guide.settings.recheck_seconds,
            ),
        )
        # The footer redraws itself on each refresh of the bindings: only
        # when what decides them has changed.
        keys = (self.performing, self.step.action, self.email_waits())
        if keys != self.keys_shown:
            self.keys_shown = keys
            self.refresh_bindings()

    def show_markdown(self, selector: str, text: str) -> None:
        """Shows Markdown once its tab is in view, and only if it changed:
        rendering Markdown takes a tenth of a second, and the screen redraws
        on every step event."""
        self.wanted[selector] = text
        if self.query_one(TabbedContent).active == MARKDOWN_TABS[selector]:
            self.flush_markdown(selector)

    def flush_markdown(self, selector: str) -> None:
        text = self.wanted.get(selector)
        if text is not None and self.shown.get(selector) != text:
            self.shown[selector] = text
            self.query_one(selector, Markdown).update(text)

    def word_tips(self) -> None:
        """Words the tips of the step at hand (the others wait their turn)."""
        language = self.guide.language
        endpoint = (
            self.connection.endpoint if self.connection.place.is_sandbox else None
        )
        for view in self.query(f".step-{self.current}").results(TipView):
            view.set_text(
                tip_page(view.tip, language, endpoint), self.say("lab.run-tip")
            )

    def show_bar(self) -> None:
        participant = self.session.state.participant
        self.query_one("#place", Static).update(
            self.place_line(self.connection, participant)
        )
        self.query_one("#cost", Static).update(self.cost_line(self.costs))

    def show_goals(self) -> None:
        passed = sum(1 for view in self.goal_views.values() if view.status == "passed")
        self.query_one("#goals-title", Label).update(
            self.say("lab.goals", passed=passed, total=len(self.catalog.goals))
        )
        self.query_one(GoalList).show(
            self.goal_views, self.guide.language, self.has_class("-wide")
        )

    def guidance(self, status: str, upcoming: Step | None) -> Content:
        """What to do now, in a sentence or two."""
        step = self.step
        say = self.say
        language = self.guide.language
        if self.performing:
            return Content.styled(
                say(f"guide.working-{self.performing}"), "$text-warning"
            )
        if step.action == TEARDOWN_ACTION:
            return Content(say("guide.cleanup"))
        results = [self.check_results.get(c) for c in step.checks]
        failing = [r for r in results if r is not None and r.status == "failed"]
        pending = [r for r in results if r is not None and r.status == "pending"]
        if status == "failed":
            error = self.session.state.steps[step.id].error or ""
            return Content.styled(say("guide.failed", error=error), "$text-error")
        if status == "drifted":
            return Content.styled(say("guide.drifted"), "$text-error")
        if status == "not-started":
            missing = [s.number for s in self.missing_dependencies(step)]
            if missing:
                numbers = ", ".join(str(n) for n in missing)
                return Content(say("guide.needs", numbers=numbers))
            return Content(say("guide.do-it"))
        if failing:
            return Content.styled(
                say("guide.done-failing", summary=failing[0].text("summary", language)),
                "$text-error",
            )
        hint = (
            say("guide.press-e")
            if self.connection.place.is_sandbox and self.email_waits()
            else ""
        )
        if pending:
            what = pending[0].text("waiting_for", language)
            waiting = say("guide.done-pending", what=what)
            return Content(waiting + hint)
        if upcoming is None:
            if all(
                self.goal_views.get(g.id, GoalView()).status == "passed"
                for g in self.catalog.goals
            ):
                return Content.styled(say("guide.all-passed"), "$text-success")
            return Content(say("guide.all-done") + hint)
        return Content(
            say(
                "guide.done-next",
                number=upcoming.number,
                title=upcoming.title.get(self.guide.language),
            )
        )

    def absorb(
        self, checks: dict[str, CheckResult], goals: list[GoalResult], costs: Costs
    ) -> None:
        """Takes in new check and goal results."""
        self.check_results.update(checks)
        for result in goals:
            self.goal_results[result.goal.id] = result
            self.check_results.update({c.check: c for c in result.checks})
            note = None
            if result.status == "pending":
                note = next(
                    (
                        c.words("waiting_for")
                        for c in result.checks
                        if c.status == "pending"
                    ),
                    None,
                )
            elif result.status == "failed":
                note = next(
                    (c.words("summary") for c in result.checks if c.status == "failed"),
                    None,
                )
            self.goal_views[result.goal.id] = GoalView(result.status, note)
        self.costs = costs

    # Checks, by themselves and on demand

    def due_goals(self) -> list[str]:
        """The goals whose step is done: the ones worth checking."""
        return [
            goal.id
            for goal in self.catalog.goals
            if self.session.step_status(goal.step) == "done"
        ]

    def check_now(self, all_goals: bool = True) -> None:
        """Checks the step at hand and the goals, in a worker."""
        if self.checking:
            return
        step = self.step
        started = self.session.step_status(step.id) != "not-started"
        goals = (
            self.due_goals()
            if all_goals
            else [
                goal_id
                for goal_id, view in self.goal_views.items()
                if view.status == "pending"
            ]
        )
        self.checking = True
        self.run_checks(step.checks if started else [], goals)

    def recheck_pending(self) -> None:
        """Re-runs what is still pending (every few seconds)."""
        if self.performing or self.checking:
            return
        if self.app.screen is not self and not self.app.screen.is_modal:
            return
        step_pending = any(
            self.check_results[c].status == "pending"
            for c in self.step.checks
            if c in self.check_results
        )
        goals_pending = any(
            view.status == "pending" for view in self.goal_views.values()
        )
        if step_pending or goals_pending:
            self.check_now(all_goals=False)

    @work(thread=True, exclusive=True, group="checks", exit_on_error=False)
    def run_checks(self, check_ids: list[str], goal_ids: list[str]) -> None:
        checks = self.session.run_checks(check_ids) if check_ids else {}
        goals = self.session.verify(goal_ids) if goal_ids else []
        costs = self.guide.engine.costs(self.session)
        self.post_message(self.Checked(checks, goals, costs))

    def on_lab_screen_checked(self, message: Checked) -> None:
        self.absorb(message.checks, message.goals, message.costs)
        self.refresh_view()

    # Performing

    def action_perform(self) -> None:
        """Performs the step at hand (the cleanup step opens teardown)."""
        if self.step.action == TEARDOWN_ACTION:
            self.action_teardown()
            return
        if self.performing:
            return
        step = self.step
        needed = self.missing_dependencies(step)
        what = self.say(
            "confirm.step",
            number=step.number,
            title=step.title.get(self.guide.language),
        )
        if needed:
            numbers = ", ".join(str(s.number) for s in needed)
            what += self.say("confirm.needs", numbers=numbers)
        ids = [s.id for s in needed] + [step.id]
        self.confirm_then(lambda: self.start_perform("one", ids), what)

    def missing_dependencies(self, step: Step) -> list[Step]:
        """The steps `step` needs, directly or not, that are not done, in
        order: doing it for the learner does them first."""
        missing: dict[str, Step] = {}
        waiting = list(step.depends_on)
        while waiting:
            step_id = waiting.pop()
            if step_id in missing or self.session.step_status(step_id) == "done":
                continue
            needed = self.catalog.step(step_id)
            missing[step_id] = needed
            waiting += needed.depends_on
        return sorted(missing.values(), key=lambda s: s.number)

    def action_perform_all(self) -> None:
        """Performs every step of the lab not done yet."""
        if self.performing:
            return
        left = [
            step.id
            for step in self.catalog.steps
            if step.action != TEARDOWN_ACTION
            and self.session.step_status(step.id) != "done"
        ]
        if not left:
            self.notify(self.say("lab.nothing-left-to-do"))
            return
        what = self.say(
            "confirm.steps", count=len(left), number=self.catalog.step(left[0]).number
        )
        self.confirm_then(lambda: self.start_perform("all", left), what)

    def action_done_by_hand(self) -> None:
        """Records that the learner did the step in the console; the checks
        decide whether it is."""
        if self.performing or self.step.action == TEARDOWN_ACTION:
            return
        self.start_perform("by-hand", [self.current])

    def confirm_then(self, proceed: Any, what: str) -> None:
        """Runs `proceed` at once in the sandbox; in AWS, after the learner
        confirms the account, region and cost."""
        if self.connection.place.is_sandbox:
            proceed()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                proceed()

        self.app.push_screen(
            ConfirmScreen(
                deleting=False,
                connection=self.connection,
                costs=self.costs,
                what=what,
            ),
            answered,
        )

    def start_perform(self, how: str, step_ids: list[str]) -> None:
        self.performing = how
        self.query_one(TabbedContent).active = "do" if how != "by-hand" else "checks"
        self.refresh_view()
        self.perform(how, step_ids)

    @work(thread=True, exclusive=True, group="perform", exit_on_error=False)
    def perform(self, how: str, step_ids: list[str]) -> None:
        session = self.session
        result: RunResult | None = None
        if how == "by-hand":
            session.mark_done_by_hand(step_ids[0])
            session.reconcile()
        else:
            result = session.run(step_ids)
        current = self.catalog.step(self.current)
        checks = session.run_checks(
            list(
                dict.fromkeys(
                    [
                        *current.checks,
                        *(c for s in step_ids for c in self.catalog.step(s).checks),
                    ]
                )
            )
        )
        due = [
            goal.id
            for goal in self.catalog.goals
            if session.step_status(goal.step) == "done"
        ]
        goals = session.verify(due) if due else []
        costs = self.guide.engine.costs(session)
        self.post_message(self.Performed(result, step_ids, checks, goals, costs))

    def on_lab_screen_performed(self, message: Performed) -> None:
        self.absorb(message.checks, message.goals, message.costs)
        result = message.result
        if result is None:
            step = self.catalog.step(message.step_ids[0])
            failing = [
                message.checks[c]
                for c in step.checks
                if c in message.checks and message.checks[c].status != "passed"
            ]
            if failing:
                self.notify(
                    self.say(
                        "lab.by-hand-unconfirmed",
                        summary=failing[0].text("summary", self.guide.language),
                    ),
                    severity="warning",
                    timeout=8,
                )
            else:
                self.notify(self.say("lab.by-hand-confirmed", number=step.number))
        else:
            for step_id, error in result.failed.items():
                self.notify(
                    self.say(
                        "lab.step-failed",
                        number=self.catalog.step(step_id).number,
                        error=error,
                    ),
                    severity="error",
                    timeout=10,
                )
            if result.done:
                self.notify(
                    self.say(
                        "lab.steps-done", count=len(result.done), created=result.created
                    )
                )
        self.refresh_view()

    def action_cancel(self) -> None:
        """Stops the work in progress at its next poll."""
        if not self.performing:
            return
        self.session.cancel()
        self.stop_diagnostics.set()
        self.notify(self.say("lab.cancelling"))

    def worker_ended(self, worker: Worker[object]) -> None:
        if worker.group == "perform":
            self.performing = None
            self.refresh_view()
        elif worker.group == "checks":
            self.checking = False

    def on_progress(self, message: Progress) -> None:
        event = message.event
        try:
            number = f"{self.catalog.step(event.step).number:>2}"
        except KeyError:
            number = "  "
        when = dt.datetime.fromtimestamp(event.at).strftime("%H:%M:%S")
        line = Text.assemble(
            (when, "dim"),
            " ",
            (number, "bold"),
            " ",
            (f"{event.kind:<8}", LOG_STYLES.get(event.kind, "")),
            " ",
            event.message,
        )
        if event.resource:
            line.append(f"  {event.resource}", style="cyan")
        self.query_one("#log", RichLog).write(line)
        if event.kind in ("start", "done", "failed"):
            self.refresh_view()

    # Moving around

    def action_next_step(self) -> None:
        """Opens the step to do next."""
        upcoming = self.session.next_step()
        if upcoming is None:
            self.notify(self.say("lab.all-steps-done"))
            return
        self.open_step(upcoming.id)
        self.query_one(TabbedContent).active = "guide"

    def action_tab(self, tab: str) -> None:
        """Shows one of the step's tabs."""
        self.query_one(TabbedContent).active = tab
        if tab == "tips":
            self.reveal_failing_tip()

    @on(TabbedContent.TabActivated, "#tabs")
    def tab_activated(self, event: TabbedContent.TabActivated) -> None:
        for selector, tab in MARKDOWN_TABS.items():
            if tab == event.pane.id:
                self.flush_markdown(selector)
        if event.pane.id == "tips":
            self.word_tips()
            if not self.instances:
                self.find_instances()

    def reveal_failing_tip(self) -> None:
        """Scrolls to the tip a failing check of this step points to."""
        for check_id in self.step.checks:
            result = self.check_results.get(check_id)
            if result is not None and result.status == "failed" and result.tip:
                self.reveal_tip(result.tip)
                return

    def reveal_tip(self, tip_id: str) -> None:
        """Opens the step a tip belongs to, at that tip."""
        owner = next(
            (
                s
                for s in self.catalog.steps
                if any(t.id == tip_id for t in s.troubleshooting)
            ),
            None,
        )
        if owner is None:
            return
        self.open_step(owner.id)
        self.query_one(TabbedContent).active = "tips"
        view = self.query_one(f"#tip-{tip_id}", TipView)
        self.call_after_refresh(view.scroll_visible, top=True)
        self.call_after_refresh(view.focus_run)

    @on(Markdown.LinkClicked, "#checks-text")
    def link_clicked(self, event: Markdown.LinkClicked) -> None:
        if event.href.startswith("tip:"):
            self.reveal_tip(event.href.removeprefix("tip:"))

    @on(OptionList.OptionSelected, "#goals")
    def goal_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.show_goal(event.option.id)

    def show_goal(self, goal_id: str) -> None:
        """Shows a goal's checks and evidence; it can lead to a step or a tip."""
        goal = self.catalog.goal(goal_id)
        result = self.goal_results.get(goal_id)
        view = self.goal_views.get(goal_id, GoalView())

        def chosen(where: tuple[str, str] | None) -> None:
            if where is None:
                return
            kind, target = where
            if kind == "tip":
                self.reveal_tip(target)
            else:
                self.open_step(target)
                self.query_one(TabbedContent).active = "guide"

        self.app.push_screen(
            GoalScreen(goal, view.status, result.checks if result else []), chosen
        )

    def action_recheck(self) -> None:
        """Runs the step's checks and the goals again now."""
        self.check_now()

    # Troubleshooting on the instances

    @on(Button.Pressed, "#perform")
    def perform_pressed(self) -> None:
        self.action_perform()

    @on(Button.Pressed, "#by-hand")
    def by_hand_pressed(self) -> None:
        self.action_done_by_hand()

    @on(Button.Pressed, "#perform-all")
    def perform_all_pressed(self) -> None:
        self.action_perform_all()

    @on(Button.Pressed, "#find-instances")
    def find_pressed(self) -> None:
        self.find_instances()

    @on(Button.Pressed, "#shell")
    def shell_pressed(self) -> None:
        self.action_session_manager()

    @work(thread=True, exclusive=True, group="instances", exit_on_error=False)
    def find_instances(self) -> None:
        self.post_message(
            self.InstancesFound(self.guide.engine.instances(self.session))
        )

    def on_lab_screen_instances_found(self, message: InstancesFound) -> None:
        self.instances = message.instances
        select = self.query_one("#instance", Select)
        previous = select.value
        select.set_options([(i.label(), i.id) for i in self.instances])
        select.tooltip = "\n".join(i.label() for i in self.instances) or None
        ids = [i.id for i in self.instances]
        online = [i.id for i in self.instances if i.online]
        if previous in ids:
            select.value = previous
        elif online or ids:
            select.value = (online or ids)[0]
        if not self.instances:
            self.notify(self.say("lab.no-instances"), severity="warning")
        if self.shell_wanted:
            self.shell_wanted = False
            self.pick_shell_instance()

    @property
    def chosen_instance(self) -> str | None:
        """The instance diagnostics run on."""
        value = self.query_one("#instance", Select).value
        return str(value) if value != Select.NULL else None

    def on_tip_view_run(self, message: TipView.Run) -> None:
        self.diagnose_on_chosen(message.tip.id, list(message.tip.run))

    @on(Input.Submitted, "#command")
    def command_submitted(self, event: Input.Submitted) -> None:
        command = event.value.strip()
        if command:
            self.diagnose_on_chosen("command", [command])

    def diagnose_on_chosen(self, key: str, commands: list[str]) -> None:
        instance = self.chosen_instance
        if instance is None:
            self.notify(self.say("lab.choose-instance"), severity="warning")
            self.find_instances()
            return
        self.show_output(key, self.say("lab.running-on", instance=instance))
        self.stop_diagnostics.clear()
        self.diagnose(key, instance, commands)

    @work(thread=True, group="diagnose", exit_on_error=False)
    def diagnose(self, key: str, instance_id: str, commands: list[str]) -> None:
        text = self.guide.engine.run_diagnostic(
            self.session, instance_id, commands, self.stop_diagnostics
        )
        self.post_message(self.Diagnosed(key, f"{instance_id}\n\n{text}"))

    def on_lab_screen_diagnosed(self, message: Diagnosed) -> None:
        self.show_output(message.key, message.text)

    def show_output(self, key: str, text: str) -> None:
        """Shows what diagnostics printed, below the tip (or the command)."""
        self.outputs[key] = text
        if key == "command":
            output = self.query_one("#command-output", Static)
            output.update(Text(text))
            output.set_class(not text, "-empty")
        else:
            output = self.query_one(f"#tip-{key}", TipView).set_output(text)
        self.call_after_refresh(output.scroll_visible)

    # Session Manager

    def action_session_manager(self) -> None:
        """Opens a shell on an instance with Session Manager, or explains what
        it takes; the sandbox offers its diagnostics instead."""
        if self.connection.place.is_sandbox:

            def answered(diagnose: bool | None) -> None:
                if diagnose:
                    self.open_diagnostics()

            self.app.push_screen(SessionManagerScreen(sandbox=True), answered)
            return
        if not self.instances:
            self.shell_wanted = True
            self.find_instances()
            return
        self.pick_shell_instance()

    def pick_shell_instance(self) -> None:
        def chosen(instance_id: str | None) -> None:
            if instance_id is not None:
                self.open_shell(instance_id)

        self.app.push_screen(InstanceScreen(self.instances), chosen)

    def open_shell(self, instance_id: str) -> None:
        """Suspends the guide and runs `aws ssm start-session` on the instance."""
        place = self.connection.place
        command = ["aws", "ssm", "start-session", "--target", instance_id]
        command += ["--region", place.region]
        if place.profile:
            command += ["--profile", place.profile]
        missing = [tool for tool in SHELL_TOOLS if shutil.which(tool) is None]
        if missing or self.app.is_web:
            self.app.push_screen(
                SessionManagerScreen(
                    sandbox=False,
                    missing=missing,
                    command=shlex.join(command),
                    web=self.app.is_web,
                )
            )
            return
        try:
            with self.app.suspend():
                print(self.say("lab.shell-opening", instance=instance_id), flush=True)
                code = subprocess.call(command)
        except SuspendNotSupported:
            self.app.push_screen(
                SessionManagerScreen(
                    sandbox=False, command=shlex.join(command), web=True
                )
            )
            return
        self.notify(self.say("lab.shell-closed", code=code))

    def open_diagnostics(self) -> None:
        """Opens the troubleshooting tab of a step whose tips run on instances."""
        if not any(tip.where == "instance" for tip in self.step.troubleshooting):
            owner = next(
                s
                for s in self.catalog.steps
                if any(t.where == "instance" for t in s.troubleshooting)
            )
            self.open_step(owner.id)
        self.query_one(TabbedContent).active = "tips"

    # The rest

    def action_confirm_email(self) -> None:
        """Confirms the alarm's e-mail subscription (the sandbox's link)."""
        self.confirm_email()

    @work(thread=True, exclusive=True, group="email", exit_on_error=False)
    def confirm_email(self) -> None:
        count = self.guide.engine.confirm_email(self.connection, self.session)
        self.post_message(self.EmailConfirmed(count))

    def on_lab_screen_email_confirmed(self, message: EmailConfirmed) -> None:
        key = "lab.email-confirmed" if message.count else "lab.email-none"
        self.notify(self.say(key, count=message.count))
        self.check_now()

    def action_teardown(self) -> None:
        """Opens the teardown screen."""
        if self.performing:
            self.notify(self.say("lab.busy"), severity="warning")
            return
        from labguide.tui.screens.teardown import TeardownScreen

        def back(ran: bool | None) -> None:
            if ran:
                # The teardown reset the steps and the goals: start afresh.
                self.check_results.clear()
                self.goal_results.clear()
                self.goal_views.clear()
                self.instances = []
            self.refresh_view()
            self.check_now()

        self.app.push_screen(
            TeardownScreen(self.session, self.connection, self.costs), back
        )

    def action_language(self) -> None:
        """Switches between Japanese and English."""
        self.guide.toggle_language()

    def action_help(self) -> None:
        """Shows the help screen."""
        self.guide.action_help()

    def action_save_report(self) -> None:
        """Writes the goals and their evidence to a Markdown file."""
        self.save_report(self.guide.language)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def save_report(self, language: str) -> None:
        text = self.guide.engine.report(self.session, language)
        who = self.session.state.participant or "solo"
        path = Path.cwd() / f"labguide-report-{who}.md"
        path.write_text(text, encoding="utf-8")
        self.post_message(self.ReportSaved(path))

    def on_lab_screen_report_saved(self, message: ReportSaved) -> None:
        self.notify(self.say("lab.report-saved", path=str(message.path)))

    def action_back(self) -> None:
        """Closes the session and goes back to the start screen."""
        if self.performing:
            self.notify(self.say("lab.busy"), severity="warning")
            return
        self.dismiss()

    def action_quit_guide(self) -> None:
        """Stops any work in progress and quits."""
        self.session.cancel()
        self.stop_diagnostics.set()
        self.app.exit()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        cleanup = self.step.action == TEARDOWN_ACTION
        if action in ("perform", "perform_all"):
            return None if self.performing else True
        if action == "done_by_hand":
            return False if cleanup else (None if self.performing else True)
        if action == "cancel":
            return bool(self.performing)
        if action == "confirm_email":
            return self.connection.place.is_sandbox and self.email_waits()
        return True

    def email_waits(self) -> bool:
        """Whether a goal waits for the alarm's e-mail to be confirmed."""
        return any(
            result.status == "pending"
            for result in self.check_results.values()
            if result.check == "alarm-subscription-confirmed"
        )

    def commands(self) -> Iterable[SystemCommand]:
        say = self.say
        language = self.guide.language
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            if binding.id in ("help", "quit", "back"):
                continue
            if self.check_action(binding.action.split("(")[0], ()) is False:
                continue
            yield SystemCommand(
                say(f"key.{binding.id}"),
                say(f"help.{binding.id}"),
                lambda action=binding.action: self.run_action(action),
            )
        for step in self.catalog.steps:
            yield SystemCommand(
                say(
                    "lab.open-step", number=step.number, title=step.title.get(language)
                ),
                step.why.get(language),
                lambda step_id=step.id: self.open_step(step_id),
            )
        for goal in self.catalog.goals:
            yield SystemCommand(
                say("lab.open-goal", title=goal.title.get(language)),
                goal.explanation.get(language),
                lambda goal_id=goal.id: self.show_goal(goal_id),
            )
        for tip in self.catalog.tips().values():
            yield SystemCommand(
                say("lab.open-tip", symptom=tip.symptom.get(language)),
                tip.cause.get(language),
                lambda tip_id=tip.id: self.reveal_tip(tip_id),
            )
        yield SystemCommand(
            say("key.class-view"),
            say("help.class-view"),
            lambda: self.guide.open_class_view(self.connection),
        )
        yield SystemCommand(say("key.back"), say("help.back"), self.action_back)
        yield SystemCommand(say("key.quit"), say("help.quit"), self.action_quit_guide)
