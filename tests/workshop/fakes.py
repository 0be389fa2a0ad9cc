"""A class source with fixed data, for the class screen's Pilot tests and
snapshots: it stands in for the engine's ClassView (not for boto3), and
records what the screen asked of it."""

from __future__ import annotations

from pathlib import Path

from labguide.catalog.models import Catalog, Language
from labguide.engine.checks.result import CheckResult, failed, passed, pending
from labguide.engine.classroom import ClassReport, ParticipantProgress
from labguide.engine.resources import Resource
from labguide.engine.session import GoalResult, combine
from labguide.engine.teardown import TeardownResult

TAKEN_AT = 1771147800.0
"""2026-02-15 09:30:00 UTC: the article's date, so snapshots never move."""

# How far each participant got: the number of article steps done, and the
# goals that fail or wait, by goal id.
CLASS: dict[str, tuple[int, dict[str, str]]] = {
    "_solo": (12, {}),
    "ana": (12, {"alarm-notification": "pending"}),
    "ben": (7, {"targets-healthy": "failed", "web-via-alb": "failed"}),
    "chloe": (4, {}),
    "dev": (0, {}),
}


def _result(check: str, status: str) -> CheckResult:
    if status == "passed":
        return passed(check, f"{check}: as the article says", ["fixed evidence"])
    if status == "pending":
        return pending(check, f"{check}: waiting", "you", "a minute")
    return failed(check, f"{check}: not there", "missing")


def progress(catalog: Catalog, tag: str) -> ParticipantProgress:
    """One participant of the fixed class."""
    done, goals = CLASS[tag]
    article = [s for s in catalog.steps if s.article]
    steps = {s.id: ("done" if s.number <= done else "not-started") for s in article}
    for step in catalog.steps:
        steps.setdefault(step.id, "not-started")
    results = []
    for goal in catalog.goals:
        reached = steps.get(goal.step) == "done"
        status = goals.get(goal.id, "passed" if reached else "failed")
        if status == "failed" and reached:
            steps[goal.step] = "failed"
        if status == "pending":
            steps[goal.step] = "pending"
        checks = [_result(c, status) for c in goal.checks]
        when = TAKEN_AT - 600 if status == "passed" else None
        results.append(GoalResult(goal, combine(checks), checks, when))
    return ParticipantProgress(tag, steps, results)


class FakeClass:
    """The class view with fixed data.

    Args:
        catalog: the lab catalog.
        sandbox: whether drills are offered.
    """

    def __init__(self, catalog: Catalog, sandbox: bool = True) -> None:
        self.catalog = catalog
        self.sandbox = sandbox
        self.tags = list(CLASS)
        self.refreshes = 0
        self.drilled: list[tuple[str, list[str] | None]] = []
        self.torn_down: list[list[str] | None] = []
        self.exported: list[Path] = []

    def refresh(self) -> ClassReport:
        self.refreshes += 1
        return ClassReport(
            lab=self.catalog.lab.id,
            account="123456789012",
            account_label="sandbox" if self.sandbox else "123456789012",
            region="us-east-1",
            taken_at=TAKEN_AT,
            seconds=2.4,
            calls={"ec2.DescribeVpcs": 1, "elbv2.DescribeTargetGroups": 30},
            fallbacks={},
            participants=[progress(self.catalog, t) for t in self.tags],
        )

    def where(self) -> str:
        return "sandbox account 123456789012 (us-east-1)"

    def drills(self) -> dict[str, str]:
        if not self.sandbox:
            return {}
        return {
            "healthcheck-path": "the health check asks for a page nginx does not have",
            "nginx-stopped": "nginx stopped on one instance",
        }

    def start_drill(
        self, name: str, participants: list[str] | None = None
    ) -> dict[str, str]:
        self.drilled.append((name, participants))
        return {t: "done" for t in (participants or self.tags)}

    def teardown_plan(
        self, participants: list[str] | None = None
    ) -> dict[str, list[Resource]]:
        return {
            t: [Resource("vpc", f"vpc-{t}"), Resource("instance", f"i-{t}", "", True)]
            for t in (participants or self.tags)
        }

    def tear_down(
        self, participants: list[str] | None = None
    ) -> dict[str, TeardownResult]:
        self.torn_down.append(participants)
        chosen = participants or list(self.tags)
        self.tags = [t for t in self.tags if t not in chosen]
        return {t: TeardownResult() for t in chosen}

    def export(
        self,
        report: ClassReport,
        directory: Path,
        fmt: str = "md",
        language: Language = "en",
    ) -> list[Path]:
        self.exported.append(directory)
        return [directory / "index.md"] + [
            directory / f"{p.tag}.md" for p in report.participants
        ]
