"""The lab catalog: pydantic models of `steps.yaml`, loading and validation.

`load_catalog` here takes an unchanged catalog from its cache (see
`labguide.catalog.cache`); the loader, with PyYAML and the validation rules,
is imported only when a catalog has to be validated.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from labguide.catalog.cache import load_catalog
from labguide.catalog.models import Catalog, CheckInfo, Goal, Lab, Step, Text, Tip
from labguide.catalog.problems import CatalogError, Problem

if TYPE_CHECKING:
    from labguide.catalog.loader import parse_catalog

__all__ = [
    "Catalog",
    "CatalogError",
    "CheckInfo",
    "Goal",
    "Lab",
    "Problem",
    "Step",
    "Text",
    "Tip",
    "load_catalog",
    "parse_catalog",
]

_FROM_LOADER = frozenset({"parse_catalog"})


def __getattr__(name: str) -> Any:
    if name in _FROM_LOADER:
        return getattr(importlib.import_module("labguide.catalog.loader"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
