"""Progress events: what an action is doing, for a live log."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

EventKind = Literal[
    "start",
    "found",
    "created",
    "updated",
    "deleted",
    "wait",
    "info",
    "warning",
    "done",
    "failed",
]


@dataclass(frozen=True)
class Event:
    """One line of an action's live log.

    Attributes:
        step: the step (or `teardown`) the event belongs to.
        kind: what happened.
        message: a short sentence for the learner.
        resource: the resource id or name concerned, if any.
    """

    step: str
    kind: EventKind
    message: str
    resource: str | None = None
    at: float = field(default_factory=time.time)

    def line(self) -> str:
        """The event as one log line."""
        suffix = f" [{self.resource}]" if self.resource else ""
        return f"{self.step}: {self.kind}: {self.message}{suffix}"


Reporter = Callable[[Event], None]
"""Receives events; may be called from worker threads."""
