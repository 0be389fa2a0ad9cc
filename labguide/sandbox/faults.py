"""API faults the sandbox injects at a rate, for drills and for tests.

Each fault strikes an AWS API call with its own probability, drawn from one
random generator seeded at start, so a run with the same seed and the same
calls fails the same calls. The control API and the load balancer's web
traffic are never struck: only calls to AWS's APIs.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Literal

FaultKind = Literal["throttle", "error", "drop"]
MAX_SECONDS = 3600.0
"""The longest wait a fault may set (a typing slip should not hang calls)."""


@dataclass
class Faults:
    """The fault rates in force."""

    throttle: float = 0.0
    """Share of calls answered with the protocol's throttling error."""
    error: float = 0.0
    """Share of calls answered with an HTTP 500 InternalFailure."""
    drop: float = 0.0
    """Share of calls whose connection is closed without an answer."""
    profile_delay: float = 0.0
    """Real seconds a new instance profile stays unusable by EC2 (launches
    naming it fail with AWS's "Invalid IAM Instance Profile" error)."""
    latency: float = 0.0
    """Real seconds every API call waits before it is answered, outside the
    sandbox's lock, as calls to AWS spend on the network and in the service
    (0.05 to 0.1 is typical): concurrent calls overlap their waits."""
    seed: int = 0
    """The seed of the generator that decides which calls fail."""

    def as_dict(self) -> dict[str, float | int]:
        """The rates as plain values, for the control API."""
        return asdict(self)

    @classmethod
    def parse(cls, text: str) -> Faults:
        """Reads `throttle=0.1,error=0.05,drop=0.02,profile-delay=10,seed=7`
        (and `latency=0.08`).

        Raises:
            ValueError: an unknown fault or a value out of range.
        """
        faults = cls()
        for item in filter(None, (part.strip() for part in text.split(","))):
            key, _, value = item.partition("=")
            faults = faults.updated({key.strip().replace("-", "_"): value.strip()})
        return faults

    def updated(self, changes: dict[str, object]) -> Faults:
        """A copy with `changes` applied (values may be strings).

        Raises:
            ValueError: an unknown fault or a value out of range.
        """
        known = {field.name for field in fields(self)}
        values = asdict(self)
        for key, raw in changes.items():
            if key not in known:
                raise ValueError(
                    f"unknown fault {key!r}; known: {', '.join(sorted(known))}"
                )
            try:
                number = float(str(raw))
            except ValueError:
                raise ValueError(f"fault {key} needs a number, not {raw!r}") from None
            if key == "seed":
                values[key] = int(number)
            elif key in ("profile_delay", "latency"):
                if not 0.0 <= number <= MAX_SECONDS:
                    raise ValueError(
                        f"{key} must be between 0 and {MAX_SECONDS:g} seconds"
                    )
                values[key] = number
            else:
                if not 0.0 <= number <= 1.0:
                    raise ValueError(f"fault {key} is a rate between 0 and 1")
                values[key] = number
        return Faults(**values)


class FaultInjector:
    """Decides, call by call, whether a fault strikes.

    Args:
        faults: the rates to start with.
    """

    def __init__(self, faults: Faults | None = None) -> None:
        self._lock = threading.Lock()
        self.faults = faults or Faults()
        self._random = random.Random(self.faults.seed)

    def configure(self, faults: Faults) -> None:
        """Replaces the rates and reseeds the generator."""
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)

    def draw(self) -> FaultKind | None:
        """The fault that strikes the next API call, if any.

        One number is drawn per call whatever the rates, so the calls that
        fail depend only on the seed and the order of calls.
        """
        with self._lock:
            roll = self._random.random()
            faults = self.faults
        edge = 0.0
        for kind, rate in (
            ("throttle", faults.throttle),
            ("error", faults.error),
            ("drop", faults.drop),
        ):
            edge += rate
            if roll < edge:
                return kind  # type: ignore[return-value]
        return None
