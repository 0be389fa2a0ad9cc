"""A fake engine with fixed data, for snapshots only: every id, time and cost
is the same on every run, so the SVGs compare byte for byte.

Behaviour is tested against the real engine and the sandbox (test_walk.py);
this fake only has to look like a lab at a given point.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from typing import Any

from labguide.catalog.models import Catalog, Step
from labguide.engine.checks.result import (
    CheckResult,
    Words,
    failed,
    passed,
    pending,
)
from labguide.engine.diagnostics import Instance
from labguide.engine.events import Event
from labguide.engine.resources import Resource
from labguide.engine.session import GoalResult, RunResult, combine
from labguide.engine.state import SessionState, StepState
from labguide.engine.teardown import TeardownResult
from labguide.errors import LabguideError
from labguide.tui import GuideApp, GuideSettings
from labguide.tui.engine import Connection, Costs, Place

EPOCH = 1767225600.0
"""2026-01-01 00:00:00 UTC: every time the fake reports starts here."""
ACCOUNT = "123456789012"
TEARDOWN = "tear-down"
RESOURCES = {
    "network": [("vpc", "vpc-0a1b2c3d4e5f60718", "vpc")],
    "alb": [
        (
            "load-balancer",
            "arn:aws:elasticloadbalancing:lb/app/alb/50dc6c495c0c9188",
            "alb",
        )
    ],
    "asg": [("auto-scaling-group", "asg", "asg")],
}
"""Resources each step reports, scoped below with the lab's prefix."""
PLAN = [
    ("auto-scaling-group", "asg", "asg"),
    ("alarm", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:alb-5xx", "alb-5xx"),
    (
        "load-balancer",
        "arn:aws:elasticloadbalancing:lb/app/alb/50dc6c495c0c9188",
        "alb",
    ),
    ("instance", "i-0f1e2d3c4b5a69788", ""),
    ("instance", "i-0a9b8c7d6e5f40312", ""),
    ("security-group", "sg-0123abcd4567ef890", "sg-ec2"),
    ("vpc", "vpc-0a1b2c3d4e5f60718", "vpc"),
]
INSTANCES = [
    Instance(
        "i-0a9b8c7d6e5f40312",
        "us-east-1a",
        "54.210.1.10",
        "running",
        "Online",
        "Healthy",
    ),
    Instance(
        "i-0f1e2d3c4b5a69788",
        "us-east-1b",
        "54.210.2.20",
        "running",
        "Online",
        "Unhealthy",
    ),
]
DIAGNOSTIC = """i-0f1e2d3c4b5a69788

$ systemctl status nginx
○ nginx.service - The nginx HTTP and reverse proxy server
     Loaded: loaded (/usr/lib/systemd/system/nginx.service; enabled; preset: disabled)
     Active: inactive (dead) since Thu 2026-01-01 00:05:00 UTC; 2min ago
[Failed, exit status 3]

$ ss -lntp
State  Recv-Q Send-Q Local Address:Port Peer Address:Port Process
LISTEN 0      4096   127.0.0.53%lo:53        0.0.0.0:*"""


def name(catalog: Catalog, participant: str | None, suffix: str) -> str:
    """A lab name as the engine makes it: prefix, participant, suffix."""
    prefix = catalog.lab.name_prefix
    return "-".join(part for part in (prefix, participant, suffix) if part)


class FakeSession:
    """A session frozen at a point of the lab, which moves on when asked."""

    def __init__(
        self,
        catalog: Catalog,
        participant: str | None,
        account: str,
        done: Iterable[str],
        goals: dict[str, str],
        reporter: Any,
        email: str | None = "learner@example.com",
    ) -> None:
        self.catalog = catalog
        self.participant = participant
        self.reporter = reporter
        self.confirmed = False
        self.ticks = itertools.count()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.state = SessionState(
            account, "us-east-1", participant, email, created_at=EPOCH, updated_at=EPOCH
        )
        done = set(done)
        for step in catalog.steps:
            self.state.steps[step.id] = StepState(
                status="done" if step.id in done else "not-started",
                resources=self.resources(step.id) if step.id in done else [],
            )
        self.state.goals = {goal: {"status": status} for goal, status in goals.items()}

    def resources(self, step_id: str) -> list[dict[str, Any]]:
        return [
            Resource(kind, rid, name(self.catalog, self.participant, suffix)).to_dict()
            for kind, rid, suffix in RESOURCES.get(step_id, [])
        ]

    def report(
        self, step: str, kind: Any, message: str, resource: str | None = None
    ) -> None:
        if self.reporter is not None:
            at = EPOCH + 60 + next(self.ticks)
            self.reporter(Event(step, kind, message, resource, at=at))

    def step_status(self, step_id: str) -> Any:
        return self.state.steps[step_id].status

    def next_step(self) -> Step | None:
        for step in self.catalog.steps:
            if step.action != TEARDOWN and self.step_status(step.id) != "done":
                return step
        return None

    slow = False
    """Whether performing waits until cancelled (to test cancelling)."""

    def run(self, keys: Iterable[str | int]) -> RunResult:
        result = RunResult()
        if self.slow:
            self.stopped.wait(10)
            for key in keys:
                step = self.catalog.step(str(key))
                self.report(step.id, "failed", "cancelled")
                result.failed[step.id] = "cancelled"
            return result
        for key in keys:
            step = self.catalog.step(str(key))
            self.report(step.id, "start", step.title.en)
            for kind, rid, suffix in RESOURCES.get(step.id, []):
                label = name(self.catalog, self.participant, suffix)
                self.report(step.id, "created", f"{kind} {label}", rid)
                result.created += 1
            self.report(step.id, "done", "1 resource(s), 1 created")
            self.state.steps[step.id] = StepState("done", self.resources(step.id))
            result.done.append(step.id)
        return result

    def mark_done_by_hand(self, step_id: str) -> None:
        self.state.steps[step_id].status = "done"

    def reconcile(self) -> dict[str, Any]:
        return {step: known.status for step, known in self.state.steps.items()}

    def check(self, check_id: str) -> CheckResult:
        owner = next(s for s in self.catalog.steps if check_id in s.checks)
        if check_id == "nothing-left":
            built = [s for s in self.catalog.steps if self.step_status(s.id) == "done"]
            if built and owner.id not in {s.id for s in built}:
                return failed(
                    check_id,
                    Words(
                        "3 billable resource(s) left",
                        "課金されるリソースが 3 個残っている",
                    ),
                    "billable-left",
                )
            return passed(
                check_id,
                Words("nothing billable is left", "課金されるリソースは残っていない"),
                ["no instance, ALB"],
            )
        if self.step_status(owner.id) != "done":
            return failed(
                check_id, Words("not created yet", "まだ作成されていない"), "missing"
            )
        if check_id == "alarm-subscription-confirmed" and not self.confirmed:
            return pending(
                check_id,
                Words(
                    "the email subscription waits for confirmation",
                    "メール購読が確認待ち（PendingConfirmation）",
                ),
                Words(
                    "you to click 'Confirm subscription' in the email from AWS",
                    "AWS から届いたメールの 'Confirm subscription' を押すこと",
                ),
                Words("the link is valid for 3 days", "リンクは 3 日間有効"),
                ["learner@example.com: pending confirmation"],
            )
        if check_id == "targets-healthy" and owner.id == "asg" and self.broken:
            return failed(
                check_id,
                Words(
                    "1 of 2 targets unhealthy: Target.FailedHealthChecks",
                    "ターゲット 2 台中 1 台が unhealthy：Target.FailedHealthChecks",
                ),
                "unhealthy-target",
                tip="nginx-stopped",
                evidence=[
                    "i-0a9b8c7d6e5f40312: healthy",
                    "i-0f1e2d3c4b5a69788: unhealthy (Target.FailedHealthChecks)",
                ],
            )
        return passed(
            check_id,
            Words(f"{check_id} as the article says", f"{check_id} は記事どおり"),
            [f"{check_id}: ok"],
        )

    broken = False
    """Whether nginx is stopped on one instance (the drill's symptom)."""

    def run_checks(self, check_ids: Iterable[str]) -> dict[str, CheckResult]:
        return {check_id: self.check(check_id) for check_id in check_ids}

    def verify(self, goal_ids: Iterable[str] | None = None) -> list[GoalResult]:
        goals = (
            [self.catalog.goal(g) for g in goal_ids] if goal_ids else self.catalog.goals
        )
        results = []
        for goal in goals:
            checks = [self.check(c) for c in goal.checks]
            status = combine(checks)
            self.state.goals[goal.id] = {"status": status}
            results.append(GoalResult(goal, status, checks, EPOCH))
        return results

    def teardown_plan(self) -> list[Resource]:
        return [
            Resource(
                kind,
                rid,
                name(self.catalog, self.participant, suffix) if suffix else "",
            )
            for kind, rid, suffix in PLAN
        ]

    def teardown(self) -> TeardownResult:
        plan = self.teardown_plan()
        for resource in plan:
            self.report(
                "cleanup", "deleted", f"{resource.kind} {resource.name}", resource.id
            )
        for step in self.catalog.steps:
            self.state.steps[step.id] = StepState()
        self.state.steps[self.catalog.steps[-1].id] = StepState("done")
        self.state.goals = {}
        return TeardownResult(deleted=plan)

    def cancel(self) -> None:
        self.stopped.set()

    def close(self) -> None:
        pass


class FakeEngine:
    """An engine with fixed answers.

    Args:
        catalog: the lab catalog.
        done: the steps already done when the session opens.
        goals: the goals' saved statuses when it opens.
        connect_error: raised by `connect` (to show the error dialog).
        broken: one instance's nginx is stopped.
    """

    def __init__(
        self,
        catalog: Catalog,
        done: Iterable[str] = (),
        goals: dict[str, str] | None = None,
        connect_error: LabguideError | None = None,
        broken: bool = False,
        slow: bool = False,
    ) -> None:
        self.catalog = catalog
        self.done = list(done)
        self.goals = goals or {}
        self.connect_error = connect_error
        self.broken = broken
        self.slow = slow
        self.session: FakeSession | None = None

    def profiles(self) -> list[str]:
        return ["default", "workshop"]

    def saved_sessions(self) -> list[SessionState]:
        sessions = []
        for account, participant, done, passed_goals in (
            ("sandbox", "ana", 8, 3),
            (ACCOUNT, None, 12, 7),
        ):
            state = SessionState(
                account,
                "us-east-1",
                participant,
                None,
                created_at=EPOCH,
                updated_at=EPOCH + 3600,
            )
            for step in self.catalog.steps[:done]:
                state.steps[step.id] = StepState("done")
            for goal in self.catalog.goals[:passed_goals]:
                state.goals[goal.id] = {"status": "passed"}
            sessions.append(state)
        return sessions

    def connect(self, place: Place) -> Connection:
        if self.connect_error is not None:
            raise self.connect_error
        return Connection(
            place=place,
            account=ACCOUNT,
            caller="learner",
            arn=f"arn:aws:iam::{ACCOUNT}:user/learner",
            endpoint="http://127.0.0.1:4566" if place.is_sandbox else None,
        )

    def open_session(
        self,
        connection: Connection,
        participant: str | None,
        email: str | None,
        reporter: Any,
    ) -> FakeSession:
        account = "sandbox" if connection.place.is_sandbox else ACCOUNT
        session = FakeSession(
            self.catalog, participant, account, self.done, self.goals, reporter, email
        )
        session.broken = self.broken
        session.slow = self.slow
        self.session = session
        return session

    def costs(self, session: FakeSession) -> Costs:
        built = any(session.step_status(s) == "done" for s in ("alb", "asg"))
        return Costs(now=0.0651 if built else 0.0, whole_lab=0.0651)

    def confirm_email(self, connection: Connection, session: FakeSession) -> int:
        session.confirmed = True
        return 1

    def instances(self, session: FakeSession) -> list[Instance]:
        return list(INSTANCES)

    def run_diagnostic(
        self, session: FakeSession, instance_id: str, commands: list[str], cancel: Any
    ) -> str:
        return DIAGNOSTIC.split("\n\n", 1)[1]

    def report(self, session: FakeSession, language: str) -> str:
        return "# report\n"


def fake_app(
    catalog: Catalog, language: str, where: str = "sandbox", **fake: Any
) -> GuideApp:
    """A guide on the fake engine, as participant `ana`."""
    settings = GuideSettings(
        language=language,  # type: ignore[arg-type]
        where=where,  # type: ignore[arg-type]
        participant="ana",
        email="ana@example.com",
        recheck_seconds=3600.0,
    )
    return GuideApp(catalog, settings, lambda c: FakeEngine(c, **fake))


def article(catalog: Catalog) -> list[str]:
    """The ids of the article's steps (all but the cleanup)."""
    return [step.id for step in catalog.steps if step.article]
