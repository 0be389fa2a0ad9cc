"""What every action and check works with: the catalog, the participant,
the clients, how to report progress, and the lab's tags."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from labguide.aws.clients import Clients
from labguide.catalog.models import Catalog, Strict
from labguide.catalog.naming import parameters_of, scoped_name
from labguide.engine.events import Event, Reporter

ParamsT = TypeVar("ParamsT", bound=Strict)
log = logging.getLogger(__name__)

SOLO = "_solo"
"""The participant tag of a single learner's lab. Participant names cannot
contain an underscore, so it never collides with a participant's."""


class Cancelled(Exception):
    """The learner cancelled the work in progress."""


@dataclass
class LabContext:
    """The lab as one participant sees it, in one account and region.

    Args:
        catalog: the lab catalog.
        clients: boto3 clients for the target.
        participant: the participant's name; None for a single learner.
        email: where the alarm's notification goes (step 9).
        reporter: receives progress events; called from worker threads.
        poll_seconds: how long to sleep between polls of something pending.
        wait_seconds: the longest an action waits for AWS to settle.
    """

    catalog: Catalog
    clients: Clients
    participant: str | None = None
    email: str | None = None
    reporter: Reporter | None = None
    poll_seconds: float = 5.0
    wait_seconds: float = 600.0
    cancel: threading.Event = field(default_factory=threading.Event)
    trail_events: dict[str, dict[str, Any]] = field(default_factory=dict)
    """CloudTrail events of this lab already found, by event name: history
    keeps them, so they are not looked up again (LookupEvents allows 2 calls
    a second per account)."""

    @property
    def participant_tag(self) -> str:
        """The value of the participant tag on this lab's resources."""
        return self.participant or SOLO

    @property
    def region(self) -> str:
        """The region the lab runs in."""
        return self.clients.target.region

    def params(self, model: type[ParamsT]) -> ParamsT:
        """The participant's parameters of the step whose action takes `model`."""
        return parameters_of(self.catalog, model, self.participant)

    def name(self, name: str) -> str:
        """A catalog name scoped to the participant."""
        return scoped_name(self.catalog.lab, name, self.participant)

    def tag_map(self, step: str) -> dict[str, str]:
        """The tags a resource created by `step` carries."""
        keys = self.catalog.lab.tag_keys
        tags = dict(self.catalog.lab.tags)
        tags[keys.lab] = self.catalog.lab.id
        tags[keys.participant] = self.participant_tag
        tags[keys.step] = step
        return tags

    def tags(self, step: str) -> list[dict[str, str]]:
        """The tags as EC2, ELB, IAM and CloudWatch want them (Key/Value)."""
        return [{"Key": k, "Value": v} for k, v in self.tag_map(step).items()]

    def ownership_filters(self) -> list[dict[str, object]]:
        """EC2 describe filters that select this participant's lab only."""
        keys = self.catalog.lab.tag_keys
        return [
            {"Name": f"tag:{keys.lab}", "Values": [self.catalog.lab.id]},
            {"Name": f"tag:{keys.participant}", "Values": [self.participant_tag]},
        ]

    def owns(self, tags: dict[str, str]) -> bool:
        """Whether a resource with `tags` belongs to this participant's lab."""
        keys = self.catalog.lab.tag_keys
        return (
            tags.get(keys.lab) == self.catalog.lab.id
            and tags.get(keys.participant) == self.participant_tag
        )

    def report(self, event: Event) -> None:
        """Sends a progress event to the reporter, if any, and to the log."""
        log.info("%s", event.line())
        if self.reporter is not None:
            self.reporter(event)

    def check_cancelled(self) -> None:
        """Raises Cancelled when the learner asked to stop."""
        if self.cancel.is_set():
            raise Cancelled()

    def wait_until(
        self,
        condition: Callable[[], bool],
        what: str,
        step: str,
        timeout: float | None = None,
    ) -> bool:
        """Polls `condition` until it holds or the wait times out.

        Returns:
            True when the condition held, False on time-out.
        """
        deadline = time.monotonic() + (
            self.wait_seconds if timeout is None else timeout
        )
        announced = False
        while True:
            self.check_cancelled()
            if condition():
                return True
            if time.monotonic() >= deadline:
                return False
            if not announced:
                self.report(Event(step, "wait", f"waiting for {what}"))
                announced = True
            self.cancel.wait(self.poll_seconds)
