"""The one exception type a learner sees: what is wrong and how to fix it."""

from __future__ import annotations


class LabguideError(Exception):
    """A problem the learner can fix; shown as one clear message, exit code 2.

    Args:
        message: what is wrong, in one sentence.
        fix: how to fix it, in one sentence (optional).
    """

    exit_code = 2

    def __init__(self, message: str, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message if not fix else f"{message} {fix}")

    def __str__(self) -> str:
        return self.message if not self.fix else f"{self.message} {self.fix}"
