"""What an action owns: the resources it found or created."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Resource:
    """One AWS resource of the lab.

    Attributes:
        kind: what it is, e.g. `vpc`, `load-balancer`, `log-group`.
        id: its id or ARN (what deleting it takes).
        name: its name as the catalog gives it, scoped to the participant.
        billable: whether it costs money while it exists.
    """

    kind: str
    id: str
    name: str = ""
    billable: bool = False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Resource:
        """The inverse of `to_dict`."""
        return cls(
            kind=str(data["kind"]),
            id=str(data["id"]),
            name=str(data.get("name", "")),
            billable=bool(data.get("billable", False)),
        )


@dataclass
class Outcome:
    """What performing a step did.

    Attributes:
        resources: every resource the step owns now.
        created: how many were created in this run (0 on a repeat).
        warnings: what could not be done and why (e.g. an endpoint lacking an
            API), shown to the learner without failing the step.
    """

    resources: list[Resource] = field(default_factory=list)
    created: int = 0
    warnings: list[str] = field(default_factory=list)

    def add(self, resource: Resource, created: bool = False) -> Resource:
        """Records a resource the step owns."""
        self.resources.append(resource)
        if created:
            self.created += 1
        return resource
