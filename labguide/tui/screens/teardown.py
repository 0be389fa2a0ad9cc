"""The teardown screen: what will be deleted, each deletion as it happens,
and the proof that nothing of the lab is left billing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker

from labguide.tui.engine import Connection, Costs, Session
from labguide.tui.messages import Progress
from labguide.tui.pages import money
from labguide.tui.screens._speaks import Speaks
from labguide.tui.screens.dialogs import ConfirmScreen

if TYPE_CHECKING:
    from labguide.engine.checks.result import CheckResult
    from labguide.engine.resources import Resource
    from labguide.engine.teardown import TeardownResult

ROW_MARKS = {
    "waiting": ("·", "dim"),
    "deleting": ("▶", "bold yellow"),
    "retrying": ("↻", "yellow"),
    "deleted": ("✔", "bold green"),
    "failed": ("✘", "bold red"),
}


def row_key(kind: str, resource_id: str) -> str:
    """A resource's row: kinds share ids (a role and its instance profile)."""
    return f"{kind}:{resource_id}"


class TeardownScreen(Speaks, Screen[bool]):
    """Deletes the lab's resources, one row per resource.

    Dismissed with True when the teardown ran.

    Args:
        session: the open session.
        connection: where it runs and as whom.
        costs: the last hourly estimates, if known.
    """

    BINDINGS = [
        Binding("y", "delete", "Delete all", id="delete"),
        Binding("x", "cancel", "Cancel", id="cancel"),
        Binding("escape", "back", "Back", id="back-to-lab"),
        Binding("question_mark,f1", "help", "Help", id="help"),
    ]

    class Planned(Message):
        """The resources to delete, in order."""

        def __init__(self, resources: list[Resource], costs: Costs) -> None:
            self.resources = resources
            self.costs = costs
            super().__init__()

    class Finished(Message):
        """The teardown ended; the nothing-left check says what remains."""

        def __init__(
            self, result: TeardownResult, checks: dict[str, CheckResult], costs: Costs
        ) -> None:
            self.result = result
            self.checks = checks
            self.costs = costs
            super().__init__()

    def __init__(
        self, session: Session, connection: Connection, costs: Costs | None
    ) -> None:
        super().__init__()
        self.session = session
        self.connection = connection
        self.costs = costs
        self.plan: list[Resource] | None = None
        self.states: dict[str, str] = {}
        self.deleting = False
        self.finished: TeardownScreen.Finished | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="bar"):
            yield Static(id="place")
            yield Static(id="cost")
        with Vertical(id="teardown"):
            yield Static(id="teardown-title", classes="panel-title")
            yield Static(id="teardown-intro")
            yield DataTable(id="plan", cursor_type="row", zebra_stripes=True)
            yield Static(id="teardown-result")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.guide.relay.listen(self)
        table = self.query_one("#plan", DataTable)
        table.add_column("", key="mark", width=2)
        table.add_column("kind", key="kind")
        table.add_column("name", key="name")
        table.add_column("id", key="id")
        self.translate()
        self.make_plan()

    def translate(self) -> None:
        super().translate()
        self.show_bar()
        self.query_one("#teardown-title", Static).update(self.say("teardown.title"))
        self.show_intro()
        self.show_result()

    @property
    def cleanup_checks(self) -> list[str]:
        """The checks of the cleanup step (the last one): nothing is left."""
        return list(self.guide.catalog.steps[-1].checks)

    @work(thread=True, exclusive=True, group="plan", exit_on_error=False)
    def make_plan(self) -> None:
        resources = self.session.teardown_plan()
        self.post_message(
            self.Planned(resources, self.guide.engine.costs(self.session))
        )

    def on_teardown_screen_planned(self, message: Planned) -> None:
        self.plan = message.resources
        self.costs = message.costs
        table = self.query_one("#plan", DataTable)
        table.clear()
        for resource in message.resources:
            key = row_key(resource.kind, resource.id)
            self.states[key] = "waiting"
            table.add_row(
                self.mark("waiting"), resource.kind, resource.name, resource.id, key=key
            )
        self.show_bar()
        self.show_intro()
        self.refresh_bindings()

    def mark(self, state: str) -> Text:
        symbol, style = ROW_MARKS[state]
        return Text(symbol, style=style)

    def set_state(self, key: str, state: str) -> None:
        if key not in self.states:
            return
        self.states[key] = state
        self.query_one("#plan", DataTable).update_cell(key, "mark", self.mark(state))

    def action_delete(self) -> None:
        """Deletes everything in the plan (after a confirmation in AWS)."""
        if self.plan is None or self.deleting or self.finished is not None:
            return
        if self.connection.place.is_sandbox:
            self.start_delete()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.start_delete()

        self.app.push_screen(
            ConfirmScreen(
                deleting=True,
                connection=self.connection,
                costs=self.costs,
                count=len(self.plan),
            ),
            answered,
        )

    def start_delete(self) -> None:
        self.deleting = True
        self.advance()
        self.show_intro()
        self.refresh_bindings()
        self.delete()

    @work(thread=True, exclusive=True, group="teardown", exit_on_error=False)
    def delete(self) -> None:
        result = self.session.teardown()
        checks = self.session.run_checks(self.cleanup_checks)
        self.post_message(
            self.Finished(result, checks, self.guide.engine.costs(self.session))
        )

    def advance(self) -> None:
        """Marks the first resource still waiting as the one being deleted."""
        for key, state in self.states.items():
            if state in ("waiting", "retrying"):
                if state == "waiting":
                    self.set_state(key, "deleting")
                return

    def on_progress(self, message: Progress) -> None:
        event = message.event
        if event.resource is None:
            return
        key = row_key(event.message.split(" ", 1)[0], event.resource)
        if event.kind == "deleted":
            self.set_state(key, "deleted")
            self.advance()
        elif event.kind == "wait":
            self.set_state(key, "retrying")
        elif event.kind == "failed":
            self.set_state(key, "failed")
            self.advance()

    def on_teardown_screen_finished(self, message: Finished) -> None:
        self.finished = message
        self.costs = message.costs
        deleted = {row_key(r.kind, r.id) for r in message.result.deleted}
        for key in self.states:
            if key in deleted:
                self.set_state(key, "deleted")
            elif self.states[key] != "deleted":
                self.set_state(key, "failed")
        self.show_bar()
        self.show_intro()
        self.show_result()

    def worker_ended(self, worker: Worker[object]) -> None:
        if worker.group == "teardown":
            self.deleting = False
            self.refresh_bindings()

    def show_bar(self) -> None:
        participant = self.session.state.participant
        self.query_one("#place", Static).update(
            self.place_line(self.connection, participant)
        )
        self.query_one("#cost", Static).update(self.cost_line(self.costs))

    def show_intro(self) -> None:
        intro = self.query_one("#teardown-intro", Static)
        if self.plan is None:
            intro.update(self.say("teardown.finding"))
        elif self.finished is not None:
            intro.update(self.say("teardown.done"))
        elif self.deleting:
            intro.update(self.say("teardown.deleting", count=len(self.plan)))
        elif not self.plan:
            intro.update(self.say("teardown.empty"))
        else:
            where = (
                self.say("lab.where-sandbox")
                if self.connection.place.is_sandbox
                else self.say("lab.where-aws", account=self.connection.account)
            )
            costs = self.costs
            now = money(costs.now, costs.currency) if costs else "?"
            intro.update(
                self.say(
                    "teardown.intro",
                    count=len(self.plan),
                    where=where,
                    region=self.connection.place.region,
                    now=now,
                )
            )

    def show_result(self) -> None:
        box = self.query_one("#teardown-result", Static)
        finished = self.finished
        box.display = finished is not None
        if finished is None:
            return
        result = finished.result
        left = [c for c in finished.checks.values() if c.status != "passed"]
        lines: list[str | tuple[str, str]] = []
        if result.clean and not left:
            lines.append(
                (
                    self.say("teardown.clean", count=len(result.deleted)),
                    "bold $text-success",
                )
            )
        else:
            lines.append(
                (
                    self.say("teardown.not-clean", count=len(result.deleted)),
                    "bold $text-error",
                )
            )
            for error in result.errors:
                lines += ["\n", (f"✘ {error}", "$text-error")]
            for resource in result.left:
                lines += ["\n", f"· {resource.kind} {resource.name} {resource.id}"]
            for check in left:
                lines += ["\n", f"· {check.text('summary', self.guide.language)}"]
                lines += [f"\n   {line}" for line in check.evidence]
            lines += ["\n", self.say("teardown.again")]
        box.update(Content.assemble(*lines))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "delete":
            return bool(self.plan) and not self.deleting and self.finished is None
        if action == "cancel":
            return self.deleting
        if action == "back":
            return None if self.deleting else True
        return True

    def action_cancel(self) -> None:
        """Stops the teardown at its next poll."""
        if self.deleting:
            self.session.cancel()
            self.notify(self.say("lab.cancelling"))

    def action_back(self) -> None:
        """Goes back to the lab."""
        if self.deleting:
            self.notify(self.say("lab.busy"), severity="warning")
            return
        self.dismiss(self.finished is not None)

    def action_help(self) -> None:
        """Shows the help screen."""
        self.guide.action_help()
