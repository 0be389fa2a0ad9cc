"""Steps 8 and 11: nothing to create; labguide shows what the account holds.

Session Manager needs no resource of its own (the role, the agent and the
network path come from earlier steps), and CloudTrail's event history is on
in every account. Performing these steps reads the state once and reports
it; their checks keep watching while things are pending.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from botocore.exceptions import ClientError

from labguide.aws.errors import endpoint_lacks_api
from labguide.catalog.parameters import (
    AlarmParams,
    AutoScalingParams,
    BackupParams,
    CloudTrailParams,
    LaunchTemplateParams,
    LoadBalancerParams,
)
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


TRAIL_PAGES = 10
"""Pages of event history (50 events each) read per event name before a
look-up gives up until next time: enough for about 500 labs in one region
within the look-back, at LookupEvents' 2 calls a second."""


def lab_event(ctx: LabContext, name: str) -> dict[str, Any] | None:
    """The newest event called `name` within the catalog's look-back that
    concerns this lab, or None. Event history is the account's (in a
    workshop it holds everyone's), so pages are read until this lab's event
    turns up; once found, it is remembered.

    Raises:
        ClientError: as the endpoint answered (it may lack the API).
    """
    known = ctx.trail_events.get(name)
    if known is not None:
        return known
    params = ctx.params(CloudTrailParams)
    names = lab_names(ctx)
    request: dict[str, Any] = {
        "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
        "StartTime": dt.datetime.now(dt.UTC)
        - dt.timedelta(hours=params.lookback_hours),
        "MaxResults": 50,
    }
    for _ in range(TRAIL_PAGES):
        answer = ctx.clients.cloudtrail.lookup_events(**request)
        for event in answer.get("Events", []):
            if mentioned(event, names):
                ctx.trail_events[name] = event
                return event
        if not answer.get("NextToken"):
            return None
        request["NextToken"] = answer["NextToken"]
    return None


def lab_names(ctx: LabContext) -> set[str]:
    """The names of this lab's resources the article's events mention."""
    return {
        ctx.params(LoadBalancerParams).name,
        ctx.params(AutoScalingParams).name,
        ctx.params(LaunchTemplateParams).name,
        ctx.params(AlarmParams).alarm_name,
        ctx.params(BackupParams).plan_name,
    }


def mentioned(event: dict[str, Any], names: set[str]) -> str | None:
    """Which of `names` a CloudTrail event concerns, if any: by its
    resources, else by its request parameters."""
    for resource in event.get("Resources", []):
        name = str(resource.get("ResourceName", ""))
        for candidate in names:
            if (
                candidate == name
                or name.endswith(f"/{candidate}")
                or f"/{candidate}/" in name
            ):
                return candidate
    try:
        body = json.loads(event.get("CloudTrailEvent", "{}"))
    except ValueError:
        return None
    parameters = json.dumps(body.get("requestParameters") or {})
    for candidate in names:
        if f'"{candidate}"' in parameters:
            return candidate
    return None


def look_up_events(ctx: LabContext) -> Outcome:
    """Looks up the article's events in CloudTrail's event history."""
    params = ctx.params(CloudTrailParams)
    outcome = Outcome()
    for name in params.events:
        try:
            event = lab_event(ctx, name)
        except ClientError as error:
            if endpoint_lacks_api(error):
                outcome.warnings.append(
                    "CloudTrail event history is not available from this endpoint"
                )
                return outcome
            raise
        if event is None:
            found = f"{name}: not in history yet (delivery takes about 5 minutes)"
        else:
            found = (
                f"{name}: in history, by {event.get('Username', '?')} at "
                f"{event['EventTime']}"
            )
        ctx.report(Event(TRAIL_STEP, "info", found))
    return outcome
