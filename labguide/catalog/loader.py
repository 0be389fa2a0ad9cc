"""Loading and validating `steps.yaml`.

Every mistake is reported at once, each with the file, line, column and field
path it concerns, so an author fixes a catalog in one pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from labguide.catalog.models import LANGUAGES, Catalog, Strict
from labguide.catalog.parameters import ACTION_PARAMETERS, is_resource_name
from labguide.catalog.registry import KNOWN_ACTIONS, KNOWN_CHECKS
from labguide.locations import bundled_catalog_path

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One mistake in a catalog."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else (
            f"{where}: {self.message}"
        )


class CatalogError(Exception):
    """The catalog could not be loaded; `problems` lists every mistake."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def format_path(path: FieldPath) -> str:
    """Renders a field path the way an author reads YAML: `steps[3].title.en`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


class _Positions:
    """Maps field paths to the line and column where YAML wrote them."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    def find(self, path: FieldPath) -> tuple[int, int]:
        node = self._root
        best = (1, 1)
        if node is not None:
            best = (node.start_mark.line + 1, node.start_mark.column + 1)
        for part in path:
            child = self._child(node, part)
            if child is None:
                break
            node = child
            best = (node.start_mark.line + 1, node.start_mark.column + 1)
        return best

    @staticmethod
    def _child(node: yaml.Node | None, part: str | int) -> yaml.Node | None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    return value
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                return node.value[part]
        return None


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Loads and validates a catalog.

    Args:
        path: the catalog file; the bundled `steps.yaml` when omitted.

    Raises:
        CatalogError: the file is missing, is not YAML, or has mistakes.
    """
    file = Path(path) if path is not None else bundled_catalog_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CatalogError(
            [Problem(str(file), 0, 0, "", "no such file; give the path of a catalog")]
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise CatalogError(
            [Problem(str(file), 0, 0, "", f"cannot read it: {error}")]
        ) from None
    return parse_catalog(text, str(file))


def parse_catalog(text: str, file: str = "<catalog>") -> Catalog:
    """Parses and validates catalog text; see `load_catalog`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        reason = getattr(error, "problem", None) or str(error)
        raise CatalogError(
            [Problem(file, line, column, "", f"not valid YAML: {reason}")]
        ) from None

    positions = _Positions(root)

    def problem(path: FieldPath, message: str) -> Problem:
        line, column = positions.find(path)
        return Problem(file, line, column, format_path(path), message)

    if not isinstance(data, dict):
        raise CatalogError([problem((), "the catalog must be a mapping")])

    problems = [problem(p, m) for p, m in _schema_problems(Catalog, data, ())]
    problems += [problem(p, m) for p, m in _parameter_problems(data)]
    if problems:
        raise CatalogError(_sorted(problems))

    catalog = Catalog.model_validate(data)
    problems = [problem(p, m) for p, m in _reference_problems(catalog)]
    if problems:
        raise CatalogError(_sorted(problems))
    return catalog


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.line, p.column, p.field))


def _schema_problems(
    model: type[BaseModel], data: Any, base: FieldPath
) -> Iterator[tuple[FieldPath, str]]:
    try:
        model.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            path = base + tuple(item["loc"])
            yield path, _describe(item, path)


def _describe(item: Any, path: FieldPath) -> str:
    kind = item["type"]
    if kind == "missing":
        if path and path[-1] in LANGUAGES:
            return f"missing translation ({path[-1]})"
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling)"
    if kind == "string_pattern_mismatch":
        pattern = item.get("ctx", {}).get("pattern", "")
        return f"{item['input']!r} does not match the expected form {pattern}"
    return str(item["msg"])


def _parameter_problems(data: dict[str, Any]) -> Iterator[tuple[FieldPath, str]]:
    steps = data.get("steps")
    if not isinstance(steps, list):
        return
    for index, step in enumerate(steps):
        if not isinstance(step, dict):
            continue
        action = step.get("action")
        model = ACTION_PARAMETERS.get(action) if isinstance(action, str) else None
        if isinstance(action, str) and model is None:
            known = ", ".join(sorted(KNOWN_ACTIONS))
            yield ("steps", index, "action"), (
                f"unknown action {action!r}; known actions: {known}"
            )
            continue
        if model is not None:
            yield from _schema_problems(
                model, step.get("parameters", {}), ("steps", index, "parameters")
            )


def _reference_problems(catalog: Catalog) -> Iterator[tuple[FieldPath, str]]:
    lab = catalog.lab
    yield from _duplicates([c.id for c in catalog.checks], "checks", "check")
    yield from _duplicates([g.id for g in catalog.goals], "goals", "goal")
    yield from _duplicates([s.id for s in catalog.steps], "steps", "step")
    tips = [t.id for s in catalog.steps for t in s.troubleshooting]
    for tip_id in {t for t in tips if tips.count(t) > 1}:
        for s_index, step in enumerate(catalog.steps):
            for t_index, tip in enumerate(step.troubleshooting):
                if tip.id == tip_id:
                    yield ("steps", s_index, "troubleshooting", t_index, "id"), (
                        f"duplicate tip id {tip_id!r}"
                    )

    if lab.default_region not in lab.allowed_regions:
        yield ("lab", "default_region"), (
            f"{lab.default_region!r} is not among allowed_regions"
        )
    try:
        re.compile(lab.participant_pattern)
    except re.error as error:
        yield ("lab", "participant_pattern"), f"not a regular expression: {error}"

    declared = {c.id for c in catalog.checks}
    for index, check in enumerate(catalog.checks):
        if check.id not in KNOWN_CHECKS:
            yield ("checks", index, "id"), (
                f"unknown check {check.id!r}; labguide implements: "
                + ", ".join(sorted(KNOWN_CHECKS))
            )

    step_ids = [s.id for s in catalog.steps]
    for index, goal in enumerate(catalog.goals):
        for c_index, check_id in enumerate(goal.checks):
            if check_id not in declared:
                yield ("goals", index, "checks", c_index), (
                    f"unknown check {check_id!r} (declare it under checks)"
                )
        if goal.step not in step_ids:
            yield ("goals", index, "step"), f"unknown step {goal.step!r}"

    numbers = [s.number for s in catalog.steps]
    for index, step in enumerate(catalog.steps):
        if numbers.count(step.number) > 1:
            yield ("steps", index, "number"), f"step number {step.number} is repeated"
        for c_index, check_id in enumerate(step.checks):
            if check_id not in declared:
                yield ("steps", index, "checks", c_index), (
                    f"unknown check {check_id!r} (declare it under checks)"
                )
        for d_index, dep in enumerate(step.depends_on):
            if dep not in step_ids:
                yield ("steps", index, "depends_on", d_index), f"unknown step {dep!r}"
            elif step_ids.index(dep) >= index:
                yield ("steps", index, "depends_on", d_index), (
                    f"step {dep!r} comes after {step.id!r}; a step can only "
                    "depend on earlier steps"
                )
        yield from _name_problems(catalog, index)

    instance_types = _instance_types(catalog)
    for path, instance_type in instance_types:
        if instance_type not in lab.allowed_instance_types:
            yield path, (
                f"instance type {instance_type!r} is not among "
                "lab.allowed_instance_types"
            )


def _duplicates(ids: list[str], where: str, what: str) -> Iterator[tuple[FieldPath, str]]:
    seen: set[str] = set()
    for index, item in enumerate(ids):
        if item in seen:
            yield (where, index, "id"), f"duplicate {what} id {item!r}"
        seen.add(item)


def _name_problems(catalog: Catalog, index: int) -> Iterator[tuple[FieldPath, str]]:
    """Every resource name must start with the lab's prefix, so that teardown
    can find it and a participant's name can be placed after the prefix."""
    step = catalog.steps[index]
    params = ACTION_PARAMETERS[step.action].model_validate(step.parameters)
    prefix = catalog.lab.name_prefix + "-"
    for path, value in _resource_names(params, ()):
        if not value.startswith(prefix):
            yield ("steps", index, "parameters", *path), (
                f"name {value!r} must start with the lab's prefix {prefix!r}"
            )


def _resource_names(model: Strict, base: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, Strict):
            yield from _resource_names(value, base + (name,))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Strict):
                    yield from _resource_names(item, base + (name, i))
        elif isinstance(value, str) and is_resource_name(field):
            yield base + (name,), value


def _instance_types(catalog: Catalog) -> Iterator[tuple[FieldPath, str]]:
    for index, step in enumerate(catalog.steps):
        value = step.parameters.get("instance_type")
        if isinstance(value, str):
            yield ("steps", index, "parameters", "instance_type"), value
