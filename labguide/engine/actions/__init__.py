"""One action per step: `find` reads what exists, `ensure` creates only what
is missing (and repairs what drifted). Both take a `LabContext`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labguide.engine.actions import (
    alarm,
    auto_scaling,
    backup,
    iam,
    launch_template,
    load_balancing,
    logs,
    network,
    observe,
    security_groups,
)
from labguide.engine.context import LabContext
from labguide.engine.resources import Outcome, Resource


@dataclass(frozen=True)
class Action:
    """A registered action: how to find a step's resources and how to make
    them."""

    name: str
    find: Callable[[LabContext], list[Resource]]
    ensure: Callable[[LabContext], Outcome]


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action("create-network", network.find, network.ensure),
        Action("create-instance-role", iam.find, iam.ensure),
        Action("create-security-groups", security_groups.find, security_groups.ensure),
        Action("create-launch-template", launch_template.find, launch_template.ensure),
        Action(
            "create-target-group",
            load_balancing.find_target_group_resources,
            load_balancing.ensure_target_group,
        ),
        Action(
            "create-load-balancer",
            load_balancing.find_load_balancer_resources,
            load_balancing.ensure_load_balancer,
        ),
        Action("create-auto-scaling-group", auto_scaling.find, auto_scaling.ensure),
        Action(
            "confirm-managed-nodes", observe.find_nothing, observe.confirm_managed_nodes
        ),
        Action("create-alarm", alarm.find, alarm.ensure),
        Action("create-log-groups", logs.find, logs.ensure),
        Action("look-up-events", observe.find_nothing, observe.look_up_events),
        Action("create-backup-plan", backup.find, backup.ensure),
    )
}
"""Every action but `tear-down`, which the session runs itself."""
