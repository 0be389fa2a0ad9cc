"""The sandbox's clock: AWS's durations scaled to real time.

Times are kept as real wall-clock seconds (`time.time()`), so that what the
sandbox reports (event times, log timestamps) is what a learner's clock
shows. Only durations are scaled: an AWS wait of `d` seconds takes
`d * scale` real seconds, and a scale of 0 makes every wait instant.
"""

from __future__ import annotations

import math
import time


class Clock:
    """Scaled durations over the real clock.

    Args:
        scale: real seconds per AWS second; 0 makes every wait instant.
    """

    def __init__(self, scale: float) -> None:
        if scale < 0 or math.isnan(scale):
            raise ValueError(f"time scale must be 0 or more, not {scale}")
        self.scale = scale

    @staticmethod
    def now() -> float:
        """The real time now, in seconds since the epoch."""
        return time.time()

    def real(self, aws_seconds: float) -> float:
        """How many real seconds an AWS duration takes."""
        return aws_seconds * self.scale

    def passed(
        self, since: float, aws_seconds: float, now: float | None = None
    ) -> bool:
        """Whether `aws_seconds` of AWS time have passed since `since`."""
        current = self.now() if now is None else now
        return current >= since + self.real(aws_seconds)

    def aws_elapsed(self, since: float, now: float | None = None) -> float:
        """AWS seconds elapsed since `since` (infinite at a scale of 0)."""
        current = self.now() if now is None else now
        if self.scale == 0:
            return math.inf
        return max(0.0, (current - since) / self.scale)
