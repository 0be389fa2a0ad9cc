"""Step 10: the two nginx log groups, and a little traffic so both fill.

The CloudWatch agent would create the groups itself, but then they have no
retention and no tags; made here, they expire and teardown finds them.
"""

from __future__ import annotations

import uuid

from labguide.aws.errors import is_error
from labguide.catalog.parameters import LogGroupsParams
from labguide.engine.actions.load_balancing import find_load_balancer
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource
from labguide.engine.web import WebError, fetch

STEP = "logs"


def group_names(ctx: LabContext) -> list[str]:
    """The access and error log group names."""
    params = ctx.params(LogGroupsParams)
    return [params.access_log_group, params.error_log_group]


def find(ctx: LabContext) -> list[Resource]:
    """The log groups that exist, by exact name. A group without the lab's
    tags is one the CloudWatch agent made by itself (no retention, no tags):
    it is found as `agent-log-group`, so teardown still removes it but the
    step is not taken as done until it has made the groups its own."""
    found = []
    for name in group_names(ctx):
        arn = _arn(ctx, name)
        if arn is None:
            continue
        tags = ctx.clients.logs.list_tags_for_resource(resourceArn=arn).get("tags", {})
        kind = "log-group" if ctx.owns(tags) else "agent-log-group"
        found.append(Resource(kind, name, name))
    return found


def ensure(ctx: LabContext) -> Outcome:
    """Creates the groups with retention and tags, then sends one request for
    the page and one for a missing page through the ALB, so nginx writes an
    access line and an error line."""
    params = ctx.params(LogGroupsParams)
    logs = ctx.clients.logs
    outcome = Outcome()
    for name in group_names(ctx):
        try:
            logs.create_log_group(logGroupName=name, tags=ctx.tag_map(STEP))
            ctx.report(Event(STEP, "created", "log group", name))
            outcome.add(Resource("log-group", name, name), True)
        except Exception as error:
            if not is_error(error, "ResourceAlreadyExistsException"):
                raise
            arn = _arn(ctx, name)
            if arn:
                logs.tag_resource(resourceArn=arn, tags=ctx.tag_map(STEP))
            ctx.report(Event(STEP, "found", "log group", name))
            outcome.add(Resource("log-group", name, name))
        logs.put_retention_policy(
            logGroupName=name, retentionInDays=params.retention_days
        )

    _send_test_traffic(ctx, outcome)
    return outcome


def _arn(ctx: LabContext, name: str) -> str | None:
    groups = ctx.clients.logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    for group in groups:
        if group["logGroupName"] == name:
            return str(group["arn"]).removesuffix(":*")
    return None


def _send_test_traffic(ctx: LabContext, outcome: Outcome) -> None:
    balancer = find_load_balancer(ctx)
    if balancer is None:
        outcome.warnings.append("no ALB yet: no test traffic sent")
        return
    dns = str(balancer["DNSName"])
    route = ctx.clients.target.web_route

    def page_serves() -> bool:
        try:
            return fetch(dns, "/", route).status == 200
        except WebError:
            return False

    if not ctx.wait_until(page_serves, "the ALB to serve the page", STEP):
        outcome.warnings.append(
            "the ALB does not serve the page yet: no test traffic sent; "
            "run this step again once it does"
        )
        return
    missing = f"/labguide-probe-{uuid.uuid4().hex[:8]}"
    try:
        status = fetch(dns, missing, route).status
    except WebError as error:
        outcome.warnings.append(f"test request failed: {error}")
        return
    ctx.report(
        Event(
            STEP,
            "info",
            f"sent GET / (200) and GET {missing} ({status}) through the ALB",
            dns,
        )
    )
