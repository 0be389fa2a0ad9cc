"""Messages that carry engine events from worker threads to the screens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from labguide.engine.events import Event


class Progress(Message):
    """One line of an action's live log: a call made, a resource found,
    created or deleted, a wait begun."""

    def __init__(self, event: Event) -> None:
        self.event = event
        super().__init__()
