"""The guide's App: it holds the catalog, the settings and the engine, and
starts on the start screen."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from labguide.catalog.models import Catalog, Language
from labguide.errors import LabguideError
from labguide.tui.engine import Connection, EngineFactory, LiveEngine, Relay, Session
from labguide.tui.screens._speaks import Speaks

# Only the first screen is imported up front; the others (and the widgets
# they bring: Markdown, syntax highlighting) when first shown, so that the
# guide starts about as fast as a bare Textual app.
from labguide.tui.screens.start import StartScreen
from labguide.tui.settings import GuideSettings
from labguide.tui.words import say

if TYPE_CHECKING:
    from labguide.tui.class_screen import ClassSource

log = logging.getLogger(__name__)


class GuideApp(App[None]):
    """labguide's guide through the lab.

    Args:
        catalog: the lab catalog.
        settings: the starting choices (language, place, participant...).
        engine_factory: makes the engine from the catalog; tests pass their
            own (a sandbox in the test process, or a fake).
    """

    TITLE = "labguide"
    CSS_PATH = "app.tcss"
    BINDINGS = [Binding("f1", "help", "Help", show=False)]

    language: reactive[Language] = reactive("en", init=False)
    """The language of the guide and of the lab's texts."""

    class ClassViewReady(Message):
        """The class view's source is ready."""

        def __init__(self, source: ClassSource) -> None:
            self.source = source
            super().__init__()

    def __init__(
        self,
        catalog: Catalog,
        settings: GuideSettings | None = None,
        engine_factory: EngineFactory = LiveEngine,
    ) -> None:
        super().__init__()
        self.catalog = catalog
        self.settings = settings or GuideSettings()
        self.engine = engine_factory(catalog)
        self.relay = Relay()
        self.set_reactive(GuideApp.language, self.settings.language)

    def get_default_screen(self) -> Screen[None]:
        return StartScreen()

    def say(self, key: str, **values: object) -> str:
        """The words for `key` in the learner's language."""
        return say(key, self.language, **values)

    def watch_language(self) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, Speaks):
                screen.translate()

    def toggle_language(self) -> None:
        """Switches between Japanese and English."""
        self.language = "en" if self.language == "ja" else "ja"

    def open_lab(self, session: Session, connection: Connection) -> None:
        """Shows the lab of an open session."""
        from labguide.tui.screens.lab import LabScreen

        self.push_screen(LabScreen(session, connection))

    def open_class_view(self, connection: Connection) -> None:
        """Opens the instructor's class view where the connection reaches."""
        self.build_class_view(connection)

    @work(thread=True, exclusive=True, group="class", exit_on_error=False)
    def build_class_view(self, connection: Connection) -> None:
        self.post_message(self.ClassViewReady(self.engine.class_view(connection)))

    def on_guide_app_class_view_ready(self, message: ClassViewReady) -> None:
        from labguide.tui.class_screen import ClassScreen

        self.push_screen(
            ClassScreen(self.catalog, message.source, language=self.language)
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_failure(event.worker.error)

    def action_help(self) -> None:
        """Shows the help screen."""
        from labguide.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def show_failure(self, error: BaseException) -> None:
        """Shows what went wrong in a worker: a problem with its fix in a
        dialog, a cancellation as a note, anything else as a notification
        pointing at the log (never a traceback)."""
        from labguide.engine.context import Cancelled

        if isinstance(error, LabguideError):
            from labguide.tui.screens.dialogs import ErrorScreen

            shown = self.screen
            if isinstance(shown, ErrorScreen) and shown.message == error.message:
                return
            self.push_screen(ErrorScreen(error.message, error.fix))
        elif isinstance(error, Cancelled):
            self.notify(self.say("lab.cancelled"), severity="warning")
        else:
            from labguide.logfile import log_path

            log.error("unexpected failure", exc_info=error)
            self.notify(
                self.say(
                    "error.unexpected",
                    error=str(error) or type(error).__name__,
                    log=log_path(),
                ),
                severity="error",
                timeout=15,
            )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if isinstance(screen, Speaks):
            yield from screen.commands()
        yield SystemCommand(
            self.say("key.language"), self.say("help.language"), self.toggle_language
        )
        yield SystemCommand(
            self.say("key.help"), self.say("help.help"), self.action_help
        )
        yield from super().get_system_commands(screen)
