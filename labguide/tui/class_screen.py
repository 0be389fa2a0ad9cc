"""The instructor's class view: every participant's steps and goals,
refreshed on a timer, with drills, teardown and the class's reports.

`ClassScreen` is self-contained: it takes the catalog and a `ClassSource`
(the engine's `labguide.engine.classroom.ClassView`, or a fake in tests) and
calls the source only from thread workers, since every call may reach AWS.
`ClassApp` is the small App `labguide class` opens around it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rich.markup import escape
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from labguide.catalog.models import Catalog, Language

if TYPE_CHECKING:
    from labguide.engine.classroom import ClassReport, ParticipantProgress
    from labguide.engine.resources import Resource
    from labguide.engine.teardown import TeardownResult

GOAL_MARKS = {"passed": "✔", "pending": "…", "failed": "✘"}
STEP_MARKS = {"done": "✔", "pending": "…", "failed": "✘", "not-started": "·"}
STYLES = {
    "✔": "green",
    "…": "yellow",
    "✘": "bold red",
    "·": "dim",
}
EVERYONE = None


class ClassSource(Protocol):
    """What the class screen asks of the engine (all from thread workers)."""

    def refresh(self) -> ClassReport:
        """Reads the class once."""
        ...

    def where(self) -> str:
        """The account and region, for confirmations."""
        ...

    def drills(self) -> dict[str, str]:
        """Drill names and what they break (empty outside the sandbox)."""
        ...

    def start_drill(
        self, name: str, participants: list[str] | None = None
    ) -> dict[str, str]:
        """Starts a drill for some participants, or everyone (None)."""
        ...

    def teardown_plan(
        self, participants: list[str] | None = None
    ) -> dict[str, list[Resource]]:
        """What a teardown would delete, per participant."""
        ...

    def tear_down(
        self, participants: list[str] | None = None
    ) -> dict[str, TeardownResult]:
        """Deletes the participants' labs."""
        ...

    def export(
        self,
        report: ClassReport,
        directory: Path,
        fmt: str = "md",
        language: Language = "en",
    ) -> list[Path]:
        """Writes every participant's report and an index."""
        ...


class DrillScreen(ModalScreen[str | None]):
    """Picks a drill to start for a participant or for everyone.

    Args:
        drills: drill names and what each breaks.
        whom: who gets it, in words.
    """

    BINDINGS = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, drills: dict[str, str], whom: str) -> None:
        super().__init__(classes="class-dialog-screen")
        self.drills = drills
        self.whom = whom

    def compose(self) -> ComposeResult:
        with Vertical(classes="class-dialog"):
            yield Label(f"Start a drill for {self.whom}", classes="class-dialog-title")
            yield OptionList(
                *(
                    Option(f"{name}: {summary}", id=name)
                    for name, summary in self.drills.items()
                ),
                id="drill-list",
            )
            with Horizontal(classes="class-dialog-buttons"):
                yield Button("Cancel", id="cancel", compact=True)

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    @on(Button.Pressed, "#cancel")
    def cancelled(self) -> None:
        self.dismiss(None)


class TeardownScreen(ModalScreen[bool]):
    """The teardown's dry run, and the question: delete it, in which account?

    Args:
        plans: what would be deleted, per participant.
        where: the account and region.
    """

    BINDINGS = [
        Binding("y", "answer(True)", "Delete"),
        Binding("n,escape", "answer(False)", "Keep"),
    ]

    def __init__(self, plans: dict[str, list[Resource]], where: str) -> None:
        super().__init__(classes="class-dialog-screen")
        self.plans = plans
        self.where = where

    def compose(self) -> ComposeResult:
        count = sum(len(p) for p in self.plans.values())
        billable = sum(1 for p in self.plans.values() for r in p if r.billable)
        shown = list(self.plans.items())[:12]
        lines = [f"{tag}: {len(plan)} resource(s)" for tag, plan in shown]
        if len(self.plans) > len(shown):
            lines.append(f"... and {len(self.plans) - len(shown)} more lab(s)")
        with Vertical(classes="class-dialog"):
            yield Label("Tear down", classes="class-dialog-title")
            yield Static(
                f"In {self.where}:\n"
                f"{count} resource(s) of {len(self.plans)} lab(s) would be deleted "
                f"({billable} billable).\n\n" + "\n".join(lines),
                id="teardown-plan",
            )
            with Horizontal(classes="class-dialog-buttons"):
                yield Button("Delete", id="yes", variant="error", compact=True)
                yield Button("Keep", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def action_answer(self, yes: bool) -> None:
        """Closes the dialog with the answer."""
        self.dismiss(yes)

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")


class ClassScreen(Screen[None]):
    """Every participant's lab: a row each, the steps and goals as marks, and
    the selected participant's goals in words below.

    Args:
        catalog: the lab catalog (step and goal titles).
        source: the class view to read and act through.
        interval: seconds between refreshes.
        language: the language of titles.
        export_dir: where `e` writes the class's reports.
    """

    CSS_PATH = "class_screen.tcss"
    BINDINGS = [
        Binding("r", "refresh_class", "Refresh"),
        Binding("d", "drill(False)", "Drill"),
        Binding("D", "drill(True)", "Drill all"),
        Binding("t", "teardown(False)", "Tear down"),
        Binding("T", "teardown(True)", "Tear down all"),
        Binding("e", "export", "Export reports"),
        Binding("escape", "close", "Back", show=False),
    ]

    class Refreshed(Message):
        """A refresh finished (posted from its worker)."""

        def __init__(self, report: ClassReport) -> None:
            super().__init__()
            self.report = report

    def __init__(
        self,
        catalog: Catalog,
        source: ClassSource,
        interval: float = 10.0,
        language: Language = "en",
        export_dir: Path | None = None,
    ) -> None:
        super().__init__(id="class-screen")
        self.catalog = catalog
        self.source = source
        self.interval = interval
        self.language: Language = language
        self.export_dir = export_dir or Path("class-reports")
        self.report: ClassReport | None = None
        self.reading = False
        """Whether a refresh is under way (a slow one is not piled upon)."""

    def compose(self) -> ComposeResult:
        with Vertical(id="class"):
            yield Static("Reading the class...", id="class-where")
            yield DataTable(id="class-table", cursor_type="row", zebra_stripes=True)
            yield Static(id="class-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        steps = len(self.catalog.steps)
        table.add_column("participant", key="participant", width=16)
        table.add_column(f"steps 1-{steps}", key="steps", width=max(steps, 10))
        table.add_column("goals", key="goals", width=len(self.catalog.goals))
        table.add_column("passed", key="passed", width=6)
        self.action_refresh_class()
        if self.interval > 0:
            self.set_interval(self.interval, self.action_refresh_class)

    # Reading

    def action_refresh_class(self) -> None:
        """Reads the class again (in a worker), unless a read is under way."""
        if self.reading:
            return
        self.reading = True
        self._refresh()

    @work(thread=True, group="class-refresh", exit_on_error=False)
    def _refresh(self) -> None:
        self.post_message(self.Refreshed(self.source.refresh()))

    @on(Refreshed)
    def refreshed(self, message: Refreshed) -> None:
        self.reading = False
        self.show(message.report)

    def show(self, report: ClassReport) -> None:
        """Puts a refresh on screen, keeping the selected participant."""
        self.report = report
        table = self.query_one(DataTable)
        selected = self._selected_tag()
        table.clear()
        for progress in report.participants:
            steps = [STEP_MARKS[progress.steps[s.id]] for s in self.catalog.steps]
            goals = [GOAL_MARKS[g.status] for g in progress.goals]
            table.add_row(
                progress.tag,
                _marks(steps),
                _marks(goals),
                f"{progress.passed}/{len(progress.goals)}",
                key=progress.tag,
            )
        if selected is not None and selected in {p.tag for p in report.participants}:
            table.move_cursor(row=table.get_row_index(selected))
        when = dt.datetime.fromtimestamp(report.taken_at, dt.UTC).strftime("%H:%M:%S")
        passed = sum(1 for p in report.participants if p.passed == len(p.goals))
        account = (
            f"{report.account_label} account {report.account}"
            if report.account_label != report.account
            else f"AWS account {report.account}"
        )
        self.query_one("#class-where", Static).update(
            f"{account} · {report.region} · read {when} UTC\n"
            f"{len(report.participants)} participant(s), {passed} with every goal · "
            f"{report.total_calls} AWS calls in {report.seconds:.1f} s"
        )
        self._show_detail()

    def _selected_tag(self) -> str | None:
        table = self.query_one(DataTable)
        if self.report is None or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return None if key.value is None else str(key.value)

    def _selected(self) -> ParticipantProgress | None:
        tag = self._selected_tag()
        if tag is None or self.report is None:
            return None
        return next((p for p in self.report.participants if p.tag == tag), None)

    @on(DataTable.RowHighlighted)
    def highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        progress = self._selected()
        detail = self.query_one("#class-detail", Static)
        if progress is None:
            detail.update("No participant's lab found in this account and region.")
            return
        states = list(progress.steps.values())
        lines = [
            f"[b]{escape(progress.tag)}[/b] · {progress.passed}/{len(progress.goals)} "
            f"goals · steps: {states.count('done')} done, "
            f"{states.count('pending')} waiting, {states.count('failed')} failing"
        ]
        for number, result in enumerate(progress.goals, start=1):
            mark = GOAL_MARKS[result.status]
            title = escape(result.goal.title.get(self.language))
            if result.passed_at is not None:
                when = dt.datetime.fromtimestamp(result.passed_at, dt.UTC)
                said = f"passed {when:%H:%M} UTC"
            else:
                said = "; ".join(
                    c.text("summary", self.language)
                    for c in result.checks
                    if c.status != "passed"
                )
            lines.append(
                f"[{STYLES[mark]}]{mark}[/] G{number} {title} [dim]· {escape(said)}[/]"
            )
        detail.update("\n".join(lines))

    # Acting

    def _whom(self, everyone: bool) -> tuple[list[str] | None, str] | None:
        if everyone:
            return EVERYONE, "everyone"
        tag = self._selected_tag()
        if tag is None:
            self.notify("No participant selected.", severity="warning")
            return None
        return [tag], tag

    def action_drill(self, everyone: bool) -> None:
        """Picks a drill for the selected participant, or everyone."""
        chosen = self._whom(everyone)
        if chosen is None:
            return
        participants, whom = chosen
        self._pick_drill(participants, whom)

    @work(thread=True, exit_on_error=False, group="class-act")
    def _pick_drill(self, participants: list[str] | None, whom: str) -> None:
        drills = self.source.drills()
        if not drills:
            self.app.call_from_thread(
                self.notify, "Drills run in the sandbox only.", severity="warning"
            )
            return

        def chosen(name: str | None) -> None:
            if name is not None:
                self._start_drill(name, participants)

        self.app.call_from_thread(
            self.app.push_screen, DrillScreen(drills, whom), chosen
        )

    @work(thread=True, exit_on_error=False, group="class-act")
    def _start_drill(self, name: str, participants: list[str] | None) -> None:
        outcome = self.source.start_drill(name, participants)
        started = sum(1 for w in outcome.values() if not w.startswith("not started"))
        self.app.call_from_thread(
            self.notify, f"Drill {name}: started for {started} of {len(outcome)}."
        )
        self.post_message(self.Refreshed(self.source.refresh()))

    def action_teardown(self, everyone: bool) -> None:
        """Tears down the selected participant's lab, or everyone's: the dry
        run first, then the question with the account."""
        chosen = self._whom(everyone)
        if chosen is None:
            return
        self._plan_teardown(chosen[0])

    @work(thread=True, exit_on_error=False, group="class-act")
    def _plan_teardown(self, participants: list[str] | None) -> None:
        plans = self.source.teardown_plan(participants)
        where = self.source.where()

        def answered(yes: bool | None) -> None:
            if yes:
                self.notify(f"Deleting {len(plans)} lab(s) in {where}...")
                self._tear_down(list(plans))

        self.app.call_from_thread(
            self.app.push_screen, TeardownScreen(plans, where), answered
        )

    @work(thread=True, exit_on_error=False, group="class-act")
    def _tear_down(self, participants: list[str]) -> None:
        results = self.source.tear_down(participants)
        left = [tag for tag, result in results.items() if not result.clean]
        message = (
            f"{len(results)} lab(s) torn down."
            if not left
            else f"Something is left in {', '.join(left)}: run it again."
        )
        self.app.call_from_thread(
            self.notify, message, severity="warning" if left else "information"
        )
        self.post_message(self.Refreshed(self.source.refresh()))

    def action_export(self) -> None:
        """Writes every participant's report (and an index) to a folder."""
        if self.report is None:
            self.notify("Nothing read yet.", severity="warning")
            return
        self._export(self.report)

    @work(thread=True, exit_on_error=False, group="class-act")
    def _export(self, report: ClassReport) -> None:
        written = self.source.export(report, self.export_dir, "md", self.language)
        self.app.call_from_thread(
            self.notify,
            f"{len(written) - 1} report(s) and an index in {self.export_dir}",
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """One place for every worker's failure: a line, never a traceback."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        if event.worker.group == "class-refresh":
            self.reading = False
        error = event.worker.error
        fix = getattr(error, "fix", None)
        text = str(getattr(error, "message", None) or error) or type(error).__name__
        self.notify(text + (f" {fix}" if fix else ""), severity="error", timeout=15)

    def action_close(self) -> None:
        """Leaves the class view (or the app, when it is the only screen)."""
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
        else:
            self.app.exit()


def _marks(marks: list[str]) -> Any:
    """Marks in a row, each in its colour."""
    from rich.text import Text

    return Text.assemble(*((mark, STYLES[mark]) for mark in marks))


class ClassApp(App[None]):
    """`labguide class`: the class view on its own.

    Args:
        catalog: the lab catalog.
        source: the class view.
        interval: seconds between refreshes.
        language: the language of titles.
        export_dir: where the class's reports go.
    """

    TITLE = "labguide class"

    def __init__(
        self,
        catalog: Catalog,
        source: ClassSource,
        interval: float = 10.0,
        language: Language = "en",
        export_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.source = source
        self.interval = interval
        self.language: Language = language
        self.export_dir = export_dir

    def on_mount(self) -> None:
        self.push_screen(
            ClassScreen(
                self.catalog,
                self.source,
                self.interval,
                self.language,
                self.export_dir,
            )
        )
