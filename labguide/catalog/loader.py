"""Loading and validating `steps.yaml`.

Every mistake is reported at once, each with the file, line, column and field
path it concerns, so an author fixes a catalog in one pass. Beyond the shape
the models describe, the loader checks what only the whole catalog can tell:
that ids are unique, that every check, goal, step and resource a field names
exists (and is made by a step this one depends on), and that the lab's
guardrails and AWS's own limits hold for every participant.
"""

from __future__ import annotations

import difflib
import importlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from labguide.catalog.models import LANGUAGES, Catalog, Strict
from labguide.catalog.parameters import (
    ACTION_PARAMETERS,
    AlarmParams,
    AutoScalingParams,
    LaunchTemplateParams,
    LoadBalancerParams,
    LogGroupsParams,
    RoleParams,
    SecurityGroupsParams,
    TargetGroupParams,
    is_resource_name,
)
from labguide.catalog.problems import CatalogError, Problem
from labguide.catalog.registry import KNOWN_ACTIONS, KNOWN_CHECKS
from labguide.locations import (
    bundled_catalog_path,
    catalog_userdata_dir,
    userdata_dir,
)

FieldPath = tuple[str | int, ...]

ELB_NAME_LIMIT = 32
"""AWS's limit on the names of load balancers and target groups."""

LOG_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731}
    | {1096, 1827, 2192, 2557, 2922, 3288, 3653}
)
"""The retention periods CloudWatch Logs accepts."""

# The action that creates each kind of resource another step may name.
_CREATOR_ACTIONS = {
    "instance profile": "create-instance-role",
    "security group": "create-security-groups",
    "target group": "create-target-group",
    "launch template": "create-launch-template",
}

_TOP_LEVEL = "version, lab, checks, goals and steps"


def format_path(path: FieldPath) -> str:
    """Renders a field path the way an author reads YAML: `steps[3].title.en`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True)
class _Mistake:
    path: FieldPath
    message: str
    at: tuple[int, int] | None = None
    """Where it is, when the field path alone cannot say (a duplicate key)."""
    shape: bool = False
    """Found by the models; a more precise finding on the same field wins."""


class _Positions:
    """Maps field paths to the line and column where YAML wrote them."""

    def __init__(self, root: yaml.Node | None) -> None:
        self._root = root

    def find(self, path: FieldPath) -> tuple[int, int]:
        """The position of the field, or of its nearest parent that exists.

        A scalar is found where its value is written; a mapping or a list
        where its key is, since its value starts on a later line.
        """
        node = self._root
        best = _start(node) if node is not None else (1, 1)
        for part in path:
            found = self._child(node, part)
            if found is None:
                break
            key, node = found
            if key is not None and not isinstance(node, yaml.ScalarNode):
                best = _start(key)
            else:
                best = _start(node)
        return best

    @staticmethod
    def _child(
        node: yaml.Node | None, part: str | int
    ) -> tuple[yaml.Node | None, yaml.Node] | None:
        if isinstance(node, yaml.MappingNode):
            # The last of duplicate keys, as the YAML loader keeps the last.
            for key, value in reversed(node.value):
                if key.value == str(part):
                    return key, value
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if 0 <= part < len(node.value):
                return None, node.value[part]
        return None


def _start(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Loads and validates a catalog.

    User data files are looked up in the `userdata/` folder beside the
    catalog, or in the bundled one when the catalog has none beside it.

    Args:
        path: the catalog file; the bundled `steps.yaml` when omitted.

    Raises:
        CatalogError: the file is missing, is not YAML, or has mistakes.
    """
    file = Path(path) if path is not None else bundled_catalog_path()
    name = str(file)

    def unreadable(message: str, line: int = 0, column: int = 0) -> CatalogError:
        return CatalogError([Problem(name, line, column, "", message)])

    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise unreadable("no such file; give the path of a catalog") from None
    except IsADirectoryError:
        raise unreadable(
            "is a directory; give the path of a catalog file such as steps.yaml"
        ) from None
    except OSError as error:
        raise unreadable(f"cannot read it: {error.strerror or error}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        column = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        raise unreadable(
            f"not UTF-8: byte 0x{data[error.start]:02x} cannot be decoded; "
            "save the catalog as UTF-8",
            line,
            column,
        ) from None

    return parse_catalog(text, name, catalog_userdata_dir(file))


def parse_catalog(
    text: str, file: str = "<catalog>", userdata: Path | None = None
) -> Catalog:
    """Parses and validates catalog text; see `load_catalog`.

    Args:
        text: the catalog's YAML.
        file: the name problems are reported under.
        userdata: the folder user data files are looked up in (the bundled
            one when omitted).

    Raises:
        CatalogError: the text is not YAML or has mistakes.
    """
    try:
        root, data = _compose(text)
    except yaml.YAMLError as error:
        raise CatalogError([_yaml_problem(error, file)]) from None

    positions = _Positions(root)

    def problem(mistake: _Mistake) -> Problem:
        line, column = mistake.at or positions.find(mistake.path)
        return Problem(file, line, column, format_path(mistake.path), mistake.message)

    if data is None:
        raise CatalogError(
            [problem(_Mistake((), f"the catalog is empty; it needs {_TOP_LEVEL}"))]
        )
    if not isinstance(data, dict):
        raise CatalogError(
            [
                problem(
                    _Mistake(
                        (),
                        f"the catalog must be a mapping of {_TOP_LEVEL}, not "
                        f"{_kind(data)}",
                    )
                )
            ]
        )

    folder = userdata or userdata_dir()
    mistakes = _mistakes(data, root, folder)
    if mistakes:
        problems = {problem(mistake) for mistake in mistakes}
        raise CatalogError(
            sorted(problems, key=lambda p: (p.line, p.column, p.field, p.message))
        )
    catalog = Catalog.model_validate(data)
    # The user data is rendered from the folder it was validated in.
    catalog._userdata = folder
    return catalog


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    """The YAML's node tree (for positions) and the data it holds, from one
    parse; libyaml's parser, when PyYAML has it, is some twenty times faster."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        root = loader.get_single_node()
        return root, (loader.construct_document(root) if root is not None else None)
    finally:
        loader.dispose()


def _yaml_problem(error: yaml.YAMLError, file: str) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    reason = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    # Where an unclosed quote or bracket began helps more than where the
    # parser gave up, often lines later.
    began = getattr(error, "context_mark", None)
    if context and began and mark and began.line != mark.line:
        context += f" that begins on line {began.line + 1}"
    detail = f"{reason} ({context})" if context else reason
    return Problem(file, line, column, "", f"not valid YAML: {detail}")


def _mistakes(
    data: dict[str, Any], root: yaml.Node | None, userdata: Path
) -> list[_Mistake]:
    """Every mistake in the catalog, from its shape to its cross-references.

    The cross-references are checked on the raw data, not on validated
    models, so that a shape mistake in one step does not hide a broken
    reference in another.
    """
    parameters, parameter_mistakes = _parameters(data)
    found = [
        *_duplicate_keys(root, ()),
        *_schema(Catalog, data, ()),
        *parameter_mistakes,
        *_blank_texts(data, ()),
        *_identities(data),
        *_lab(data),
        *_references(data),
        *_resources(data, parameters, userdata),
    ]
    precise = {m.path for m in found if not m.shape}
    return [m for m in found if not (m.shape and m.path in precise)]


# --- shape ------------------------------------------------------------------


def _duplicate_keys(node: yaml.Node | None, path: FieldPath) -> Iterator[_Mistake]:
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                yield _Mistake(
                    (*path, name),
                    f"duplicate key {name!r} (also on line {seen[name]}); YAML keeps "
                    "only the last one",
                    at=_start(key),
                )
            seen[name] = _start(key)[0]
            yield from _duplicate_keys(value, (*path, name))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index))


def _schema(model: type[BaseModel], data: Any, base: FieldPath) -> Iterator[_Mistake]:
    try:
        model.model_validate(data)
    except ValidationError as error:
        items = error.errors()
    else:
        return

    # A misspelt field is both unknown and missing; the unknown one, which
    # names the field it was meant to be, says it all.
    missing = {tuple(i["loc"]) for i in items if i["type"] == "missing"}
    meant = set()
    for item in items:
        if item["type"] == "extra_forbidden":
            loc = tuple(item["loc"])
            known = _fields_at(model, loc[:-1])
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            if close and (*loc[:-1], close[0]) in missing:
                meant.add((*loc[:-1], close[0]))
    for item in items:
        loc = tuple(item["loc"])
        if item["type"] == "missing" and loc in meant:
            continue
        yield _Mistake(base + loc, _describe(item, model, loc), shape=True)


def _describe(item: Any, model: type[BaseModel], path: FieldPath) -> str:
    """An author-friendly sentence for one of pydantic's validation errors."""
    kind = item["type"]
    ctx = item.get("ctx") or {}
    got = _show(item.get("input"))
    last = path[-1] if path else ""
    if kind == "missing":
        if last in LANGUAGES:
            return f"missing translation ({last})"
        return "required field is missing"
    if kind == "extra_forbidden":
        known = _fields_at(model, path[:-1])
        return f"unknown field {last!r}{_suggest(str(last), known)}"
    if kind == "string_too_short" and last in LANGUAGES:
        return f"empty translation ({last})"
    if kind == "model_type" and ctx.get("class_name") == "Text":
        return f"needs a text in each language (ja and en), not {got}"
    if kind in ("model_type", "dict_type"):
        return f"expected a mapping of fields, not {got}"
    if kind == "list_type":
        return f"expected a list, not {got}"
    if kind == "literal_error":
        return f"must be {ctx.get('expected')}, not {got}"
    if kind == "none_required":
        return (
            f"must be null, not {got}: the lab launches instances without a key "
            "pair, since Session Manager replaces SSH"
        )
    if kind == "string_pattern_mismatch":
        return f"{got} {_PATTERNS.get(str(ctx.get('pattern')), 'has the wrong form')}"
    return f"{item['msg']} (got {got})"


_PATTERNS = {
    r"^[a-z][a-z0-9-]*[a-z0-9]$": (
        "is not a valid id: use lower-case letters, digits and dashes, starting "
        "with a letter"
    ),
    r"^[A-Za-z0-9][A-Za-z0-9-]*$": (
        "is not a valid resource name: use letters, digits and dashes"
    ),
    r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$": "is not an IPv4 CIDR block like 10.0.0.0/16",
}


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = repr(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    return f"a {type(value).__name__}"


def _fields_at(model: type[BaseModel], path: FieldPath) -> list[str]:
    """The field names of the model found at `path` under `model`."""
    current: Any = model
    for part in path:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if _is_model(current) else None
        if field is None:
            return []
        current = _model_in(field.annotation)
        if current is None:
            return []
    return list(current.model_fields) if _is_model(current) else []


def _is_model(value: Any) -> bool:
    return isinstance(value, type) and issubclass(value, BaseModel)


def _model_in(annotation: Any) -> Any:
    """The model a field holds, itself or inside a list, a dict or a union."""
    if _is_model(annotation):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _parameters(
    data: dict[str, Any],
) -> tuple[dict[int, Strict], list[_Mistake]]:
    """Each step's parameters as its action's model, and the mistakes in them."""
    models: dict[int, Strict] = {}
    mistakes: list[_Mistake] = []
    for index, step in _mappings(data, "steps"):
        action = step.get("action")
        if not isinstance(action, str):
            continue
        model = ACTION_PARAMETERS.get(action)
        if model is None:
            mistakes.append(
                _Mistake(
                    ("steps", index, "action"),
                    f"unknown action {action!r}{_suggest(action, KNOWN_ACTIONS)}; "
                    f"known actions: {', '.join(sorted(KNOWN_ACTIONS))}",
                )
            )
            continue
        values = step.get("parameters", {})
        if not isinstance(values, dict):
            continue  # the catalog's own model reports it
        found = list(_schema(model, values, ("steps", index, "parameters")))
        mistakes += found
        if not found:
            models[index] = model.model_validate(values)
    return models, mistakes


def _blank_texts(value: Any, path: FieldPath) -> Iterator[_Mistake]:
    """Texts of spaces only, which pass the models' length check."""
    if isinstance(value, dict):
        if set(value) == set(LANGUAGES):
            for language in LANGUAGES:
                text = value[language]
                if isinstance(text, str) and text and not text.strip():
                    yield _Mistake((*path, language), f"blank translation ({language})")
            return
        for key, item in value.items():
            yield from _blank_texts(item, (*path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _blank_texts(item, (*path, index))


# --- identities and the lab --------------------------------------------------


def _identities(data: dict[str, Any]) -> Iterator[_Mistake]:
    for where, what in (("checks", "check"), ("goals", "goal"), ("steps", "step")):
        first: dict[str, int] = {}
        for index, item in _mappings(data, where):
            item_id = item.get("id")
            if not isinstance(item_id, str):
                continue
            if item_id in first:
                yield _Mistake(
                    (where, index, "id"),
                    f"duplicate {what} id {item_id!r} (also {where}[{first[item_id]}])",
                )
            else:
                first[item_id] = index

    tips: dict[str, FieldPath] = {}
    for s_index, step in _mappings(data, "steps"):
        for t_index, tip in _mappings(step, "troubleshooting"):
            tip_id = tip.get("id")
            if not isinstance(tip_id, str):
                continue
            path: FieldPath = ("steps", s_index, "troubleshooting", t_index, "id")
            if tip_id in tips:
                yield _Mistake(
                    path,
                    f"duplicate tip id {tip_id!r} (also {format_path(tips[tip_id])})",
                )
            else:
                tips[tip_id] = path[:-1]

    numbers: dict[int, str] = {}
    previous: int | None = None
    for index, step in _mappings(data, "steps"):
        number = step.get("number")
        if not isinstance(number, int) or isinstance(number, bool):
            continue
        path = ("steps", index, "number")
        if number in numbers:
            yield _Mistake(
                path, f"step number {number} is repeated (also step {numbers[number]})"
            )
        elif previous is not None and number < previous:
            yield _Mistake(
                path,
                f"step number {number} follows step number {previous}; list the "
                "steps in the order of their numbers",
            )
        numbers.setdefault(number, repr(step.get("id")))
        previous = number


def _lab(data: dict[str, Any]) -> Iterator[_Mistake]:
    lab = data.get("lab")
    if not isinstance(lab, dict):
        return
    regions = lab.get("allowed_regions")
    region = lab.get("default_region")
    if isinstance(regions, list) and isinstance(region, str) and region not in regions:
        yield _Mistake(
            ("lab", "default_region"),
            f"{region!r} is not among lab.allowed_regions{_suggest(region, regions)}",
        )

    pattern = lab.get("participant_pattern")
    if isinstance(pattern, str):
        try:
            re.compile(pattern)
        except re.error as error:
            yield _Mistake(
                ("lab", "participant_pattern"), f"not a regular expression: {error}"
            )
        else:
            if _longest_match(pattern) is None:
                yield _Mistake(
                    ("lab", "participant_pattern"),
                    "allows names of any length; bound it (as in {0,14}) so that "
                    "participant-scoped names keep within AWS's name limits",
                )

    costs = lab.get("costs")
    types = lab.get("allowed_instance_types")
    prices = costs.get("instance_hour") if isinstance(costs, dict) else None
    if isinstance(types, list) and isinstance(prices, dict):
        for index, instance_type in enumerate(types):
            if isinstance(instance_type, str) and instance_type not in prices:
                yield _Mistake(
                    ("lab", "allowed_instance_types", index),
                    f"no hourly price for {instance_type!r} in lab.costs.instance_hour",
                )


def _longest_match(pattern: str) -> int | None:
    """The longest string `pattern` can match, or None when unbounded.

    Python's regular expression parser is private, but it is the only thing
    that measures a pattern exactly; a pattern it cannot measure counts as
    unbounded, which asks the author for a plainer pattern.
    """
    try:
        parser: Any = importlib.import_module("re._parser")
        constants: Any = importlib.import_module("re._constants")
        _, longest = parser.parse(pattern).getwidth()
    except Exception:  # any failure means the pattern cannot be measured
        return None
    return None if longest >= constants.MAXREPEAT else int(longest)


# --- references between checks, goals and steps ------------------------------


def _references(data: dict[str, Any]) -> Iterator[_Mistake]:
    declared: set[str] = set()
    for index, check in _mappings(data, "checks"):
        check_id = check.get("id")
        if not isinstance(check_id, str):
            continue
        declared.add(check_id)
        if check_id not in KNOWN_CHECKS:
            yield _Mistake(
                ("checks", index, "id"),
                f"unknown check {check_id!r}{_suggest(check_id, KNOWN_CHECKS)}; "
                f"labguide implements: {', '.join(sorted(KNOWN_CHECKS))}",
            )

    step_ids = [_id(step) for step in _list(data, "steps")]
    known_steps = [s for s in step_ids if s]

    for index, goal in _mappings(data, "goals"):
        yield from _check_references(goal, ("goals", index), declared)
        step = goal.get("step")
        if isinstance(step, str) and step not in known_steps:
            yield _Mistake(
                ("goals", index, "step"),
                f"unknown step {step!r}{_suggest(step, known_steps)}",
            )

    for index, step in _mappings(data, "steps"):
        yield from _check_references(step, ("steps", index), declared)
        for d_index, dep in _strings(step, "depends_on"):
            path: FieldPath = ("steps", index, "depends_on", d_index)
            if dep not in known_steps:
                yield _Mistake(
                    path, f"unknown step {dep!r}{_suggest(dep, known_steps)}"
                )
            elif dep == step_ids[index]:
                yield _Mistake(path, f"step {dep!r} cannot depend on itself")
            elif step_ids.index(dep) > index:
                yield _Mistake(
                    path,
                    f"step {dep!r} comes after {step_ids[index]!r}; a step can only "
                    "depend on earlier steps",
                )


def _check_references(
    item: dict[str, Any], base: FieldPath, declared: set[str]
) -> Iterator[_Mistake]:
    for index, check_id in _strings(item, "checks"):
        if check_id not in declared:
            yield _Mistake(
                (*base, "checks", index),
                f"unknown check {check_id!r}{_suggest(check_id, declared)}; "
                "declare it under checks",
            )


# --- the resources the steps create -------------------------------------------


def _resources(
    data: dict[str, Any], parameters: dict[int, Strict], userdata: Path
) -> Iterator[_Mistake]:
    lab = data.get("lab")
    if not isinstance(lab, dict):
        lab = {}
    prefix = lab.get("name_prefix")
    pattern = lab.get("participant_pattern")
    longest = _longest_match(pattern) if isinstance(pattern, str) else None
    allowed_types = lab.get("allowed_instance_types")
    max_group = lab.get("max_group_size")

    for index, params in parameters.items():
        base: FieldPath = ("steps", index, "parameters")
        if isinstance(prefix, str):
            yield from _prefixed(params, base, prefix + "-")
        if isinstance(params, TargetGroupParams | LoadBalancerParams):
            yield from _elb_name(params, base, longest)
        if isinstance(params, SecurityGroupsParams):
            yield from _security_groups(params, base)
        if isinstance(params, LaunchTemplateParams):
            if isinstance(allowed_types, list):
                if params.instance_type not in allowed_types:
                    yield _Mistake(
                        (*base, "instance_type"),
                        f"instance type {params.instance_type!r} is not among "
                        "lab.allowed_instance_types "
                        f"({', '.join(map(str, allowed_types))})",
                    )
            yield from _user_data(params.user_data, (*base, "user_data"), userdata)
        if isinstance(params, AutoScalingParams):
            yield from _group_sizes(params, base, max_group)
        if isinstance(params, LogGroupsParams):
            if params.retention_days not in LOG_RETENTION_DAYS:
                yield _Mistake(
                    (*base, "retention_days"),
                    f"CloudWatch Logs does not accept {params.retention_days} days; "
                    f"use one of {', '.join(map(str, sorted(LOG_RETENTION_DAYS)))}",
                )
        if isinstance(params, AlarmParams):
            period = params.period_seconds
            if period not in (10, 30) and period % 60:
                yield _Mistake(
                    (*base, "period_seconds"),
                    f"CloudWatch does not accept a period of {period} seconds; use "
                    "10, 30 or a multiple of 60",
                )

    yield from _cross_step(data, parameters)


def _prefixed(params: Strict, base: FieldPath, prefix: str) -> Iterator[_Mistake]:
    """Every resource name must start with the lab's prefix, so that teardown
    can find it and a participant's name can be placed after the prefix."""
    for path, value in _resource_names(params, ()):
        if not value.startswith(prefix):
            yield _Mistake(
                (*base, *path),
                f"name {value!r} must start with the lab's prefix {prefix!r}",
            )


def _resource_names(model: Strict, base: FieldPath) -> Iterator[tuple[FieldPath, str]]:
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        if isinstance(value, Strict):
            yield from _resource_names(value, (*base, name))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Strict):
                    yield from _resource_names(item, (*base, name, i))
        elif isinstance(value, str) and is_resource_name(field):
            yield (*base, name), value


def _elb_name(
    params: TargetGroupParams | LoadBalancerParams,
    base: FieldPath,
    longest: int | None,
) -> Iterator[_Mistake]:
    what = (
        "a target group"
        if isinstance(params, TargetGroupParams)
        else ("a load balancer")
    )
    name = params.name
    if len(name) > ELB_NAME_LIMIT:
        yield _Mistake(
            (*base, "name"),
            f"name {name!r} is {len(name)} characters; AWS allows at most "
            f"{ELB_NAME_LIMIT} for {what}",
        )
    elif longest is not None and len(name) + 1 + longest > ELB_NAME_LIMIT:
        yield _Mistake(
            (*base, "name"),
            f"name {name!r} becomes {len(name) + 1 + longest} characters for a "
            f"participant with the longest name lab.participant_pattern allows "
            f"({longest} characters); AWS allows at most {ELB_NAME_LIMIT} for "
            f"{what}: shorten the name or the pattern's limit",
        )


def _security_groups(
    params: SecurityGroupsParams, base: FieldPath
) -> Iterator[_Mistake]:
    names = [group.name for group in params.groups]
    listed = ", ".join(names)
    for index, name in enumerate(names):
        if name in names[:index]:
            yield _Mistake(
                (*base, "groups", index, "name"),
                f"security group {name!r} is declared twice",
            )
    for field in ("load_balancer_group", "instance_group"):
        value = getattr(params, field)
        if value not in names:
            yield _Mistake(
                (*base, field),
                f"security group {value!r} is not declared in groups "
                f"({listed}){_suggest(value, names)}",
            )

    for g_index, group in enumerate(params.groups):
        for direction in ("ingress", "egress"):
            for r_index, rule in enumerate(getattr(group, direction)):
                path = (*base, "groups", g_index, direction, r_index)
                peer = "source" if direction == "ingress" else "destination"
                if rule.group is not None and rule.group not in names:
                    yield _Mistake(
                        (*path, "group"),
                        f"{peer} group {rule.group!r} is not declared in this "
                        f"step's groups ({listed}){_suggest(rule.group, names)}",
                    )
                if (rule.cidr is None) == (rule.group is None):
                    yield _Mistake(
                        path,
                        f"a rule needs exactly one {peer}: cidr or group",
                    )
                if rule.protocol in ("tcp", "udp") and rule.port is None:
                    yield _Mistake(path, f"a {rule.protocol} rule needs a port")
                if direction == "ingress" and rule.port == 22:
                    yield _Mistake(
                        (*path, "port"),
                        "the lab opens no SSH port: Session Manager replaces SSH",
                    )


def _user_data(name: str, path: FieldPath, folder: Path) -> Iterator[_Mistake]:
    if Path(name).name != name or name in ("", ".", ".."):
        yield _Mistake(
            path, f"{name!r} must be a file name under userdata/, not a path"
        )
        return
    if not (folder / name).is_file():
        present = sorted(p.name for p in folder.glob("*") if p.is_file())
        yield _Mistake(
            path,
            f"user data file {name!r} does not exist in {folder}"
            f"{_suggest(name, present)}",
        )


def _group_sizes(
    params: AutoScalingParams, base: FieldPath, max_group: Any
) -> Iterator[_Mistake]:
    if params.min_size > params.max_size:
        yield _Mistake(
            (*base, "min_size"),
            f"min_size {params.min_size} is above max_size {params.max_size}",
        )
    if not params.min_size <= params.desired_capacity <= params.max_size:
        yield _Mistake(
            (*base, "desired_capacity"),
            f"desired_capacity {params.desired_capacity} is outside min_size "
            f"{params.min_size} and max_size {params.max_size}",
        )
    if isinstance(max_group, int) and params.max_size > max_group:
        yield _Mistake(
            (*base, "max_size"),
            f"max_size {params.max_size} is above lab.max_group_size ({max_group}), "
            "the workshop guardrail",
        )


def _created(params: Strict) -> dict[str, list[str]]:
    """The names of the resources a step creates that other steps name."""
    if isinstance(params, RoleParams):
        return {"instance profile": [params.instance_profile_name]}
    if isinstance(params, SecurityGroupsParams):
        return {"security group": [group.name for group in params.groups]}
    if isinstance(params, TargetGroupParams):
        return {"target group": [params.name]}
    if isinstance(params, LaunchTemplateParams):
        return {"launch template": [params.name]}
    return {}


def _named(params: Strict) -> list[tuple[str, str, str]]:
    """The resources of other steps a step names: (field, kind, name)."""
    if isinstance(params, LaunchTemplateParams):
        return [
            ("instance_profile", "instance profile", params.instance_profile),
            ("security_group", "security group", params.security_group),
        ]
    if isinstance(params, LoadBalancerParams):
        return [
            ("security_group", "security group", params.security_group),
            ("target_group", "target group", params.target_group),
        ]
    if isinstance(params, AutoScalingParams):
        return [
            ("launch_template", "launch template", params.launch_template),
            ("target_group", "target group", params.target_group),
        ]
    return []


def _cross_step(
    data: dict[str, Any], parameters: dict[int, Strict]
) -> Iterator[_Mistake]:
    """A resource a step names must be created by a step it depends on, so the
    engine creates it first; the load balancer and the instances must also
    sit in the security groups meant for them."""
    steps = _list(data, "steps")
    ids = [_id(step) or f"steps[{index}]" for index, step in enumerate(steps)]
    creators: dict[tuple[str, str], int] = {}
    made: dict[str, list[str]] = {}
    for index, params in parameters.items():
        for kind, names in _created(params).items():
            for name in names:
                creators.setdefault((kind, name), index)
                made.setdefault(kind, []).append(name)

    # A step whose parameters are broken creates nothing the loader can see;
    # saying that no step creates what it would is noise, not news.
    incomplete = any(
        isinstance(step, dict) and index not in parameters
        for index, step in enumerate(steps)
    )
    ancestors = _ancestors(steps, ids)
    for index, params in parameters.items():
        for field, kind, name in _named(params):
            path: FieldPath = ("steps", index, "parameters", field)
            creator = creators.get((kind, name))
            if creator is None:
                if kind in made:
                    yield _Mistake(
                        path,
                        f"{kind} {name!r} is not created by any step; the steps "
                        f"create {', '.join(made[kind])}{_suggest(name, made[kind])}",
                    )
                elif not incomplete:
                    yield _Mistake(
                        path,
                        f"{kind} {name!r} is not created by any step; add a step "
                        f"with action {_CREATOR_ACTIONS[kind]}",
                    )
            elif creator > index:
                yield _Mistake(
                    path,
                    f"{kind} {name!r} is created by step {ids[creator]!r}, which "
                    f"comes after {ids[index]!r}",
                )
            elif ids[creator] not in ancestors[index]:
                yield _Mistake(
                    path,
                    f"{kind} {name!r} is created by step {ids[creator]!r}, which "
                    f"{ids[index]!r} does not depend on; add {ids[creator]!r} to "
                    f"steps[{index}].depends_on",
                )

    groups = next(
        (p for p in parameters.values() if isinstance(p, SecurityGroupsParams)), None
    )
    if groups is None:
        return
    for index, params in parameters.items():
        if isinstance(params, LoadBalancerParams):
            meant, role = groups.load_balancer_group, "load_balancer_group"
        elif isinstance(params, LaunchTemplateParams):
            meant, role = groups.instance_group, "instance_group"
        else:
            continue
        # A group no step creates is reported above; this is the swapped one.
        chosen = params.security_group
        if chosen != meant and chosen in made.get("security group", []):
            yield _Mistake(
                ("steps", index, "parameters", "security_group"),
                f"security group {chosen!r} is not the one meant for it: the "
                f"security groups step names {meant!r} as its {role}",
            )


def _ancestors(steps: list[Any], ids: list[str]) -> list[set[str]]:
    """For each step, every step it depends on, directly or through others."""
    out: list[set[str]] = []
    for index, step in enumerate(steps):
        found: set[str] = set()
        deps = step.get("depends_on") if isinstance(step, dict) else None
        for dep in deps if isinstance(deps, list) else []:
            if isinstance(dep, str) and dep in ids[:index]:
                found.add(dep)
                found |= out[ids.index(dep)]
        out.append(found)
    return out


# --- raw data helpers ---------------------------------------------------------


def _list(data: Any, key: str) -> list[Any]:
    value = data.get(key) if isinstance(data, dict) else None
    return value if isinstance(value, list) else []


def _mappings(data: Any, key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, item in enumerate(_list(data, key)):
        if isinstance(item, dict):
            yield index, item


def _id(item: Any) -> str | None:
    value = item.get("id") if isinstance(item, dict) else None
    return value if isinstance(value, str) else None


def _strings(data: Any, key: str) -> Iterator[tuple[int, str]]:
    for index, item in enumerate(_list(data, key)):
        if isinstance(item, str):
            yield index, item


def _suggest(value: str, choices: Iterable[Any]) -> str:
    """` (did you mean 'x'?)` when a close match exists, else nothing."""
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
