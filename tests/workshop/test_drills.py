"""Drills from the class view: one participant's drill shows in the class
view for that participant only, and a drill for everyone reaches everyone."""

from __future__ import annotations

import dataclasses

import pytest

from labguide.aws.clients import Clients
from labguide.engine.classroom import ClassReport, ClassView
from labguide.errors import LabguideError

from .conftest import DRILLED, ELSEWHERE, OTHER_REGION, Workshop
from .test_class_view import figures, own_verify


def statuses(report: ClassReport) -> dict[str, dict[str, str]]:
    return {p.tag: {g.goal.id: g.status for g in p.goals} for p in report.participants}


def test_a_drill_for_one_participant_shows_only_for_them(
    workshop: Workshop, view: ClassView
) -> None:
    before = view.refresh()
    assert statuses(before)[DRILLED]["targets-healthy"] == "passed"

    outcome = view.start_drill("healthcheck-path", [DRILLED])
    assert list(outcome) == [DRILLED]
    after = view.refresh()

    drilled = after.participant(DRILLED)
    health = next(g for g in drilled.goals if g.goal.id == "targets-healthy")
    assert health.status == "failed"
    assert health.checks[0].condition == "health-check-path"
    assert health.checks[0].tip == "healthcheck-path"
    assert figures(drilled.goals) == own_verify(workshop, DRILLED, "us-east-1")

    changed = {
        tag
        for tag, goals in statuses(after).items()
        if goals != statuses(before).get(tag)
    }
    assert changed == {DRILLED}
    # The drilled target group's health is read again; the others' are not.
    assert after.calls.get("elbv2.DescribeTargetHealth", 0) <= 1 + 2
    assert after.fallbacks == {}


def test_a_drill_for_everyone_reaches_everyone(workshop: Workshop) -> None:
    # Everyone of the other region's class (the same path as thirty-one).
    view = workshop.class_view(OTHER_REGION)
    everyone = {p.tag for p in view.refresh().participants}
    with_alarm = {
        tag
        for tag, goals in statuses(view.last).items()  # type: ignore[arg-type]
        if goals["alarm-notification"] == "passed"
    }
    assert ELSEWHERE in with_alarm

    outcome = view.start_drill("sns-unconfirmed")
    try:
        assert set(outcome) == everyone
        after = statuses(view.refresh())
        assert {after[t]["alarm-notification"] for t in with_alarm} == {"pending"}
    finally:
        workshop.control("/confirm-email", {})
    again = statuses(view.refresh())
    assert {again[t]["alarm-notification"] for t in with_alarm} == {"passed"}


def test_drills_are_for_the_sandbox_only(workshop: Workshop) -> None:
    aws = dataclasses.replace(workshop.target(), kind="aws")
    elsewhere = ClassView(workshop.catalog, Clients(aws))
    assert elsewhere.drills() == {}
    with pytest.raises(LabguideError, match="sandbox only"):
        elsewhere.start_drill("healthcheck-path", ["ana"])
