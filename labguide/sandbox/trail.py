"""CloudTrail event history: the record of the calls that reached the sandbox.

Every AWS API call that reached the endpoint, from labguide, the AWS CLI or
anything else, is recorded with AWS's event shape: who (the user the access
key belongs to), when, what (event source and name), on which resources
(names and identifiers from the request and the answer), and the full
CloudTrail event as JSON. Events show in `LookupEvents` after CloudTrail's
delivery delay (scaled), newest first, 50 to a page.
"""

from __future__ import annotations

import base64
import bisect
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from labguide.sandbox.clock import Clock
from labguide.sandbox.config import ACCESS_KEY_ID, ACCOUNT_ID, LEARNER_NAME, Timing
from labguide.sandbox.wire import Call, lower_camel

MAX_EVENTS = 20000
"""Events kept per sandbox (AWS keeps 90 days; a lab needs far fewer)."""
PAGE_SIZE = 50

# Request members that name a resource, with the CloudFormation-style type
# CloudTrail shows for it.
RESOURCE_MEMBERS = {
    "Name": None,  # typed by the event source below
    "LoadBalancerName": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "LoadBalancerArn": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "TargetGroupArn": "AWS::ElasticLoadBalancingV2::TargetGroup",
    "ListenerArn": "AWS::ElasticLoadBalancingV2::Listener",
    "AutoScalingGroupName": "AWS::AutoScaling::AutoScalingGroup",
    "LaunchTemplateName": "AWS::EC2::LaunchTemplate",
    "LaunchTemplateId": "AWS::EC2::LaunchTemplate",
    "AlarmName": "AWS::CloudWatch::Alarm",
    "TopicArn": "AWS::SNS::Topic",
    "RoleName": "AWS::IAM::Role",
    "InstanceProfileName": "AWS::IAM::InstanceProfile",
    "GroupName": "AWS::EC2::SecurityGroup",
    "GroupId": "AWS::EC2::SecurityGroup",
    "VpcId": "AWS::EC2::VPC",
    "SubnetId": "AWS::EC2::Subnet",
    "InstanceId": "AWS::EC2::Instance",
    "InternetGatewayId": "AWS::EC2::InternetGateway",
    "RouteTableId": "AWS::EC2::RouteTable",
    "logGroupName": "AWS::Logs::LogGroup",
    "BackupVaultName": "AWS::Backup::BackupVault",
    "BackupPlanId": "AWS::Backup::BackupPlan",
    "BackupPlanName": "AWS::Backup::BackupPlan",
    "ResourceArn": None,
}
_NAME_TYPES = {
    "elasticloadbalancing": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "sns": "AWS::SNS::Topic",
}
# Identifiers in answers worth naming as the event's resources.
_ANSWER_IDS = re.compile(
    r"<(LoadBalancerArn|TargetGroupArn|ListenerArn|VpcId|SubnetId|GroupId|"
    r"LaunchTemplateId|InstanceId|InternetGatewayId|RouteTableId|TopicArn|"
    r"SubscriptionArn|AlarmArn)>([^<]+)</"
)
_ANSWER_TYPES = {
    "LoadBalancerArn": "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "TargetGroupArn": "AWS::ElasticLoadBalancingV2::TargetGroup",
    "ListenerArn": "AWS::ElasticLoadBalancingV2::Listener",
    "VpcId": "AWS::EC2::VPC",
    "SubnetId": "AWS::EC2::Subnet",
    "GroupId": "AWS::EC2::SecurityGroup",
    "LaunchTemplateId": "AWS::EC2::LaunchTemplate",
    "InstanceId": "AWS::EC2::Instance",
    "InternetGatewayId": "AWS::EC2::InternetGateway",
    "RouteTableId": "AWS::EC2::RouteTable",
    "TopicArn": "AWS::SNS::Topic",
    "SubscriptionArn": "AWS::SNS::Subscription",
    "AlarmArn": "AWS::CloudWatch::Alarm",
}
_JSON_IDS = (
    "BackupPlanId",
    "BackupPlanArn",
    "BackupVaultArn",
    "SelectionId",
    "BackupJobId",
    "RecoveryPointArn",
    "CommandId",
)

LOOKUP_KEYS = {
    "EventId",
    "EventName",
    "ReadOnly",
    "Username",
    "ResourceType",
    "ResourceName",
    "EventSource",
    "AccessKeyId",
}


@dataclass
class Event:
    """One recorded call."""

    region: str
    recorded: float
    fields: dict[str, Any] = field(default_factory=dict)


class LookupError_(Exception):
    """A LookupEvents request AWS would refuse."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Trail:
    """The event history of every region of the sandbox."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def record(
        self,
        call: Call,
        status: int,
        answer: bytes,
        error_code: str | None,
        error_message: str | None,
        user_names: dict[str, str],
        now: float,
    ) -> None:
        """Records a call and the sandbox's answer to it."""
        if call.service == "cloudtrail" and call.action == "LookupEvents":
            # Lookups are read events AWS records too; leaving them out keeps a
            # polling check from filling the history with its own traces.
            return
        resources = _resources(call, answer)
        username = user_names.get(call.access_key) or (
            LEARNER_NAME if call.access_key == ACCESS_KEY_ID else "root"
        )
        when = datetime.fromtimestamp(now, UTC)
        event_id = str(uuid.uuid4())
        detail: dict[str, Any] = {
            "eventVersion": "1.09",
            "userIdentity": {
                "type": "IAMUser" if username != "root" else "Root",
                "principalId": "AIDASANDBOX" + username.upper()[:10],
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/{username}"
                if username != "root"
                else f"arn:aws:iam::{ACCOUNT_ID}:root",
                "accountId": ACCOUNT_ID,
                "accessKeyId": call.access_key,
                "userName": username,
            },
            "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": call.event_source,
            "eventName": call.action,
            "awsRegion": call.region,
            "sourceIPAddress": call.source_ip,
            "userAgent": call.user_agent,
            "requestParameters": _request_parameters(call),
            "responseElements": None,
            "requestID": call.request_id,
            "eventID": event_id,
            "readOnly": call.read_only,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": ACCOUNT_ID,
            "eventCategory": "Management",
        }
        if error_code:
            detail["errorCode"] = error_code
            detail["errorMessage"] = error_message or ""
        fields = {
            "EventId": event_id,
            "EventName": call.action,
            "ReadOnly": "true" if call.read_only else "false",
            "AccessKeyId": call.access_key,
            "EventTime": now,
            "EventSource": call.event_source,
            "Username": username,
            "Resources": resources,
            "CloudTrailEvent": json.dumps(detail),
        }
        # IAM is global: AWS shows its events in us-east-1.
        region = "us-east-1" if call.service in ("iam", "sts") else call.region
        # Kept in the order recorded, so that a lookup from a start time skips
        # the older events (a wall clock set back must not break that order).
        recorded = max(now, self.events[-1].recorded) if self.events else now
        self.events.append(Event(region, recorded, fields))
        if len(self.events) > MAX_EVENTS:
            del self.events[: len(self.events) - MAX_EVENTS]

    def lookup(
        self, region: str, params: dict[str, Any], clock: Clock
    ) -> dict[str, Any]:
        """Answers LookupEvents as AWS does.

        Raises:
            LookupError_: an attribute or a page size AWS would refuse.
        """
        attributes = params.get("LookupAttributes") or []
        if len(attributes) > 1:
            raise LookupError_(
                "InvalidLookupAttributesException",
                "You cannot specify more than one lookup attribute.",
            )
        limit = int(params.get("MaxResults") or PAGE_SIZE)
        if not 1 <= limit <= PAGE_SIZE:
            raise LookupError_(
                "InvalidMaxResultsException",
                f"MaxResults must be between 1 and {PAGE_SIZE}.",
            )
        start = _timestamp(params.get("StartTime"))
        end = _timestamp(params.get("EndTime"))
        if start is not None and end is not None and start > end:
            raise LookupError_(
                "InvalidTimeRangeException",
                "Start time must be before end time.",
            )
        key = value = None
        if attributes:
            key = attributes[0].get("AttributeKey")
            value = attributes[0].get("AttributeValue")
            if key not in LOOKUP_KEYS:
                raise LookupError_(
                    "InvalidLookupAttributesException",
                    f"Invalid attribute key: {key}",
                )

        now = clock.now()
        first = 0
        if start is not None:
            first = bisect.bisect_left(self.events, start, key=lambda e: e.recorded)
        delivered = [
            event
            for event in self.events[first:]
            if event.region == region
            and clock.passed(event.recorded, Timing.CLOUDTRAIL_DELIVERY, now)
            and (start is None or event.recorded >= start)
            and (end is None or event.recorded <= end)
            and _matches(event, key, value)
        ]
        delivered.reverse()
        offset = 0
        token = params.get("NextToken")
        if token:
            try:
                offset = int(base64.b64decode(token).decode().split(":", 1)[1])
            except (ValueError, IndexError):
                raise LookupError_(
                    "InvalidNextTokenException", "Invalid NextToken."
                ) from None
        page = delivered[offset : offset + limit]
        result: dict[str, Any] = {"Events": [event.fields for event in page]}
        if offset + limit < len(delivered):
            result["NextToken"] = base64.b64encode(
                f"page:{offset + limit}".encode()
            ).decode()
        return result


def _timestamp(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _matches(event: Event, key: str | None, value: str | None) -> bool:
    if key is None:
        return True
    fields = event.fields
    if key == "ResourceType":
        return any(r.get("ResourceType") == value for r in fields["Resources"])
    if key == "ResourceName":
        return any(r.get("ResourceName") == value for r in fields["Resources"])
    return str(fields.get(key)) == value


def _resources(call: Call, answer: bytes) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []

    def add(kind: str | None, name: str) -> None:
        entry = {"ResourceType": kind or "AWS::Resource", "ResourceName": name}
        if name and entry not in found:
            found.append(entry)

    params = call.params if isinstance(call.params, dict) else {}
    for member, value in params.items():
        base = re.sub(r"\.(member\.)?\d+$", "", member)
        if base in RESOURCE_MEMBERS and isinstance(value, str):
            kind = RESOURCE_MEMBERS[base] or _NAME_TYPES.get(call.signing_name)
            if base == "Name" and kind is None:
                continue
            add(kind, value)
    backup_plan = params.get("BackupPlan")
    if isinstance(backup_plan, dict) and backup_plan.get("BackupPlanName"):
        add("AWS::Backup::BackupPlan", backup_plan["BackupPlanName"])
    selection = params.get("BackupSelection")
    if isinstance(selection, dict) and selection.get("SelectionName"):
        add("AWS::Backup::BackupSelection", selection["SelectionName"])

    if call.read_only:
        return found
    text = answer[:20000].decode("utf-8", "replace")
    for member, value in _ANSWER_IDS.findall(text):
        add(_ANSWER_TYPES[member], value)
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except ValueError:
            loaded = {}
        if isinstance(loaded, dict):
            for member in _JSON_IDS:
                if isinstance(loaded.get(member), str):
                    add(
                        f"AWS::Backup::{member.removesuffix('Id').removesuffix('Arn')}",
                        loaded[member],
                    )
    return found


def _request_parameters(call: Call) -> dict[str, Any] | None:
    """The request as CloudTrail writes it: members in lower camel case, lists
    of query-protocol members gathered."""
    if call.protocol in ("json", "rest-json"):
        return {lower_camel(k): v for k, v in call.params.items()} or None
    out: dict[str, Any] = {}
    for key, value in call.params.items():
        if key in ("Action", "Version"):
            continue
        parts = key.split(".")
        head = lower_camel(parts[0])
        if len(parts) == 1:
            out[head] = value
            continue
        out.setdefault(head, {})
        if isinstance(out[head], dict):
            out[head][".".join(parts[1:])] = value
    for key, value in list(out.items()):
        if isinstance(value, dict) and all(
            re.match(r"^(member\.)?\d+$", k) for k in value
        ):
            out[key] = [
                value[k] for k in sorted(value, key=lambda k: int(k.split(".")[-1]))
            ]
    return out or None
