"""The help screen: the keys of each screen and the ideas behind the guide."""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Markdown

from labguide.tui.pages import keys_table
from labguide.tui.screens._speaks import Speaks

KEY_NAMES = {"question_mark": "?", "escape": "Esc", "enter": "Enter"}


def key_label(keys: str) -> str:
    """How a binding's keys are written for a person: `?`, `Ctrl+S`, `Shift+T`."""
    shown = []
    for key in keys.split(","):
        if key in KEY_NAMES:
            shown.append(KEY_NAMES[key])
        elif key.startswith("ctrl+"):
            shown.append("Ctrl+" + key.removeprefix("ctrl+").upper())
        elif len(key) == 1 and key.isupper():
            shown.append(f"Shift+{key}")
        else:
            shown.append(
                key.upper() if key.startswith("f") and key[1:].isdigit() else key
            )
    return " / ".join(shown)


class HelpScreen(Speaks, ModalScreen[None]):
    """What each key does, and how the guide works."""

    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close", id="close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -wide -tall"):
            yield Label(classes="dialog-title")
            with VerticalScroll(classes="dialog-scroll"):
                yield Markdown(id="help-text")

    def on_mount(self) -> None:
        self.translate()
        self.query_one(VerticalScroll).focus()

    def translate(self) -> None:
        super().translate()
        from labguide.tui.screens.lab import LabScreen
        from labguide.tui.screens.start import StartScreen

        self.query_one(".dialog-title", Label).update(self.say("help.title"))
        text = [
            self.say("help.intro"),
            f"## {self.say('help.lab-keys')}",
            keys_table(self.rows(LabScreen.BINDINGS)),
            self.say("help.elsewhere"),
            f"## {self.say('help.start-keys')}",
            keys_table(self.rows(StartScreen.BINDINGS)),
            self.say("help.ideas"),
        ]
        self.query_one("#help-text", Markdown).update("\n\n".join(text))

    def rows(self, bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
        """A screen's keys and what they do, in the learner's language."""
        rows = []
        for binding in bindings:
            if isinstance(binding, Binding) and binding.id:
                rows.append((key_label(binding.key), self.say(f"help.{binding.id}")))
        return rows

    def action_close(self) -> None:
        """Closes the help."""
        self.dismiss(None)
