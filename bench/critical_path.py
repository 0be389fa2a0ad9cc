"""The lab's critical path: the longest chain of waits no schedule can avoid.

Every duration comes from the sandbox's own timing model, never from a
number written here: AWS's waits from `labguide.sandbox.config.Timing`, the
instances' boot from the sandbox interpreting the catalog's real user data
(`run_user_data`: when nginx and the CloudWatch agent start), the health
check's interval and threshold from the catalog's target group, and the
order of work from the steps' `depends_on`. API calls are taken to cost
nothing: what is left is waiting, which only overlapping can shorten.

The model knows which check waits for what (the table `NEEDS` and the
functions in `pass_times`); it gives both the shortest possible lab (every
step as soon as its dependencies are done) and a strictly one-step-at-a-time
lab (each step only once the previous one's checks pass, as far as they can
yet), in AWS seconds. `python bench/critical_path.py` prints both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from labguide.catalog import load_catalog
from labguide.catalog.models import Catalog
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import TargetGroupParams
from labguide.sandbox.config import Timing
from labguide.sandbox.guest import run_user_data
from labguide.userdata import render

NEEDS: dict[str, set[str]] = {
    # The page needs the instances as well as the ALB.
    "alb-serves-page": {"asg"},
    # The article's events include CreateBackupPlan, made by step 12.
    "cloudtrail-history": {"backup"},
}
"""Steps a check needs beyond the step that lists it."""


@dataclass(frozen=True)
class Boot:
    """When an instance's services start, in AWS seconds after launch."""

    nginx: float
    agent: float


def boot(catalog: Catalog) -> Boot:
    """Boots the catalog's user data in the sandbox's interpreter."""
    booted = run_user_data(
        render(catalog), "ip-10-0-1-10.ec2.internal", "i-model", datetime.now(UTC), 1.0
    )
    return Boot(booted.started["nginx"], booted.started["amazon-cloudwatch-agent"])


def healthy_after(catalog: Catalog, nginx: float) -> float:
    """AWS seconds from registration until a target is healthy: checks run
    every interval from the first one, and the threshold of them must pass
    in a row once nginx answers."""
    group = parameters_of(catalog, TargetGroupParams, None)
    interval = group.health_check_interval_seconds
    first = Timing.TARGET_REGISTRATION
    passing = first
    while passing < nginx:
        passing += interval
    return passing + (group.healthy_threshold - 1) * interval


def needs(catalog: Catalog) -> dict[str, set[str]]:
    """Every check, and the steps it needs before it can pass."""
    found: dict[str, set[str]] = {}
    for step in catalog.steps:
        for check in step.checks:
            found.setdefault(check, set()).add(step.id)
    for check, extra in NEEDS.items():
        found[check] |= extra
    return found


def action_waits(
    catalog: Catalog, booted: Boot
) -> dict[str, Callable[[dict[str, float]], float]]:
    """What an action itself waits for, by step: when it can end, given when
    the steps it waits on ended. Only two actions wait: the logs step for the
    ALB to serve the page (it then sends its test requests), and the backup
    step for a running instance's volume (instances run at once)."""

    def page(done: dict[str, float]) -> float:
        return max(
            done["alb"] + Timing.LOAD_BALANCER_ACTIVE, done["asg"] + booted.nginx
        )

    return {"logs": page, "backup": lambda done: done["asg"]}


def pass_times(
    catalog: Catalog, booted: Boot, started: dict[str, float], done: dict[str, float]
) -> dict[str, float]:
    """When each check can first pass, given when each step started and
    ended (steps not done yet are absent: their checks are too)."""
    healthy = healthy_after(catalog, booted.nginx)
    t: dict[str, Callable[[], float]] = {
        "load-balancer-active": lambda: done["alb"] + Timing.LOAD_BALANCER_ACTIVE,
        "alb-serves-page": lambda: max(
            done["alb"] + Timing.LOAD_BALANCER_ACTIVE, done["asg"] + booted.nginx
        ),
        "targets-healthy": lambda: done["asg"] + healthy,
        "managed-nodes-online": lambda: done["asg"] + Timing.SSM_REGISTRATION,
        # The access log fills with health checks once nginx answers; the
        # error log with nginx's start-up lines; the agent ships both.
        "nginx-logs-collected": lambda: (
            max(done["asg"] + booted.agent, done["logs"]) + Timing.LOG_FLUSH
        ),
        # CreateBackupPlan is the backup step's first call; the others are
        # made by steps that end with them.
        "cloudtrail-history": lambda: (
            max(
                started["backup"],
                done["alarm"],
                done["asg"],
                done["alb"],
                done["launch-template"],
            )
            + Timing.CLOUDTRAIL_DELIVERY
        ),
        "backup-job-recorded": lambda: done["backup"] + Timing.BACKUP_COMPLETE,
    }
    out: dict[str, float] = {}
    for check, steps in needs(catalog).items():
        if not steps <= set(done):
            continue
        timed = t.get(check)
        out[check] = timed() if timed else max(done[s] for s in steps)
    return out


def article_steps(catalog: Catalog) -> list[str]:
    """The steps a full run performs, in the article's order."""
    return [s.id for s in catalog.steps if s.action != "tear-down"]


def shortest(catalog: Catalog) -> tuple[float, dict[str, float]]:
    """The lab with every step started as soon as its dependencies end:
    when it is complete, and when each check passes."""
    booted = boot(catalog)
    waits = action_waits(catalog, booted)
    steps = {s.id: s for s in catalog.steps}
    started: dict[str, float] = {}
    done: dict[str, float] = {}
    for step_id in article_steps(catalog):
        begin = max((done[d] for d in steps[step_id].depends_on), default=0.0)
        started[step_id] = begin
        wait = waits.get(step_id)
        done[step_id] = max(begin, wait(done)) if wait else begin
    checks = pass_times(catalog, booted, started, done)
    return max(checks.values()), checks


def one_at_a_time(catalog: Catalog) -> float:
    """The lab done strictly step by step: each step starts once the one
    before it has ended and every check that can pass by then has passed."""
    booted = boot(catalog)
    waits = action_waits(catalog, booted)
    started: dict[str, float] = {}
    done: dict[str, float] = {}
    now = 0.0
    for step_id in article_steps(catalog):
        started[step_id] = now
        wait = waits.get(step_id)
        done[step_id] = max(now, wait(done)) if wait else now
        now = max([done[step_id], *pass_times(catalog, booted, started, done).values()])
    return now


def main() -> None:
    catalog = load_catalog()
    total, checks = shortest(catalog)
    print(f"critical_path_aws_seconds: {total:g}")
    for check, at in sorted(checks.items(), key=lambda item: -item[1])[:4]:
        print(f"  {check}: {at:g}")
    print(f"one_step_at_a_time_aws_seconds: {one_at_a_time(catalog):g}")


if __name__ == "__main__":
    main()
