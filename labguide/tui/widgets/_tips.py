"""A troubleshooting tip, with its diagnostics runnable in place."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Button, Markdown, Static

from labguide.catalog.models import Tip


class TipView(Vertical):
    """One tip: what you see, why, what to run and what good output looks
    like; a button runs its commands on the chosen instance, and their output
    shows right below.

    Args:
        tip: the tip; its commands run on an instance when it says
            `where: instance` (others are for the learner's own terminal).
    """

    class Run(Message):
        """The learner asked to run the tip's commands."""

        def __init__(self, tip: Tip) -> None:
            self.tip = tip
            super().__init__()

    def __init__(self, tip: Tip) -> None:
        super().__init__(id=f"tip-{tip.id}", classes="tip")
        self.tip = tip
        self.worded: tuple[str, str] | None = None
        """The text and label it shows, so as to word it only when they
        change (rendering Markdown is not free)."""

    @property
    def runnable(self) -> bool:
        """Whether the tip's commands run on an instance."""
        return self.tip.where == "instance"

    def compose(self) -> ComposeResult:
        yield Markdown(classes="tip-text")
        if self.runnable:
            yield Button(compact=True, classes="tip-run")
            yield Static(classes="tip-output -empty")

    def set_text(self, text: str, run_label: str) -> None:
        """Words the tip (its Markdown and its button) anew."""
        if self.worded == (text, run_label):
            return
        self.worded = (text, run_label)
        self.query_one(".tip-text", Markdown).update(text)
        for button in self.query(".tip-run").results(Button):
            button.label = run_label

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Run(self.tip))

    def set_output(self, text: str) -> Static:
        """Shows what the commands printed; returns the widget showing it."""
        output = self.query_one(".tip-output", Static)
        output.update(Text(text))
        output.set_class(not text, "-empty")
        return output

    def focus_run(self) -> None:
        """Puts the focus on the run button, if the tip has one."""
        for button in self.query(".tip-run"):
            button.focus()
