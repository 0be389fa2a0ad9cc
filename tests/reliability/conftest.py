"""Fixtures for the reliability suites: one sandbox per test module, in this
process, and a retry back-off scaled like the sandbox's clock."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.retries import standard

from labguide.catalog import load_catalog
from labguide.catalog.models import Catalog
from labguide.sandbox import Sandbox

RETRY_DELAY_SCALE = 0.02
"""The share of botocore's back-off the fault runs sleep (see `quick_retries`)."""


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


@pytest.fixture
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Scales botocore's retry back-off down, the way the sandbox scales AWS's
    waits down: which calls are retried, how often and with how much of the
    retry quota stays botocore's own; only the sleeps between attempts
    shrink, so thirty faulty runs fit in the test suite's time."""
    original = standard.ExponentialBackoff.delay_amount

    def scaled(self: Any, context: Any) -> float:
        return float(original(self, context)) * RETRY_DELAY_SCALE

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", scaled)
