"""What a check returns: passed, pending (and for what) or failed (and why)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "pending", "failed"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        check: the check's id.
        status: passed, pending or failed.
        summary: one sentence for the learner.
        evidence: lines the learner can read (ids, states, a page excerpt).
        waiting_for: when pending, what it waits for.
        typical_wait: when pending, how long that usually takes.
        condition: when failed, the sub-condition that failed.
        tip: when failed, the troubleshooting tip that applies.
    """

    check: str
    status: Status
    summary: str
    evidence: list[str] = field(default_factory=list)
    waiting_for: str | None = None
    typical_wait: str | None = None
    condition: str | None = None
    tip: str | None = None
    at: float = field(default_factory=time.time)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """The inverse of `to_dict`."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def passed(check: str, summary: str, evidence: list[str] | None = None) -> CheckResult:
    """A passing result."""
    return CheckResult(check, "passed", summary, evidence or [])


def pending(
    check: str,
    summary: str,
    waiting_for: str,
    typical_wait: str,
    evidence: list[str] | None = None,
) -> CheckResult:
    """A result still waiting on AWS."""
    return CheckResult(
        check,
        "pending",
        summary,
        evidence or [],
        waiting_for=waiting_for,
        typical_wait=typical_wait,
    )


def failed(
    check: str,
    summary: str,
    condition: str,
    tip: str | None = None,
    evidence: list[str] | None = None,
) -> CheckResult:
    """A failing result."""
    return CheckResult(
        check, "failed", summary, evidence or [], condition=condition, tip=tip
    )


UNAVAILABLE = "not available from this endpoint"
