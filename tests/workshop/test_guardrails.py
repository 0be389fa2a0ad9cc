"""The lab's guardrails hold for every participant, whatever opens their
session: allowed regions, instance types and the group's maximum size."""

from __future__ import annotations

import pytest

from labguide.aws.clients import Clients
from labguide.catalog.models import Catalog
from labguide.engine.actions import auto_scaling, launch_template
from labguide.engine.classroom import ClassView
from labguide.engine.context import LabContext
from labguide.engine.session import LabSession
from labguide.errors import LabguideError

from .conftest import Workshop


def changed(catalog: Catalog, action: str, **parameters: object) -> Catalog:
    copy = catalog.model_copy(deep=True)
    step = next(s for s in copy.steps if s.action == action)
    step.parameters.update(parameters)
    return copy


@pytest.mark.parametrize("participant", [None, "ana", "guard"])
def test_a_session_outside_the_allowed_regions_is_refused(
    workshop: Workshop, participant: str | None
) -> None:
    clients = Clients(workshop.sandbox.target("sa-east-1"))
    with pytest.raises(LabguideError, match="not one this lab allows"):
        LabSession.open(
            workshop.catalog, clients, workshop.home / "s", participant=participant
        )
    assert clients.total_calls == 0


def test_a_class_outside_the_allowed_regions_is_refused(workshop: Workshop) -> None:
    clients = Clients(workshop.sandbox.target("sa-east-1"))
    with pytest.raises(LabguideError, match="not one this lab allows"):
        ClassView(workshop.catalog, clients)
    assert clients.total_calls == 0


@pytest.mark.parametrize("participant", [None, "guard"])
def test_instance_types_and_group_size_hold_for_everyone(
    workshop: Workshop, participant: str | None
) -> None:
    clients = Clients(workshop.target())
    big = changed(workshop.catalog, "create-launch-template", instance_type="m5.large")
    ctx = LabContext(big, clients, participant=participant)
    with pytest.raises(LabguideError, match="outside the lab's guardrail"):
        launch_template.desired_data(ctx, "ami-12345678", "sg-12345678")

    wide = changed(workshop.catalog, "create-auto-scaling-group", max_size=10)
    ctx = LabContext(wide, clients, participant=participant)
    with pytest.raises(LabguideError, match="guardrail"):
        auto_scaling.ensure(ctx)
    assert clients.total_calls == 0
