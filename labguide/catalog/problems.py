"""What is wrong with a catalog, as the loader reports it.

Apart from the loader so that code which only catches a `CatalogError` does
not import PyYAML and the validation rules.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One mistake in a catalog.

    Attributes:
        file: the catalog file.
        line: the line, counted from 1 (0 when the file cannot be read).
        column: the column, counted from 1 (0 when the file cannot be read).
        field: the field path, such as `steps[3].title.en` (empty for the file).
        message: what is wrong, and where it helps, how to fix it.
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        if not self.line:
            return f"{self.file}: {self.message}"
        where = f"{self.file}:{self.line}:{self.column}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"


class CatalogError(Exception):
    """The catalog could not be loaded; `problems` lists every mistake."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
