"""Steps 8 and 11: nothing to create; labguide shows what the account holds.

Session Manager needs no resource of its own (the role, the agent and the
network path come from earlier steps), and CloudTrail's event history is on
in every account. Performing these steps reads the state once and reports
it; their checks keep watching while things are pending.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from botocore.exceptions import ClientError

from labguide.aws.errors import endpoint_lacks_api
from labguide.catalog.parameters import CloudTrailParams
from labguide.engine.actions.auto_scaling import find_group, live_instances
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource

SSM_STEP = "session-manager"
TRAIL_STEP = "cloudtrail"


def find_nothing(ctx: LabContext) -> list[Resource]:
    """These steps own no resource."""
    return []


def confirm_managed_nodes(ctx: LabContext) -> Outcome:
    """Lists which of the group's instances Session Manager sees online."""
    outcome = Outcome()
    group = find_group(ctx)
    ids = [i["InstanceId"] for i in live_instances(group)] if group else []
    if not ids:
        outcome.warnings.append("the Auto Scaling group has no instances yet")
        return outcome
    try:
        answer = ctx.clients.ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": ids}]
        )
    except ClientError as error:
        if endpoint_lacks_api(error):
            outcome.warnings.append(
                "Session Manager inventory is not available from this endpoint"
            )
            return outcome
        raise
    online = {
        i["InstanceId"]
        for i in answer.get("InstanceInformationList", [])
        if i.get("PingStatus") == "Online"
    }
    for instance_id in ids:
        state = "online" if instance_id in online else "not online yet"
        ctx.report(Event(SSM_STEP, "info", f"managed node {state}", instance_id))
    return outcome


def recent_events(ctx: LabContext, name: str) -> list[dict[str, Any]]:
    """Event history entries called `name` within the catalog's look-back
    (the newest 50: one page, as LookupEvents allows 2 calls a second).

    Raises:
        ClientError: as the endpoint answered (it may lack the API).
    """
    params = ctx.params(CloudTrailParams)
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=params.lookback_hours)
    answer = ctx.clients.cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}],
        StartTime=since,
        MaxResults=50,
    )
    return list(answer.get("Events", []))


def look_up_events(ctx: LabContext) -> Outcome:
    """Looks up the article's events in CloudTrail's event history."""
    params = ctx.params(CloudTrailParams)
    outcome = Outcome()
    # Imported here: the checks import the actions.
    from labguide.engine.checks.goals import mentions_lab

    for name in params.events:
        try:
            # Only this lab's: in a workshop the history holds everyone's.
            count = sum(1 for e in recent_events(ctx, name) if mentions_lab(ctx, e))
        except ClientError as error:
            if endpoint_lacks_api(error):
                outcome.warnings.append(
                    "CloudTrail event history is not available from this endpoint"
                )
                return outcome
            raise
        found = f"{name}: {count} event(s) of this lab in history"
        ctx.report(Event(TRAIL_STEP, "info", found))
    return outcome
