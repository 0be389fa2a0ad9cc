"""The article's seven goals: ticked, pending (and on what), or failing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from labguide.catalog.models import Goal, Language

if TYPE_CHECKING:
    from labguide.engine.checks.result import Words

GOAL_MARKS: dict[str | None, tuple[str, str]] = {
    "passed": ("✔", "bold $text-success"),
    "pending": ("…", "bold $text-warning"),
    "failed": ("✘", "bold $text-error"),
    None: ("·", "$text-muted"),
}
"""How each goal status shows; None is a goal not checked yet."""


@dataclass(frozen=True)
class GoalView:
    """A goal as last checked."""

    status: str | None = None
    """passed, pending, failed, or None when not checked yet."""
    note: Words | None = None
    """What it waits for, or why it fails, in a few words, in both languages."""


def goal_prompt(
    goal: Goal, view: GoalView, language: Language, detailed: bool
) -> Content:
    """A goal's line; with `detailed`, what it waits for or why it fails
    follows on a second line."""
    mark, style = GOAL_MARKS.get(view.status, GOAL_MARKS[None])
    parts: list[str | tuple[str, str]] = [(mark, style), " ", goal.title.get(language)]
    note = view.note.get(language) if view.note else ""
    if detailed and note:
        parts += ["\n  ", (note, "italic $text-muted")]
    return Content.assemble(*parts)


class GoalList(OptionList):
    """The goals; choosing one shows its checks and evidence."""

    def __init__(
        self,
        goals: Iterable[Goal],
        *,
        id: str | None = None,  # noqa: A002 - Textual names widget ids `id`
    ) -> None:
        self.goals = list(goals)
        super().__init__(
            *[Option(goal.title.en, id=goal.id) for goal in self.goals], id=id
        )
        # Nothing looks chosen until the learner moves into the list.
        self.highlighted = None

    def show(
        self, views: Mapping[str, GoalView], language: Language, detailed: bool
    ) -> None:
        """Redraws every goal with its status."""
        for index, goal in enumerate(self.goals):
            view = views.get(goal.id, GoalView())
            self.replace_option_prompt_at_index(
                index, goal_prompt(goal, view, language, detailed)
            )
