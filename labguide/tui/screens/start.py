"""The start screen: where the lab runs, who learns, in which language, and
the sessions that can be resumed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.validation import Regex
from textual.widgets import (
    Button,
    Footer,
    Input,
    Label,
    OptionList,
    RadioButton,
    RadioSet,
    Select,
    Static,
)
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from labguide.errors import LabguideError
from labguide.tui.engine import Connection, Place, Session
from labguide.tui.screens._speaks import Speaks
from labguide.tui.settings import Where

if TYPE_CHECKING:
    from labguide.engine.state import SessionState

SANDBOX_ACCOUNT = "sandbox"
"""How sessions in the sandbox name their account."""
SANDBOX_EMAIL = "learner@example.com"
"""The alarm's address in the sandbox when none is given: the sandbox sends
no mail, and example.com is reserved for examples."""


class StartScreen(Speaks, Screen[None]):
    """Choose the sandbox or an AWS profile and region, a participant name and
    a language, or resume a session."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start", id="start"),
        Binding("ctrl+l", "language", "日本語/English", id="language"),
        Binding("f1", "help", "Help", id="help"),
        Binding("ctrl+q", "app.quit", "Quit", id="quit"),
    ]

    class Loaded(Message):
        """Sessions and profiles were read."""

        def __init__(self, sessions: list[SessionState], profiles: list[str]) -> None:
            self.sessions = sessions
            self.profiles = profiles
            super().__init__()

    class Connected(Message):
        """The engine reached the place chosen."""

        def __init__(self, connection: Connection) -> None:
            self.connection = connection
            super().__init__()

    class Opened(Message):
        """A session is open and locked."""

        def __init__(self, session: Session, connection: Connection) -> None:
            self.session = session
            self.connection = connection
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[SessionState] = []
        self.connection: Connection | None = None
        self.connect_error: str | None = None
        self.start_when_connected = False
        self.expected_account: str | None = None
        self.tried: Place | None = None
        """The place last asked for: not asked again by itself, even if it
        failed (Start asks again)."""

    # Layout

    def compose(self) -> ComposeResult:
        settings = self.guide.settings
        catalog = self.guide.catalog
        with Vertical(id="start"):
            yield Static(id="start-title")
            yield Static(id="start-intro")
            with Grid(id="form"):
                yield Label(id="where-label", classes="field-label")
                with RadioSet(id="where", compact=True):
                    yield RadioButton(
                        id="where-sandbox", value=settings.where == "sandbox"
                    )
                    yield RadioButton(id="where-aws", value=settings.where == "aws")
                yield Label(id="place-label", classes="field-label")
                with Horizontal(id="place"):
                    yield Select[str](
                        [],
                        id="profile",
                        compact=True,
                        allow_blank=True,
                        disabled=settings.where == "sandbox",
                    )
                    regions = catalog.lab.allowed_regions
                    region = settings.region or catalog.lab.default_region
                    yield Select[str](
                        [(name, name) for name in regions],
                        id="region",
                        compact=True,
                        allow_blank=False,
                        value=region if region in regions else regions[0],
                    )
                yield Label(id="identity-label", classes="field-label")
                yield Static(id="identity")
                yield Label(id="participant-label", classes="field-label")
                yield Input(
                    settings.participant or "",
                    id="participant",
                    compact=True,
                    validators=[Regex(catalog.lab.participant_pattern)],
                    valid_empty=True,
                )
                yield Label(id="email-label", classes="field-label")
                yield Input(settings.email or "", id="email", compact=True)
                yield Label(id="language-label", classes="field-label")
                with RadioSet(id="language", compact=True):
                    yield RadioButton("日本語", id="language-ja")
                    yield RadioButton("English", id="language-en")
            with Horizontal(id="start-buttons"):
                yield Button(id="start-button", variant="primary", compact=True)
                yield Button(id="quit-button", compact=True)
            yield Static(id="start-status")
            yield Label(id="sessions-label", classes="panel-title")
            yield OptionList(id="sessions")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(f"#language-{self.guide.language}", RadioButton).value = True
        self.translate()
        self.query_one("#participant", Input).focus()
        # The workers import boto3 and start the sandbox: begun after the
        # first paint, they do not hold the screen up (Python runs one thread
        # at a time).
        self.call_after_refresh(self.begin)

    def begin(self) -> None:
        """Reads the saved sessions and, in the sandbox, starts reaching it."""
        self.load()
        if self.place.is_sandbox:
            # AWS waits for the profiles, so as to ask with the one offered.
            self.connect()

    def on_screen_resume(self) -> None:
        # Back from a lab: its session is closed, so the list has changed.
        self.load()

    def translate(self) -> None:
        super().translate()
        lab = self.guide.catalog.lab
        self.query_one("#start-title", Static).update(
            Content.assemble(
                ("labguide", "bold $accent"), "  ", lab.title.get(self.guide.language)
            )
        )
        self.query_one("#start-intro", Static).update(self.say("start.intro"))
        for widget_id in (
            "where-label",
            "place-label",
            "identity-label",
            "participant-label",
            "email-label",
            "language-label",
            "sessions-label",
        ):
            self.query_one(f"#{widget_id}", Label).update(
                self.say(f"start.{widget_id}")
            )
        self.query_one("#where-sandbox", RadioButton).label = self.say("start.sandbox")
        self.query_one("#where-aws", RadioButton).label = self.say("start.aws")
        self.query_one("#profile", Select).prompt = self.say("start.profile-default")
        self.query_one("#participant", Input).placeholder = self.say(
            "start.participant-hint"
        )
        self.query_one("#email", Input).placeholder = self.say("start.email-hint")
        self.query_one("#start-button", Button).label = self.say("start.start")
        self.query_one("#quit-button", Button).label = self.say("start.quit")
        self.show_identity()
        self.show_sessions()

    # What the learner chose

    @property
    def place(self) -> Place:
        """The place the form describes."""
        where: Where = (
            "aws" if self.query_one("#where-aws", RadioButton).value else ("sandbox")
        )
        profile = self.query_one("#profile", Select).value
        region = self.query_one("#region", Select).value
        return Place(
            where=where,
            region=str(region),
            profile=str(profile) if where == "aws" and profile != Select.NULL else None,
        )

    @on(RadioSet.Changed, "#where")
    def where_changed(self) -> None:
        self.query_one("#profile", Select).disabled = self.place.is_sandbox
        self.connect()

    @on(Select.Changed, "#profile, #region")
    def place_changed(self) -> None:
        self.connect()

    @on(RadioSet.Changed, "#language")
    def language_changed(self, event: RadioSet.Changed) -> None:
        wanted = "ja" if event.pressed.id == "language-ja" else "en"
        if self.guide.language != wanted:
            self.guide.toggle_language()

    @on(Input.Submitted)
    @on(Button.Pressed, "#start-button")
    def start_pressed(self) -> None:
        self.action_start()

    @on(Button.Pressed, "#quit-button")
    def quit_pressed(self) -> None:
        self.app.exit()

    @on(OptionList.OptionSelected, "#sessions")
    def resume(self, event: OptionList.OptionSelected) -> None:
        state = self.sessions[event.option_index]
        sandbox = state.account == SANDBOX_ACCOUNT
        self.query_one(
            "#where-sandbox" if sandbox else "#where-aws", RadioButton
        ).value = True
        region = self.query_one("#region", Select)
        if state.region in self.guide.catalog.lab.allowed_regions:
            region.value = state.region
        self.query_one("#participant", Input).value = state.participant or ""
        self.query_one("#email", Input).value = state.email or ""
        self.expected_account = None if sandbox else state.account
        self.action_start()

    # Actions

    def action_start(self) -> None:
        """Opens the lab for the place and participant chosen."""
        participant = self.query_one("#participant", Input)
        name = participant.value.strip()
        if name and not re.fullmatch(self.guide.catalog.lab.participant_pattern, name):
            participant.focus()
            self.notify(self.say("start.bad-participant"), severity="error")
            return
        if self.connection is not None and self.connection.place == self.place:
            self.begin_opening(self.connection)
            return
        self.start_when_connected = True
        self.connect(again=self.connect_error is not None)

    def action_language(self) -> None:
        """Switches between Japanese and English."""
        self.guide.toggle_language()
        self.query_one(f"#language-{self.guide.language}", RadioButton).value = True

    def action_help(self) -> None:
        """Shows the help screen."""
        self.guide.action_help()

    def commands(self) -> Iterable[SystemCommand]:
        yield SystemCommand(
            self.say("key.start"), self.say("help.start"), self.action_start
        )
        yield SystemCommand(
            self.say("key.language"), self.say("help.language"), self.action_language
        )
        if self.connection is not None:
            connection = self.connection
            yield SystemCommand(
                self.say("key.class-view"),
                self.say("help.class-view"),
                lambda: self.guide.open_class_view(connection),
            )
        for index, state in enumerate(self.sessions):
            yield SystemCommand(
                self.say("start.resume", what=self.session_line(state)),
                self.say("help.resume"),
                lambda index=index: self.resume_at(index),
            )

    def resume_at(self, index: int) -> None:
        """Resumes the saved session at `index` of the list."""
        sessions = self.query_one("#sessions", OptionList)
        sessions.highlighted = index
        sessions.action_select()

    # Work

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load(self) -> None:
        """Reads the saved sessions and the AWS profiles."""
        engine = self.guide.engine
        self.post_message(self.Loaded(engine.saved_sessions(), engine.profiles()))

    def connect(self, again: bool = False) -> None:
        """Reaches the place chosen, in a worker, unless it was tried already."""
        place = self.place
        if not again and place == self.tried:
            return
        self.tried = place
        self.connection = None
        self.connect_error = None
        self.query_one("#identity", Static).update(
            self.say(
                "start.starting-sandbox" if place.is_sandbox else "start.connecting"
            )
        )
        self.reach(place)

    @work(thread=True, exclusive=True, group="connect", exit_on_error=False)
    def reach(self, place: Place) -> None:
        self.post_message(self.Connected(self.guide.engine.connect(place)))

    def begin_opening(self, connection: Connection) -> None:
        """Opens the session in a worker, saying so meanwhile: reconciling
        with a real account takes a while."""
        self.query_one("#start-status", Static).update(self.say("start.opening"))
        self.open_session(connection)

    @work(thread=True, exclusive=True, group="open", exit_on_error=False)
    def open_session(self, connection: Connection) -> None:
        participant = self.query_one("#participant", Input).value.strip() or None
        email = self.query_one("#email", Input).value.strip() or None
        if email is None and connection.place.is_sandbox:
            email = SANDBOX_EMAIL
        session = self.guide.engine.open_session(
            connection, participant, email, self.guide.relay
        )
        self.post_message(self.Opened(session, connection))

    def on_start_screen_loaded(self, message: Loaded) -> None:
        self.sessions = message.sessions
        profiles = self.query_one("#profile", Select)
        chosen = self.guide.settings.profile
        profiles.set_options([(name, name) for name in message.profiles])
        if chosen in message.profiles:
            profiles.value = chosen
        self.show_sessions()
        self.connect()

    def on_start_screen_connected(self, message: Connected) -> None:
        if message.connection.place != self.place:
            return
        self.connection = message.connection
        self.show_identity()
        if not self.start_when_connected:
            return
        self.start_when_connected = False
        expected = self.expected_account
        if expected and expected != self.connection.account:
            self.expected_account = None
            self.guide.show_failure(
                LabguideError(
                    self.say(
                        "start.other-account",
                        expected=expected,
                        actual=self.connection.account,
                    ),
                    self.say("start.other-account-fix"),
                )
            )
            return
        self.begin_opening(self.connection)

    def on_start_screen_opened(self, message: Opened) -> None:
        self.query_one("#start-status", Static).update("")
        self.expected_account = None
        self.guide.open_lab(message.session, message.connection)

    def worker_ended(self, worker: Worker[object]) -> None:
        if worker.group == "open" and worker.state != WorkerState.SUCCESS:
            self.query_one("#start-status", Static).update("")
        if worker.group == "connect" and worker.state == WorkerState.ERROR:
            self.start_when_connected = False
            self.connect_error = str(worker.error)
            self.show_identity()

    # Showing

    def show_identity(self) -> None:
        """Says who the calls run as, or why the place cannot be reached."""
        identity = self.query_one("#identity", Static)
        if self.connect_error is not None:
            identity.update(Content.styled(self.connect_error, "$text-error"))
            return
        connection = self.connection
        if connection is None:
            return
        key = (
            "start.identity-sandbox"
            if connection.place.is_sandbox
            else "start.identity"
        )
        identity.update(
            self.say(key, account=connection.account, caller=connection.caller)
        )

    def session_line(self, state: SessionState) -> str:
        """A saved session in one line: where, who, how far, when."""
        catalog = self.guide.catalog
        article = [step for step in catalog.steps if step.article]
        done = sum(
            1
            for step in article
            if step.id in state.steps and state.steps[step.id].status == "done"
        )
        passed = sum(
            1 for goal in state.goals.values() if goal.get("status") == "passed"
        )
        where = (
            self.say("start.sandbox-short")
            if state.account == SANDBOX_ACCOUNT
            else state.account
        )
        when = dt.datetime.fromtimestamp(state.updated_at).strftime("%Y-%m-%d %H:%M")
        return self.say(
            "start.session",
            where=where,
            region=state.region,
            who=state.participant or self.say("start.solo"),
            done=done,
            steps=len(article),
            passed=passed,
            goals=len(catalog.goals),
            when=when,
        )

    def show_sessions(self) -> None:
        """Lists the sessions to resume."""
        sessions = self.query_one("#sessions", OptionList)
        sessions.set_options(
            [Option(self.session_line(state)) for state in self.sessions]
            or [Option(self.say("start.no-sessions"), disabled=True)]
        )
