"""Participant-scoped resource names.

The catalog writes names as the article does (`ops-case-alb`). A workshop
participant's lab puts their name after the prefix (`ops-case-ana-alb`), so
many labs share one account without colliding. Every name field of an
action's parameters is rewritten the same way.
"""

from __future__ import annotations

from typing import Any, TypeVar

from labguide.catalog.models import Catalog, Lab, Step, Strict
from labguide.catalog.parameters import ACTION_PARAMETERS, is_resource_name

ParamsT = TypeVar("ParamsT", bound=Strict)


def scoped_name(lab: Lab, name: str, participant: str | None) -> str:
    """The name `name` takes in `participant`'s lab.

    Args:
        lab: the lab, for its prefix.
        name: a name as the catalog writes it; it starts with the prefix.
        participant: the participant's name, or None for a single learner.
    """
    if not participant:
        return name
    prefix = lab.name_prefix
    if name == prefix or name.startswith(prefix + "-"):
        return f"{prefix}-{participant}{name[len(prefix) :]}"
    return name


def step_parameters(catalog: Catalog, step: Step, participant: str | None) -> Strict:
    """The step's parameters as its action's model, names scoped to the
    participant."""
    model = ACTION_PARAMETERS[step.action].model_validate(step.parameters)
    return _scope(model, catalog.lab, participant)


def parameters_of(
    catalog: Catalog, model: type[ParamsT], participant: str | None
) -> ParamsT:
    """The parameters of the step whose action takes `model`.

    Raises:
        KeyError: no step of the catalog takes those parameters.
    """
    for step in catalog.steps:
        if ACTION_PARAMETERS[step.action] is model:
            scoped = step_parameters(catalog, step, participant)
            assert isinstance(scoped, model)
            return scoped
    raise KeyError(model.__name__)


def _scope(model: ParamsT, lab: Lab, participant: str | None) -> ParamsT:
    if not participant:
        return model
    changes: dict[str, Any] = {}
    for field_name, field in type(model).model_fields.items():
        value = getattr(model, field_name)
        if isinstance(value, Strict):
            changes[field_name] = _scope(value, lab, participant)
        elif isinstance(value, list):
            changes[field_name] = [
                _scope(item, lab, participant) if isinstance(item, Strict) else item
                for item in value
            ]
        elif isinstance(value, str) and is_resource_name(field):
            changes[field_name] = scoped_name(lab, value, participant)
    return model.model_copy(update=changes)


def all_names(catalog: Catalog, participant: str | None) -> dict[str, str]:
    """Every resource name of the lab, keyed by `step-id.field.path`."""
    names: dict[str, str] = {}
    for step in catalog.steps:
        params = step_parameters(catalog, step, participant)
        for path, value in _names(params, step.id):
            names[path] = value
    return names


def _names(model: Strict, base: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for field_name, field in type(model).model_fields.items():
        value = getattr(model, field_name)
        if isinstance(value, Strict):
            out += _names(value, f"{base}.{field_name}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Strict):
                    out += _names(item, f"{base}.{field_name}[{i}]")
        elif isinstance(value, str) and is_resource_name(field):
            out.append((f"{base}.{field_name}", value))
    return out
