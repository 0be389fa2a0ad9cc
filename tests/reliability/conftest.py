"""Fixtures for the reliability suites: one sandbox per test module, in this
process."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from labguide.catalog import load_catalog
from labguide.catalog.models import Catalog
from labguide.sandbox import Sandbox


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """The sandbox at time scale 0, shared by a module's tests (moto keeps
    one world per process, so each module starts and stops its own)."""
    # A dropped connection is a fault the tests inject on purpose: quiet.
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
    with Sandbox(time_scale=0) as running:
        yield running
