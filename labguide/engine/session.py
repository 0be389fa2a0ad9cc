"""A lab session: the one object the CLI and the TUI talk to.

It opens the session file for (account or sandbox, region, participant),
reconciles it with what the account really holds, performs steps (independent
ones concurrently), verifies goals, and tears the lab down.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from labguide.aws.clients import Clients, Identity
from labguide.aws.errors import explain
from labguide.catalog.models import Catalog, Goal, Step
from labguide.engine.actions import ACTIONS
from labguide.engine.checks import CHECKS, CheckResult
from labguide.engine.checks.result import Status, Words, failed
from labguide.engine.context import Cancelled, LabContext
from labguide.engine.events import Event, Reporter
from labguide.engine.resources import Resource
from labguide.engine.state import SessionState, SessionStore, StepState, StepStatus
from labguide.engine.teardown import TeardownResult, inventory, tear_down
from labguide.errors import LabguideError

log = logging.getLogger(__name__)

MAX_WORKERS = 6
TEARDOWN_ACTION = "tear-down"
LAUNCH_TEMPLATE_ACTION = "create-launch-template"


@dataclass(frozen=True)
class GoalResult:
    """A goal's status and the results of its checks."""

    goal: Goal
    status: Status
    checks: list[CheckResult]
    passed_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: id, status, evidence, and each check."""
        evidence = [line for check in self.checks for line in check.evidence]
        return {
            "id": self.goal.id,
            "title": self.goal.title.en,
            "status": self.status,
            "passed_at": self.passed_at,
            "evidence": evidence,
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass
class RunResult:
    """What performing steps did."""

    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    created: int = 0
    warnings: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every step requested was done."""
        return not self.failed and not self.skipped


def combine(results: list[CheckResult]) -> Status:
    """A goal passes when all its checks pass, fails when any fails."""
    statuses = {r.status for r in results}
    if "failed" in statuses:
        return "failed"
    if "pending" in statuses:
        return "pending"
    return "passed"


class LabSession:
    """One participant's lab in one account (or the sandbox) and region.

    Use `LabSession.open(...)`; close it (or use it as a context manager) to
    release the session lock.
    """

    def __init__(
        self,
        catalog: Catalog,
        clients: Clients,
        identity: Identity,
        store: SessionStore,
        state: SessionState,
        context: LabContext,
    ) -> None:
        self.catalog = catalog
        self.clients = clients
        self.identity = identity
        self.store = store
        self.state = state
        self.ctx = context
        self._lock = threading.RLock()

    @classmethod
    def open(
        cls,
        catalog: Catalog,
        clients: Clients,
        state_dir: Path,
        participant: str | None = None,
        email: str | None = None,
        reporter: Reporter | None = None,
        poll_seconds: float = 5.0,
        wait_seconds: float = 600.0,
        account_label: str | None = None,
        reconcile: bool = True,
    ) -> LabSession:
        """Opens (and locks) the session, creating it if new.

        Args:
            catalog: the lab catalog.
            clients: clients for the target.
            state_dir: where session files live.
            participant: the participant, or None for a single learner.
            email: the address the alarm notifies (kept in the session).
            reporter: receives progress events.
            poll_seconds: sleep between polls.
            wait_seconds: the longest an action waits.
            account_label: names the session instead of the account id (the
                sandbox's sessions are labelled `sandbox`).
            reconcile: compare the saved state with the account on opening.

        Raises:
            LabguideError: bad participant name, credentials, a corrupt or
                foreign session file, or another process on this session.
        """
        validate_participant(catalog, participant)
        validate_region(catalog, clients.target.region)
        validate_email(email)
        identity = call_aws(clients, clients.identity)
        account = account_label or identity.account
        store = SessionStore(state_dir, account, clients.target.region, participant)
        store.lock()
        try:
            state = store.load() or SessionState(
                account, clients.target.region, participant
            )
            if email:
                state.email = email
            context = LabContext(
                catalog=catalog,
                clients=clients,
                participant=participant,
                email=state.email,
                reporter=reporter,
                poll_seconds=poll_seconds,
                wait_seconds=wait_seconds,
            )
            session = cls(catalog, clients, identity, store, state, context)
            if reconcile:
                session.reconcile()
            else:
                session._save()
        except BaseException:
            store.unlock()
            raise
        return session

    def __enter__(self) -> LabSession:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Releases the session lock."""
        self.store.unlock()

    def cancel(self) -> None:
        """Asks running work to stop at its next poll."""
        self.ctx.cancel.set()

    # Steps

    def step_status(self, step_id: str) -> StepStatus:
        """A step's status as last known."""
        return self.state.steps.get(step_id, StepState()).status

    def reconcile(self) -> dict[str, StepStatus]:
        """Brings the saved state in line with what the account holds, so a
        half-done lab (or one whose state file was lost) resumes where it is.

        Returns:
            Each step's status after reconciling.
        """
        statuses: dict[str, StepStatus] = {}
        for step in self.catalog.steps:
            action = ACTIONS.get(step.action)
            known = self.state.steps.setdefault(step.id, StepState())
            if known.status == "running":
                known.status = "failed"
                known.error = "interrupted"
            if action is None:
                statuses[step.id] = known.status
                continue
            try:
                found = call_aws(self.clients, lambda a=action: a.find(self.ctx))
            except LabguideError:
                raise
            if found:
                known.resources = [r.to_dict() for r in found]
                if known.status in ("not-started", "drifted", "failed") and _complete(
                    step, found
                ):
                    known.status = "done"
                elif not _complete(step, found) and known.status == "done":
                    known.status = "drifted"
            elif known.status == "done" and _creates(step):
                known.status = "drifted"
                known.resources = []
            statuses[step.id] = known.status
        self._save()
        return statuses

    def next_step(self) -> Step | None:
        """The first article step that is not done."""
        for step in self.catalog.steps:
            if step.action == TEARDOWN_ACTION:
                continue
            if self.step_status(step.id) != "done":
                return step
        return None

    def run(self, keys: Iterable[str | int]) -> RunResult:
        """Performs the given steps, independent ones concurrently.

        Args:
            keys: step ids or numbers; order does not matter, dependencies
                among them are respected.

        Raises:
            LabguideError: an unknown step, or broken user data.
        """
        steps = resolve_steps(self.catalog, keys)
        check_user_data(self.catalog, steps, self.ctx.participant)
        return self._run_graph(steps)

    def run_all(self) -> RunResult:
        """Performs every step of the lab (not the cleanup).

        Raises:
            LabguideError: broken user data.
        """
        steps = [s for s in self.catalog.steps if s.action != TEARDOWN_ACTION]
        check_user_data(self.catalog, steps, self.ctx.participant)
        return self._run_graph(steps)

    def _run_graph(self, steps: list[Step]) -> RunResult:
        self.ctx.cancel.clear()
        result = RunResult()
        wanted = {s.id: s for s in steps}
        waiting = dict(wanted)
        running: dict[Future[Any], Step] = {}
        finished: set[str] = set()
        with ThreadPoolExecutor(
            max_workers=MAX_WORKERS, thread_name_prefix="step"
        ) as pool:
            while waiting or running:
                for step_id, step in list(waiting.items()):
                    deps = [d for d in step.depends_on if d in wanted]
                    broken = [
                        d for d in deps if d in result.failed or d in result.skipped
                    ]
                    if broken:
                        result.skipped[step_id] = f"{broken[0]} did not finish"
                        del waiting[step_id]
                        self._set_status(step_id, "not-started")
                        continue
                    if (
                        all(d in finished for d in deps)
                        and not self.ctx.cancel.is_set()
                    ):
                        running[pool.submit(self._perform, step, result)] = step
                        del waiting[step_id]
                if self.ctx.cancel.is_set():
                    for step_id in waiting:
                        result.skipped[step_id] = "cancelled"
                    waiting.clear()
                if not running:
                    break
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    step = running.pop(future)
                    finished.add(step.id)
        return result

    def _perform(self, step: Step, result: RunResult) -> None:
        action = ACTIONS[step.action]
        self._set_status(step.id, "running")
        self.ctx.report(Event(step.id, "start", step.title.en))
        try:
            outcome = call_aws(self.clients, lambda: action.ensure(self.ctx))
        except Cancelled:
            self._set_status(step.id, "failed", error="cancelled")
            with self._lock:
                result.failed[step.id] = "cancelled"
            self.ctx.report(Event(step.id, "failed", "cancelled"))
            return
        except LabguideError as error:
            self._fail(step, result, str(error))
            return
        except (ClientError, BotoCoreError) as error:
            self._fail(step, result, f"AWS error: {error}")
            return
        except Exception as error:  # a defect: keep the session usable
            log.exception("step %s failed", step.id)
            self._fail(step, result, f"unexpected error: {error!r}")
            return
        with self._lock:
            known = self.state.steps.setdefault(step.id, StepState())
            known.status = "done"
            known.resources = [r.to_dict() for r in outcome.resources]
            known.warnings = list(outcome.warnings)
            known.error = None
            known.finished_at = time.time()
            result.done.append(step.id)
            result.created += outcome.created
            if outcome.warnings:
                result.warnings[step.id] = list(outcome.warnings)
            self._save()
        for warning in outcome.warnings:
            self.ctx.report(Event(step.id, "warning", warning))
        self.ctx.report(
            Event(
                step.id,
                "done",
                f"{len(outcome.resources)} resource(s), {outcome.created} created",
            )
        )

    def _fail(self, step: Step, result: RunResult, message: str) -> None:
        self._set_status(step.id, "failed", error=message)
        with self._lock:
            result.failed[step.id] = message
        self.ctx.report(Event(step.id, "failed", message))

    def _set_status(
        self, step_id: str, status: StepStatus, error: str | None = None
    ) -> None:
        with self._lock:
            known = self.state.steps.setdefault(step_id, StepState())
            known.status = status
            known.error = error
            self._save()

    def mark_done_by_hand(self, step_id: str) -> None:
        """Records that the learner did a step in the console; the checks
        decide whether it really is."""
        self._set_status(self.catalog.step(step_id).id, "done")

    # Checks and goals

    def check(self, check_id: str) -> CheckResult:
        """Runs one check; AWS errors become a failed result, never a crash."""
        implementation = CHECKS[check_id]
        try:
            return implementation(self.ctx)
        except (ClientError, BotoCoreError) as error:
            explained = explain(error, self.clients.target.profile)
            if explained is not None:
                raise explained from None
            summary = Words(f"AWS error: {error}", f"AWS のエラー：{error}")
            return failed(check_id, summary, "aws-error")

    def run_checks(self, check_ids: Iterable[str]) -> dict[str, CheckResult]:
        """Runs checks concurrently."""
        ids = list(dict.fromkeys(check_ids))
        with ThreadPoolExecutor(
            max_workers=MAX_WORKERS, thread_name_prefix="check"
        ) as pool:
            futures = {check_id: pool.submit(self.check, check_id) for check_id in ids}
            return {check_id: future.result() for check_id, future in futures.items()}

    def verify(self, goal_ids: Iterable[str] | None = None) -> list[GoalResult]:
        """Checks the goals (all of them by default) once."""
        goals = goals_named(self.catalog, goal_ids) if goal_ids else self.catalog.goals
        results = self.run_checks(c for g in goals for c in g.checks)
        out = []
        with self._lock:
            for goal in goals:
                checks = [results[c] for c in goal.checks]
                status = combine(checks)
                previous = self.state.goals.get(goal.id, {})
                passed_at = previous.get("passed_at")
                if status == "passed" and passed_at is None:
                    passed_at = time.time()
                if status != "passed":
                    passed_at = None
                self.state.goals[goal.id] = {
                    "status": status,
                    "passed_at": passed_at,
                    "checked_at": time.time(),
                    "evidence": [line for c in checks for line in c.evidence],
                }
                out.append(GoalResult(goal, status, checks, passed_at))
            self._save()
        return out

    def watch(
        self,
        timeout: float,
        goal_ids: Iterable[str] | None = None,
        on_round: Any = None,
    ) -> list[GoalResult]:
        """Verifies again while any goal is pending, up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        goals = list(goal_ids) if goal_ids else None
        while True:
            results = self.verify(goals)
            if on_round is not None:
                on_round(results)
            if (
                all(r.status != "pending" for r in results)
                or time.monotonic() >= deadline
            ):
                return results
            self.ctx.cancel.wait(self.ctx.poll_seconds)
            if self.ctx.cancel.is_set():
                return results

    # Teardown

    def teardown_plan(self) -> list[Resource]:
        """What a teardown would delete, in order."""
        return call_aws(self.clients, lambda: inventory(self.ctx))

    def teardown(self) -> TeardownResult:
        """Deletes the lab's resources and resets the session's steps."""
        self.ctx.cancel.clear()
        result = call_aws(self.clients, lambda: tear_down(self.ctx))
        with self._lock:
            for step in self.catalog.steps:
                self.state.steps[step.id] = StepState()
            self.state.goals = {}
            if result.clean:
                self.state.steps[self.catalog.steps[-1].id] = StepState(
                    status="done", finished_at=time.time()
                )
            self._save()
        return result

    def _save(self) -> None:
        with self._lock:
            self.store.save(self.state)


def resolve_steps(catalog: Catalog, keys: Iterable[str | int]) -> list[Step]:
    """The steps named by ids or numbers.

    Raises:
        LabguideError: an unknown step, or the cleanup step (teardown has its
            own command, with a dry run first).
    """
    steps = []
    for key in keys:
        try:
            steps.append(catalog.step(str(key)))
        except KeyError:
            known = ", ".join(s.id for s in catalog.steps)
            raise LabguideError(
                f"There is no step {key!r}.", f"Steps: {known}."
            ) from None
    if any(s.action == TEARDOWN_ACTION for s in steps):
        raise LabguideError(
            "The cleanup step is not run with the others.",
            "Use `labguide teardown` (a dry run first).",
        )
    return steps


def check_user_data(
    catalog: Catalog, steps: Iterable[Step], participant: str | None
) -> None:
    """Refuses broken user data before any step runs, when the launch template
    is among `steps`: otherwise the steps before it would build half a lab
    whose instances can never serve the page.

    Raises:
        LabguideError: the script cannot be rendered or has a lint finding.
    """
    if not any(step.action == LAUNCH_TEMPLATE_ACTION for step in steps):
        return
    from labguide.userdata import UserDataError, lint, render

    try:
        script = render(catalog, participant)
    except UserDataError as error:
        raise LabguideError(
            f"The user data cannot be rendered: {error}.", "Fix the script."
        ) from None
    findings = lint(script, catalog, participant)
    if findings:
        first = findings[0]
        more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
        raise LabguideError(
            f"The user data has a mistake at line {first.line}: {first.message} "
            f"({first.fix}){more}.",
            "See every one with `labguide userdata lint FILE`.",
        )


def _creates(step: Step) -> bool:
    action = ACTIONS.get(step.action)
    return action is not None and action.find.__name__ != "find_nothing"


def _complete(step: Step, found: list[Resource]) -> bool:
    """Whether what exists covers what the step makes (by kind)."""
    kinds = {r.kind for r in found}
    expected = {
        "create-network": {"vpc", "subnet", "internet-gateway", "route-table"},
        "create-instance-role": {"iam-role", "instance-profile"},
        "create-load-balancer": {"load-balancer", "listener"},
        "create-alarm": {"sns-topic", "alarm"},
        "create-backup-plan": {"iam-role", "backup-vault", "backup-plan"},
        "create-log-groups": {"log-group"},
    }.get(step.action)
    return expected is None or expected <= kinds


def goals_named(catalog: Catalog, goal_ids: Iterable[str]) -> list[Goal]:
    """The catalog's goals with these ids.

    Raises:
        LabguideError: an id names no goal.
    """
    goals = []
    for goal_id in goal_ids:
        try:
            goals.append(catalog.goal(goal_id))
        except KeyError:
            known = ", ".join(g.id for g in catalog.goals)
            raise LabguideError(
                f"There is no goal {goal_id!r}.", f"Goals: {known}."
            ) from None
    return goals


EMAIL = r"[^@\s]+@[^@\s]+\.[^@\s.]+"
"""An address SNS can send to, roughly: a local part, @, a dotted domain."""


def validate_email(email: str | None) -> None:
    """Checks the alarm's address before anything is made: SNS takes a
    subscription to a mistyped address, whose confirmation never arrives.

    Raises:
        LabguideError: the address cannot be an e-mail address.
    """
    import re

    if email and not re.fullmatch(EMAIL, email):
        raise LabguideError(
            f"{email!r} is not an e-mail address.",
            "Give the address the alarm should notify, e.g. --email ana@example.com.",
        )


def validate_participant(catalog: Catalog, participant: str | None) -> None:
    """Checks a participant's name against the lab's pattern and AWS's name
    limits (32 characters for ALB and target group names).

    Raises:
        LabguideError: the name is not allowed.
    """
    import re

    from labguide.catalog.naming import all_names

    if participant is None:
        return
    if not re.fullmatch(catalog.lab.participant_pattern, participant):
        raise LabguideError(
            f"The participant name {participant!r} is not allowed.",
            "Use 1 to 16 lower-case letters, digits and dashes, starting and ending "
            "with a letter or digit (e.g. --participant ana).",
        )
    names = all_names(catalog, participant)
    limits = {"alb.name": 32, "target-group.name": 32, "asg.name": 255}
    for key, limit in limits.items():
        value = names.get(key)
        if value is not None and len(value) > limit:
            raise LabguideError(
                f"With participant {participant!r} the name {value!r} has {len(value)} "
                f"characters; AWS allows {limit}.",
                "Choose a shorter participant name.",
            )


def validate_region(catalog: Catalog, region: str) -> None:
    """Checks the region against the lab's guardrail, for every session (the
    command line checks it too, but a workshop's sessions open elsewhere).

    Raises:
        LabguideError: the region is not one the lab allows.
    """
    if region not in catalog.lab.allowed_regions:
        raise LabguideError(
            f"The region {region!r} is not one this lab allows.",
            "Use one of: " + ", ".join(catalog.lab.allowed_regions) + ".",
        )


def call_aws(clients: Clients, call: Any) -> Any:
    """Runs `call`, turning credential and access errors into LabguideError."""
    try:
        return call()
    except (ClientError, BotoCoreError) as error:
        explained = explain(error, clients.target.profile)
        if explained is not None:
            raise explained from None
        raise
