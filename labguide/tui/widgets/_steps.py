"""The lab's steps, each with its state, in the article's order."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.content import Content
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from labguide.catalog.models import Language, Step

STEP_MARKS: dict[str, tuple[str, str]] = {
    "not-started": ("·", "$text-muted"),
    "running": ("▶", "bold $text-warning"),
    "done": ("✔", "bold $text-success"),
    "failed": ("✘", "bold $text-error"),
    "drifted": ("≈", "bold $text-accent"),
}
"""How each step state shows: a mark and its style."""


def step_prompt(step: Step, status: str, language: Language, is_next: bool) -> Content:
    """A step's line: its state, number and title (bold when it is next)."""
    mark, style = STEP_MARKS.get(status, STEP_MARKS["not-started"])
    return Content.assemble(
        (mark, style),
        " ",
        (f"{step.number:>2} ", "$text-muted"),
        (step.title.get(language), "bold" if is_next else ""),
    )


class StepList(OptionList):
    """The steps of the lab; highlighting one opens it."""

    def __init__(
        self,
        steps: Iterable[Step],
        current: str,
        *,
        id: str | None = None,  # noqa: A002 - Textual names widget ids `id`
    ) -> None:
        self.steps = list(steps)
        super().__init__(
            *[Option(step.title.en, id=step.id) for step in self.steps], id=id
        )
        # Highlighted from the start, so that the first highlight the list
        # announces is the step the screen opens with.
        self.highlighted = self.get_option_index(current)

    def show(
        self, statuses: Mapping[str, str], language: Language, next_id: str | None
    ) -> None:
        """Redraws every step with its state."""
        for index, step in enumerate(self.steps):
            status = statuses.get(step.id, "not-started")
            self.replace_option_prompt_at_index(
                index, step_prompt(step, status, language, step.id == next_id)
            )

    def point_at(self, step_id: str) -> None:
        """Highlights a step without the learner moving there."""
        self.highlighted = self.get_option_index(step_id)
