"""The peer of the guide's startup: the smallest Textual app with a header,
a line of text and a footer, started the same way and measured the same way.
"""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Footer, Header, Static

READY = "Bare Textual app ready"
"""What the app shows once its first screen is up."""


class BareApp(App[None]):
    """A header, one line, a footer."""

    BINDINGS = [("q", "quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(READY)
        yield Footer()


if __name__ == "__main__":
    BareApp().run()
