"""The lab catalog: pydantic models of `steps.yaml`, loading and validation."""

from labguide.catalog.loader import CatalogError, Problem, load_catalog, parse_catalog
from labguide.catalog.models import Catalog, CheckInfo, Goal, Lab, Step, Text, Tip

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
