"""The class view's figures are each participant's own: every goal's status,
and every check's status and summary, equal what `labguide verify` says."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from labguide.catalog.parameters import LogGroupsParams
from labguide.engine.classroom import ClassReport, ClassView
from labguide.engine.context import SOLO

from .conftest import ELSEWHERE, OTHER_REGION, Workshop

# The page comes from whichever instance the ALB picked.
SERVED_BY = re.compile(r" served by \S+")


def figures(goals: list[Any]) -> dict[str, Any]:
    return {
        g.goal.id: (
            g.status,
            [(c.check, c.status, SERVED_BY.sub("", c.summary)) for c in g.checks],
        )
        for g in goals
    }


def own_verify(workshop: Workshop, tag: str, region: str) -> dict[str, Any]:
    participant = None if tag == SOLO else tag
    with workshop.session(participant, region) as session:
        return figures(session.verify())


def compare(workshop: Workshop, report: ClassReport, region: str) -> None:
    tags = [p.tag for p in report.participants]
    with ThreadPoolExecutor(max_workers=3) as pool:
        answers = pool.map(lambda t: own_verify(workshop, t, region), tags)
        theirs = dict(zip(tags, answers, strict=True))
    for progress in report.participants:
        assert figures(progress.goals) == theirs[progress.tag], progress.tag


def test_the_class_view_matches_each_participants_verify(workshop: Workshop) -> None:
    report = workshop.class_view().refresh()
    assert len(report.participants) >= 31
    compare(workshop, report, "us-east-1")


def test_the_single_learner_is_a_participant_like_any_other(
    workshop: Workshop,
) -> None:
    report = workshop.thirty[1]
    solo = report.participant(SOLO)
    assert solo.participant is None
    assert solo.to_dict()["solo"] is True
    assert solo.steps == report.participant("p12").steps


def test_every_step_of_a_built_lab_shows_its_state(workshop: Workshop) -> None:
    progress = workshop.thirty[1].participant("p13")
    article = [s for s in workshop.catalog.steps if s.article]
    alarm = next(s for s in article if s.action == "create-alarm")
    assert {progress.steps[s.id] for s in article if s != alarm} == {"done"}
    assert progress.steps[alarm.id] in ("done", "pending")
    assert progress.steps["cleanup"] == "not-started"


def test_a_half_built_lab_shows_where_it_stands(workshop: Workshop) -> None:
    with workshop.session("half", OTHER_REGION) as session:
        session.run(["network", "iam-role", "security-groups"])
    report = workshop.class_view(OTHER_REGION).refresh()
    progress = report.participant("half")
    assert progress.steps["network"] == "done"
    assert progress.steps["security-groups"] == "done"
    assert progress.steps["launch-template"] == "not-started"
    assert progress.steps["session-manager"] == "not-started"
    assert progress.steps["cloudtrail"] == "not-started"
    assert progress.steps["cleanup"] == "not-started"
    assert progress.passed == 0
    compare(workshop, report, OTHER_REGION)


def test_each_region_has_its_own_class(workshop: Workshop) -> None:
    here = {p.tag for p in workshop.thirty[1].participants}
    there = {p.tag for p in workshop.class_view(OTHER_REGION).refresh().participants}
    assert ELSEWHERE in there and ELSEWHERE not in here
    assert not here & there


def test_the_snapshot_answers_as_aws_does(workshop: Workshop, view: ClassView) -> None:
    """Calls the engine's finds may make, answered from the last refresh
    (the same answer as AWS's, and no call)."""
    report = view.refresh()
    ctx = view.context("p16")
    calls = view.clients.total_calls
    name = ctx.params(LogGroupsParams).access_log_group
    answered = ctx.clients.logs.describe_log_groups(logGroupNamePrefix=name)
    arn = answered["logGroups"][0]["arn"].removesuffix(":*")
    tags = ctx.clients.logs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert ctx.owns(tags)
    assert view.clients.total_calls == calls
    live = view.clients.logs.list_tags_for_resource(resourceArn=arn)["tags"]
    assert tags == live
    assert report.fallbacks == {}
