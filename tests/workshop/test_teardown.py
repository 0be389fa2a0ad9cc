"""Tearing down one participant's lab leaves every other lab whole: the same
resources, by id, before and after; and the instructor's teardown is a dry
run first."""

from __future__ import annotations

from labguide.engine.classroom import ClassView
from labguide.engine.teardown import billable_left

from .conftest import TEARDOWN_VICTIM, Workshop

NEIGHBOURS = [None, "alb", "nginx", "nginx-access"]
"""Labs whose names meet the victim's (checked with their own sessions too)."""


def ids(plan: list[object]) -> set[tuple[str, str]]:
    return {(r.kind, r.id) for r in plan}  # type: ignore[attr-defined]


def live_inventory(workshop: Workshop, participant: str | None) -> set[tuple[str, str]]:
    with workshop.session(participant) as session:
        return ids(session.teardown_plan())


def test_one_participants_teardown_leaves_the_others_whole(
    workshop: Workshop, view: ClassView
) -> None:
    before = view.teardown_plan()
    neighbours = {p: live_inventory(workshop, p) for p in NEIGHBOURS}
    assert len(before) >= 31
    assert all(len(plan) >= 20 for plan in before.values())

    results = view.tear_down([TEARDOWN_VICTIM])
    assert results[TEARDOWN_VICTIM].clean, results[TEARDOWN_VICTIM].errors

    after = view.teardown_plan()
    assert TEARDOWN_VICTIM not in after
    assert view.last is not None
    assert TEARDOWN_VICTIM not in {p.tag for p in view.last.participants}
    for tag, plan in before.items():
        if tag != TEARDOWN_VICTIM:
            assert ids(after[tag]) == ids(plan), tag
    for participant, inventory in neighbours.items():
        assert live_inventory(workshop, participant) == inventory, participant
    with workshop.session(TEARDOWN_VICTIM) as session:
        assert billable_left(session.ctx) == []


def test_the_dry_run_costs_one_refresh(view: ClassView) -> None:
    calls = view.clients.total_calls
    plans = view.teardown_plan()
    assert len(plans) >= 30
    assert view.clients.total_calls - calls == view.last.total_calls  # type: ignore[union-attr]
