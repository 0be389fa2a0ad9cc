"""The API actions the sandbox answers itself, where moto lacks them or gets
them wrong for this lab.

Each handler takes the sandbox's world and a `Call` and returns an answer in
the call's protocol, or None to let moto answer. Names and shapes follow
botocore's models, so boto3 and the AWS CLI parse them as AWS's own:

- ssm: DescribeInstanceInformation, SendCommand, ListCommands,
  GetCommandInvocation, ListCommandInvocations, StartSession;
- logs: ListLogGroups (moto has only DescribeLogGroups);
- cloudtrail: LookupEvents;
- backup: backup selections, on-demand jobs and their recovery points
  (real EBS snapshots or AMIs in moto's EC2), and AWS's refusals to delete a
  plan with selections or a vault with recovery points;
- elbv2: DescribeTargetHealth from the world's health checks;
- autoscaling: DescribeTrafficSources;
- sns: Subscribe (an e-mail subscription answers `pending confirmation`),
  ConfirmSubscription, and list answers showing `PendingConfirmation`;
- ec2 RunInstances and autoscaling CreateAutoScalingGroup: AWS's "Invalid
  IAM Instance Profile" refusal while a fresh profile propagates (a fault).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from labguide.sandbox.clock import Clock
from labguide.sandbox.config import ACCOUNT_ID, Timing
from labguide.sandbox.faults import Faults
from labguide.sandbox.shell import run_script
from labguide.sandbox.trail import LookupError_, Trail
from labguide.sandbox.wire import (
    Call,
    Response,
    answer,
    error,
    query_list,
    query_structs,
)
from labguide.sandbox.world import World, backend, backends, iam

AGENT_VERSION = "3.3.1611.0"
OUTPUT_LIMIT = 24000
"""Run Command keeps at most this many characters of output in its answer."""


@dataclass
class Invocation:
    """One instance's run of a command."""

    instance_id: str
    status: str = "Pending"
    started: float | None = None
    ended: float | None = None
    stdout: str = ""
    stderr: str = ""
    code: int = -1


@dataclass
class Command:
    """A Run Command request."""

    command_id: str
    requested: float
    document: str
    commands: list[str]
    comment: str
    timeout: int
    targets: list[dict[str, Any]]
    instance_ids: list[str]
    invocations: dict[str, Invocation] = field(default_factory=dict)


@dataclass
class Selection:
    """A backup selection: which resources a plan backs up."""

    selection_id: str
    plan_id: str
    name: str
    role_arn: str
    body: dict[str, Any]
    created: float
    creator_request_id: str | None


@dataclass
class BackupJob:
    """An on-demand backup job and the recovery point it makes."""

    job_id: str
    region: str
    vault_name: str
    vault_arn: str
    resource_arn: str
    resource_type: str
    role_arn: str
    created: float
    recovery_point_arn: str | None
    size: int
    allowed: bool
    deleted: bool = False
    lifecycle: dict[str, Any] = field(default_factory=dict)

    def state(self, clock: Clock, now: float) -> str:
        """CREATED, RUNNING, then COMPLETED (or FAILED without permission)."""
        if not clock.passed(self.created, Timing.BACKUP_START, now):
            return "CREATED"
        if not clock.passed(self.created, Timing.BACKUP_COMPLETE, now):
            return "RUNNING"
        return "COMPLETED" if self.allowed else "FAILED"


@dataclass
class Ledger:
    """What the sandbox's own actions keep, beside the world."""

    commands: dict[str, Command] = field(default_factory=dict)
    selections: dict[str, Selection] = field(default_factory=dict)
    jobs: dict[str, BackupJob] = field(default_factory=dict)
    trail: Trail = field(default_factory=Trail)


Handler = Callable[["Context", Call], Response | None]


@dataclass
class Context:
    """What a handler works with."""

    world: World
    ledger: Ledger
    faults: Faults

    @property
    def clock(self) -> Clock:
        """The world's clock."""
        return self.world.clock


def _iso_ms(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _dt(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


# -- Systems Manager ----------------------------------------------------------


def instance_tags(instance: Any) -> dict[str, str]:
    """An EC2 instance's tags as a plain mapping."""
    if instance is None:
        return {}
    return {
        str(t.get("Key", t.get("key"))): str(t.get("Value", t.get("value")))
        for t in instance.get_tags()
    }


def _managed(context: Context) -> list[tuple[Any, str]]:
    """(guest, ping status) of every instance SSM knows."""
    now = context.clock.now()
    out = []
    for guest in context.world.guests.values():
        status = context.world.ping_status(guest, now)
        if status is not None:
            out.append((guest, status))
    return out


def describe_instance_information(context: Context, call: Call) -> Response:
    """Managed nodes: the instances whose SSM agent has registered."""
    params = call.params
    filters: dict[str, set[str]] = {}
    for item in params.get("InstanceInformationFilterList") or []:
        filters[item["key"]] = set(item.get("valueSet") or [])
    for item in params.get("Filters") or []:
        filters[item["Key"]] = set(item.get("Values") or [])
    limit = int(params.get("MaxResults") or 50)
    if not 5 <= limit <= 50:
        return error(
            call,
            "ValidationException",
            f"1 validation error detected: Value '{limit}' at 'maxResults' failed to "
            "satisfy constraint: Member must have value between 5 and 50",
        )
    rows = []
    for guest, status in _managed(context):
        instance = context.world.instance(guest.instance_id)
        tags = instance_tags(instance)
        if "InstanceIds" in filters and guest.instance_id not in filters["InstanceIds"]:
            continue
        if "PingStatus" in filters and status not in filters["PingStatus"]:
            continue
        if "PlatformTypes" in filters and "Linux" not in filters["PlatformTypes"]:
            continue
        if "ResourceType" in filters and "EC2Instance" not in filters["ResourceType"]:
            continue
        if any(
            key.startswith("tag:") and tags.get(key[4:]) not in values
            for key, values in filters.items()
        ):
            continue
        if "tag-key" in filters and not filters["tag-key"] & set(tags):
            continue
        rows.append(
            {
                "InstanceId": guest.instance_id,
                "PingStatus": status,
                "LastPingDateTime": guest.ssm_last_ping,
                "AgentVersion": AGENT_VERSION,
                "IsLatestVersion": False,
                "PlatformType": "Linux",
                "PlatformName": "Amazon Linux",
                "PlatformVersion": "2023",
                "ResourceType": "EC2Instance",
                "IPAddress": guest.private_ip,
                "ComputerName": guest.hostname,
                "SourceId": guest.instance_id,
                "SourceType": "AWS::EC2::Instance",
            }
        )
    start = int(params.get("NextToken") or 0)
    result: dict[str, Any] = {"InstanceInformationList": rows[start : start + limit]}
    if start + limit < len(rows):
        result["NextToken"] = str(start + limit)
    return answer(call, result)


def _resolve_targets(context: Context, call: Call) -> list[str] | Response:
    params = call.params
    registered = {guest.instance_id for guest, _ in _managed(context)}
    wanted = list(params.get("InstanceIds") or [])
    for target in params.get("Targets") or []:
        key, values = target.get("Key", ""), set(target.get("Values") or [])
        if key == "InstanceIds":
            wanted.extend(sorted(values))
            continue
        for instance_id in sorted(registered):
            instance = context.world.instance(instance_id)
            tags = (
                {t["Key"]: t["Value"] for t in instance.get_tags()} if instance else {}
            )
            if key.startswith("tag:") and tags.get(key[4:]) in values:
                wanted.append(instance_id)
            elif key == "tag-key" and values & set(tags):
                wanted.append(instance_id)
    if not wanted and not params.get("Targets"):
        return error(
            call, "ValidationException", "Either InstanceIds or Targets must be set."
        )
    unknown = [i for i in wanted if i not in registered]
    if unknown:
        listed = ", ".join(unknown)
        return error(
            call,
            "InvalidInstanceId",
            f"Instances [[{listed}]] not in a valid state for account {ACCOUNT_ID}",
        )
    return list(dict.fromkeys(wanted))


def send_command(context: Context, call: Call) -> Response:
    """Runs AWS-RunShellScript on the simulated instances."""
    params = call.params
    document = params.get("DocumentName", "")
    if document not in ("AWS-RunShellScript",):
        return error(
            call,
            "InvalidDocument",
            f"Document {document} does not exist in your account",
        )
    commands = (params.get("Parameters") or {}).get("commands") or []
    if not commands:
        return error(
            call,
            "InvalidParameters",
            "document AWS-RunShellScript does not support parameters.",
        )
    instance_ids = _resolve_targets(context, call)
    if not isinstance(instance_ids, list):
        return instance_ids
    now = context.clock.now()
    command = Command(
        command_id=str(uuid.uuid4()),
        requested=now,
        document=document,
        commands=list(commands),
        comment=params.get("Comment", ""),
        timeout=int(params.get("TimeoutSeconds") or 3600),
        targets=list(params.get("Targets") or []),
        instance_ids=instance_ids,
        invocations={i: Invocation(i) for i in instance_ids},
    )
    context.ledger.commands[command.command_id] = command
    return answer(call, {"Command": _command_shape(context, command)})


def advance_commands(context: Context) -> None:
    """Moves invocations on: picked up, run against the instance, finished."""
    now = context.clock.now()
    for command in context.ledger.commands.values():
        for invocation in command.invocations.values():
            if invocation.status not in ("Pending", "InProgress"):
                continue
            guest = context.world.guests.get(invocation.instance_id)
            if not context.clock.passed(command.requested, Timing.COMMAND_START, now):
                continue
            status = context.world.ping_status(guest, now) if guest else None
            if invocation.status == "Pending":
                if status != "Online" or guest is None:
                    if context.clock.passed(
                        command.requested, Timing.SSM_PING_LOST, now
                    ):
                        invocation.status = "Undeliverable"
                        invocation.ended = now
                    continue
                invocation.status = "InProgress"
                invocation.started = now
                result = run_script(
                    context.world, guest, command.commands, command.command_id, now
                )
                invocation.stdout, invocation.stderr = result.stdout, result.stderr
                invocation.code = result.code
            if invocation.status == "InProgress" and context.clock.passed(
                command.requested, Timing.COMMAND_START + Timing.COMMAND_RUN, now
            ):
                invocation.status = "Success" if invocation.code == 0 else "Failed"
                invocation.ended = now


def _command_status(command: Command) -> str:
    states = {i.status for i in command.invocations.values()}
    for state in ("InProgress", "Pending"):
        if state in states:
            return state
    if states - {"Success"}:
        return "Failed" if "Failed" in states else next(iter(states - {"Success"}))
    return "Success"


def _command_shape(context: Context, command: Command) -> dict[str, Any]:
    invocations = command.invocations.values()
    return {
        "CommandId": command.command_id,
        "DocumentName": command.document,
        "DocumentVersion": "$DEFAULT",
        "Comment": command.comment,
        "ExpiresAfter": command.requested + command.timeout + 3600,
        "Parameters": {"commands": command.commands},
        "InstanceIds": command.instance_ids if not command.targets else [],
        "Targets": command.targets,
        "RequestedDateTime": command.requested,
        "Status": _command_status(command),
        "StatusDetails": _command_status(command),
        "OutputS3Region": "",
        "OutputS3BucketName": "",
        "OutputS3KeyPrefix": "",
        "MaxConcurrency": "50",
        "MaxErrors": "0",
        "TargetCount": len(command.invocations),
        "CompletedCount": sum(
            i.status not in ("Pending", "InProgress") for i in invocations
        ),
        "ErrorCount": sum(i.status == "Failed" for i in invocations),
        "DeliveryTimedOutCount": sum(i.status == "Undeliverable" for i in invocations),
        "ServiceRole": "",
        "NotificationConfig": {
            "NotificationArn": "",
            "NotificationEvents": [],
            "NotificationType": "",
        },
        "CloudWatchOutputConfig": {
            "CloudWatchLogGroupName": "",
            "CloudWatchOutputEnabled": False,
        },
        "TimeoutSeconds": command.timeout,
    }


def list_commands(context: Context, call: Call) -> Response:
    """The Run Command history, newest first."""
    wanted = call.params.get("CommandId")
    instance = call.params.get("InstanceId")
    commands = [
        c
        for c in reversed(list(context.ledger.commands.values()))
        if (not wanted or c.command_id == wanted)
        and (not instance or instance in c.invocations)
    ]
    if wanted and not commands:
        return error(call, "InvalidCommandId", "")
    return answer(call, {"Commands": [_command_shape(context, c) for c in commands]})


def get_command_invocation(context: Context, call: Call) -> Response:
    """One instance's result of a command."""
    command = context.ledger.commands.get(call.params.get("CommandId", ""))
    if command is None:
        return error(call, "InvalidCommandId", "")
    invocation = command.invocations.get(call.params.get("InstanceId", ""))
    if invocation is None:
        return error(call, "InvocationDoesNotExist", "")
    result = {
        "CommandId": command.command_id,
        "InstanceId": invocation.instance_id,
        "Comment": command.comment,
        "DocumentName": command.document,
        "DocumentVersion": "$DEFAULT",
        "PluginName": "aws:runShellScript",
        "ResponseCode": invocation.code,
        "ExecutionStartDateTime": _iso_ms(invocation.started)
        if invocation.started
        else "",
        "ExecutionElapsedTime": "PT0.031S" if invocation.ended else "",
        "ExecutionEndDateTime": _iso_ms(invocation.ended) if invocation.ended else "",
        "Status": invocation.status,
        "StatusDetails": invocation.status,
        "StandardOutputContent": invocation.stdout[:OUTPUT_LIMIT]
        if invocation.ended
        else "",
        "StandardOutputUrl": "",
        "StandardErrorContent": invocation.stderr[:OUTPUT_LIMIT]
        if invocation.ended
        else "",
        "StandardErrorUrl": "",
        "CloudWatchOutputConfig": {
            "CloudWatchLogGroupName": "",
            "CloudWatchOutputEnabled": False,
        },
    }
    return answer(call, result)


def list_command_invocations(context: Context, call: Call) -> Response:
    """Invocations of a command (or of all), with their output when asked."""
    wanted = call.params.get("CommandId")
    instance = call.params.get("InstanceId")
    details = bool(call.params.get("Details"))
    rows = []
    for command in reversed(list(context.ledger.commands.values())):
        if wanted and command.command_id != wanted:
            continue
        for invocation in command.invocations.values():
            if instance and invocation.instance_id != instance:
                continue
            guest = context.world.guests.get(invocation.instance_id)
            row: dict[str, Any] = {
                "CommandId": command.command_id,
                "InstanceId": invocation.instance_id,
                "InstanceName": guest.hostname if guest else "",
                "Comment": command.comment,
                "DocumentName": command.document,
                "DocumentVersion": "$DEFAULT",
                "RequestedDateTime": command.requested,
                "Status": invocation.status,
                "StatusDetails": invocation.status,
                "StandardOutputUrl": "",
                "StandardErrorUrl": "",
                "CommandPlugins": [],
                "ServiceRole": "",
                "CloudWatchOutputConfig": {
                    "CloudWatchLogGroupName": "",
                    "CloudWatchOutputEnabled": False,
                },
            }
            if details:
                row["CommandPlugins"] = [
                    {
                        "Name": "aws:runShellScript",
                        "Status": invocation.status,
                        "StatusDetails": invocation.status,
                        "ResponseCode": invocation.code,
                        "ResponseStartDateTime": invocation.started
                        or command.requested,
                        "ResponseFinishDateTime": invocation.ended or command.requested,
                        "Output": (invocation.stdout + invocation.stderr)[:2500]
                        if invocation.ended
                        else "",
                        "StandardOutputUrl": "",
                        "StandardErrorUrl": "",
                        "OutputS3Region": "",
                        "OutputS3BucketName": "",
                        "OutputS3KeyPrefix": "",
                    }
                ]
            rows.append(row)
    limit = int(call.params.get("MaxResults") or 50)
    start = int(call.params.get("NextToken") or 0)
    result: dict[str, Any] = {"CommandInvocations": rows[start : start + limit]}
    if start + limit < len(rows):
        result["NextToken"] = str(start + limit)
    return answer(call, result)


def start_session(context: Context, call: Call) -> Response:
    """Session Manager: connects only to an online managed node."""
    target = call.params.get("Target", "")
    online = {g.instance_id for g, status in _managed(context) if status == "Online"}
    if target not in online:
        return error(call, "TargetNotConnected", f"{target} is not connected.")
    session = f"{call.access_key.lower()}-{uuid.uuid4().hex[:17]}"
    return answer(
        call,
        {
            "SessionId": session,
            "TokenValue": uuid.uuid4().hex,
            "StreamUrl": f"wss://ssmmessages.{call.region}.amazonaws.com/v1/data-channel/"
            f"{session}?role=publish_subscribe",
        },
    )


# -- CloudWatch Logs ---------------------------------------------------------


def list_log_groups(context: Context, call: Call) -> Response:
    """ListLogGroups: the region's log groups, up to 1000 a page (moto has
    only DescribeLogGroups, 50 a page)."""
    params = call.params
    limit = int(params.get("limit") or 50)
    if not 1 <= limit <= 1000:
        return error(
            call,
            "InvalidParameterException",
            "1 validation error detected: Value at 'limit' failed to satisfy "
            "constraint: Member must have value between 1 and 1000",
        )
    pattern = str(params.get("logGroupNamePattern") or "")
    try:
        wanted = re.compile(pattern) if pattern else None
    except re.error:
        return error(call, "InvalidParameterException", "Invalid pattern")
    rows = [
        {
            "logGroupName": name,
            "logGroupArn": str(group.arn).removesuffix(":*"),
            "logGroupClass": "STANDARD",
        }
        for name, group in sorted(backend("logs", call.region).groups.items())
        if wanted is None or wanted.search(name)
    ]
    start = int(params.get("nextToken") or 0)
    result: dict[str, Any] = {"logGroups": rows[start : start + limit]}
    if start + limit < len(rows):
        result["nextToken"] = str(start + limit)
    return answer(call, result)


# -- CloudTrail ----------------------------------------------------------------


def lookup_events(context: Context, call: Call) -> Response:
    """CloudTrail event history."""
    try:
        result = context.ledger.trail.lookup(call.region, call.params, context.clock)
    except LookupError_ as problem:
        return error(call, problem.code, problem.message)
    return answer(call, result)


# -- AWS Backup ------------------------------------------------------------------


def _plan(call: Call, plan_id: str) -> Any | None:
    return backend("backup", call.region).plans.get(plan_id)


def create_backup_selection(context: Context, call: Call) -> Response:
    """Assigns resources to a backup plan."""
    plan_id = call.params.get("BackupPlanId", "")
    plan = _plan(call, plan_id)
    if plan is None or getattr(plan, "deletion_date", None):
        return error(
            call,
            "ResourceNotFoundException",
            "Failed reading Backup plan with provided version",
            404,
        )
    body = call.params.get("BackupSelection") or {}
    if not body.get("SelectionName") or not body.get("IamRoleArn"):
        return error(
            call,
            "InvalidParameterValueException",
            "SelectionName and IamRoleArn are required",
        )
    request_id = call.params.get("CreatorRequestId")
    for selection in context.ledger.selections.values():
        if request_id and selection.creator_request_id == request_id:
            return answer(
                call,
                {
                    "SelectionId": selection.selection_id,
                    "BackupPlanId": plan_id,
                    "CreationDate": selection.created,
                },
            )
    now = context.clock.now()
    selection = Selection(
        selection_id=str(uuid.uuid4()),
        plan_id=plan_id,
        name=body["SelectionName"],
        role_arn=body["IamRoleArn"],
        body=body,
        created=now,
        creator_request_id=request_id,
    )
    context.ledger.selections[selection.selection_id] = selection
    return answer(
        call,
        {
            "SelectionId": selection.selection_id,
            "BackupPlanId": plan_id,
            "CreationDate": now,
        },
    )


def get_backup_selection(context: Context, call: Call) -> Response:
    """One backup selection."""
    selection = context.ledger.selections.get(call.params.get("SelectionId", ""))
    if selection is None or selection.plan_id != call.params.get("BackupPlanId"):
        return error(
            call, "ResourceNotFoundException", "Failed reading Backup selection", 404
        )
    body = {
        "SelectionName": selection.name,
        "IamRoleArn": selection.role_arn,
        "Resources": selection.body.get("Resources", []),
        "ListOfTags": selection.body.get("ListOfTags", []),
        "NotResources": selection.body.get("NotResources", []),
        "Conditions": selection.body.get(
            "Conditions",
            {
                "StringEquals": [],
                "StringNotEquals": [],
                "StringLike": [],
                "StringNotLike": [],
            },
        ),
    }
    result = {
        "BackupSelection": body,
        "SelectionId": selection.selection_id,
        "BackupPlanId": selection.plan_id,
        "CreationDate": selection.created,
    }
    if selection.creator_request_id:
        result["CreatorRequestId"] = selection.creator_request_id
    return answer(call, result)


def list_backup_selections(context: Context, call: Call) -> Response:
    """The selections of a plan."""
    plan_id = call.params.get("BackupPlanId", "")
    if _plan(call, plan_id) is None:
        return error(
            call, "ResourceNotFoundException", "Failed reading Backup plan", 404
        )
    rows = [
        {
            "SelectionId": s.selection_id,
            "SelectionName": s.name,
            "BackupPlanId": s.plan_id,
            "CreationDate": s.created,
            "IamRoleArn": s.role_arn,
            **(
                {"CreatorRequestId": s.creator_request_id}
                if s.creator_request_id
                else {}
            ),
        }
        for s in context.ledger.selections.values()
        if s.plan_id == plan_id
    ]
    return answer(call, {"BackupSelectionsList": rows})


def delete_backup_selection(context: Context, call: Call) -> Response:
    """Removes a selection from a plan."""
    selection = context.ledger.selections.get(call.params.get("SelectionId", ""))
    if selection is None or selection.plan_id != call.params.get("BackupPlanId"):
        return error(
            call, "ResourceNotFoundException", "Failed reading Backup selection", 404
        )
    del context.ledger.selections[selection.selection_id]
    return answer(call, {})


def delete_backup_plan(context: Context, call: Call) -> Response | None:
    """AWS refuses to delete a plan that still has selections."""
    plan_id = call.params.get("BackupPlanId", "")
    if any(s.plan_id == plan_id for s in context.ledger.selections.values()):
        return error(
            call,
            "InvalidRequestException",
            "Related backup plan selections must be deleted prior to backup plan "
            "deletion",
        )
    return None


def delete_backup_vault(context: Context, call: Call) -> Response | None:
    """AWS refuses to delete a vault that holds recovery points."""
    name = call.params.get("BackupVaultName", "")
    if any(
        j.vault_name == name
        and j.region == call.region
        and not j.deleted
        and j.recovery_point_arn
        for j in context.ledger.jobs.values()
    ):
        return error(
            call,
            "InvalidRequestException",
            "Backup vault cannot be deleted because it contains recovery points.",
        )
    return None


def _role_can_back_up(role_arn: str) -> bool:
    name = role_arn.rsplit("/", 1)[-1]
    role = iam().roles_by_name().get(name) if hasattr(iam(), "roles_by_name") else None
    if role is None:
        role = next((r for r in iam().roles.values() if r.name == name), None)
    if role is None:
        return False
    names = {p.name for p in role.managed_policies.values()}
    return bool(names & {"AWSBackupServiceRolePolicyForBackup", "AdministratorAccess"})


def start_backup_job(context: Context, call: Call) -> Response:
    """Starts an on-demand backup of a volume or an instance."""
    params = call.params
    vault_name = params.get("BackupVaultName", "")
    vault = backend("backup", call.region).vaults.get(vault_name)
    if vault is None:
        return error(
            call,
            "ResourceNotFoundException",
            f"Backup vault {vault_name} does not exist.",
            404,
        )
    resource_arn = params.get("ResourceArn", "")
    role_arn = params.get("IamRoleArn", "")
    found = re.match(
        r"^arn:aws:ec2:([^:]+):(\d*):(volume|instance)/(.+)$", resource_arn
    )
    if found is None:
        return error(
            call,
            "InvalidParameterValueException",
            f"Invalid ARN: {resource_arn}. Specified resource is not supported",
        )
    region, _, kind, resource_id = found.groups()
    ec2 = backend("ec2", region)
    allowed = _role_can_back_up(role_arn)
    now = context.clock.now()
    recovery_point = None
    size = 0
    try:
        if kind == "volume":
            volume = ec2.get_volume(resource_id)
            size = int(volume.size) * 1024**3
            if allowed:
                snapshot = ec2.create_snapshot(
                    resource_id, "This snapshot is created by the AWS Backup service."
                )
                snapshot.add_tag("aws:backup:source-resource", resource_id)
                recovery_point = f"arn:aws:ec2:{region}::snapshot/{snapshot.id}"
        else:
            instance = ec2.get_instance(resource_id)
            size = 8 * 1024**3
            if allowed:
                image = ec2.create_image(
                    instance.id,
                    f"AwsBackup_{instance.id}_{uuid.uuid4().hex[:8]}",
                    "This image is created by the AWS Backup service.",
                    [],
                )
                recovery_point = f"arn:aws:ec2:{region}::image/{image.id}"
    except Exception:  # noqa: BLE001 - moto's not-found errors differ by type
        return error(
            call,
            "ResourceNotFoundException",
            f"Resource {resource_arn} does not exist.",
            404,
        )
    job = BackupJob(
        job_id=str(uuid.uuid4()).upper(),
        region=call.region,
        vault_name=vault_name,
        vault_arn=vault.backup_vault_arn,
        resource_arn=resource_arn,
        resource_type="EBS" if kind == "volume" else "EC2",
        role_arn=role_arn,
        created=now,
        recovery_point_arn=recovery_point,
        size=size,
        allowed=allowed,
        lifecycle=params.get("Lifecycle") or {},
    )
    context.ledger.jobs[job.job_id] = job
    return answer(
        call,
        {
            "BackupJobId": job.job_id,
            "RecoveryPointArn": recovery_point or "",
            "CreationDate": now,
            "IsParent": False,
        },
    )


def _job_shape(context: Context, job: BackupJob) -> dict[str, Any]:
    now = context.clock.now()
    state = job.state(context.clock, now)
    shape: dict[str, Any] = {
        "AccountId": ACCOUNT_ID,
        "BackupJobId": job.job_id,
        "BackupVaultName": job.vault_name,
        "BackupVaultArn": job.vault_arn,
        "ResourceArn": job.resource_arn,
        "CreationDate": job.created,
        "State": state,
        "PercentDone": {"CREATED": "0.0", "RUNNING": "42.0"}.get(state, "100.0"),
        "BackupSizeInBytes": job.size if state == "COMPLETED" else 0,
        "IamRoleArn": job.role_arn,
        "CreatedBy": {},
        "ResourceType": job.resource_type,
        "BytesTransferred": 0,
        "StartBy": job.created + 8 * 3600,
        "IsParent": False,
        "BackupType": "",
    }
    if job.recovery_point_arn:
        shape["RecoveryPointArn"] = job.recovery_point_arn
    if state in ("COMPLETED", "FAILED"):
        shape["CompletionDate"] = job.created + context.clock.real(
            Timing.BACKUP_COMPLETE
        )
    if state == "FAILED":
        shape["StatusMessage"] = "Insufficient privileges to perform this action."
    return shape


def describe_backup_job(context: Context, call: Call) -> Response:
    """One backup job."""
    job = context.ledger.jobs.get(call.params.get("BackupJobId", ""))
    if job is None:
        return error(
            call, "ResourceNotFoundException", "Failed reading backup job", 404
        )
    return answer(call, _job_shape(context, job))


def list_backup_jobs(context: Context, call: Call) -> Response:
    """Backup jobs, newest first, filtered as the console's history is."""
    params = call.params
    now = context.clock.now()
    rows = []
    for job in reversed(list(context.ledger.jobs.values())):
        if job.region != call.region:
            continue
        if params.get("ByResourceArn") and job.resource_arn != params["ByResourceArn"]:
            continue
        if params.get("ByState") and job.state(context.clock, now) != params["ByState"]:
            continue
        if (
            params.get("ByBackupVaultName")
            and job.vault_name != params["ByBackupVaultName"]
        ):
            continue
        if (
            params.get("ByResourceType")
            and job.resource_type != params["ByResourceType"]
        ):
            continue
        rows.append(_job_shape(context, job))
    limit = int(params.get("MaxResults") or 1000)
    start = int(params.get("NextToken") or 0)
    result: dict[str, Any] = {"BackupJobs": rows[start : start + limit]}
    if start + limit < len(rows):
        result["NextToken"] = str(start + limit)
    return answer(call, result)


def _point_shape(context: Context, job: BackupJob) -> dict[str, Any]:
    now = context.clock.now()
    state = job.state(context.clock, now)
    return {
        "RecoveryPointArn": job.recovery_point_arn,
        "BackupVaultName": job.vault_name,
        "BackupVaultArn": job.vault_arn,
        "ResourceArn": job.resource_arn,
        "ResourceType": job.resource_type,
        "CreatedBy": {},
        "IamRoleArn": job.role_arn,
        "Status": "COMPLETED" if state == "COMPLETED" else "PARTIAL",
        "CreationDate": job.created,
        "BackupSizeInBytes": job.size,
        "Lifecycle": job.lifecycle,
        "IsEncrypted": False,
        "IsParent": False,
    }


def _points(context: Context, call: Call) -> list[BackupJob]:
    return [
        j
        for j in context.ledger.jobs.values()
        if j.region == call.region and j.recovery_point_arn and not j.deleted
    ]


def list_recovery_points_by_backup_vault(context: Context, call: Call) -> Response:
    """The recovery points a vault holds."""
    name = call.params.get("BackupVaultName", "")
    if backend("backup", call.region).vaults.get(name) is None:
        return error(
            call,
            "ResourceNotFoundException",
            f"Backup vault {name} does not exist.",
            404,
        )
    by_resource = call.params.get("ByResourceArn")
    rows = [
        _point_shape(context, j)
        for j in _points(context, call)
        if j.vault_name == name and (not by_resource or j.resource_arn == by_resource)
    ]
    return answer(call, {"RecoveryPoints": rows})


def list_recovery_points_by_resource(context: Context, call: Call) -> Response:
    """The recovery points of one resource."""
    arn = call.params.get("ResourceArn", "")
    rows = [
        {
            "RecoveryPointArn": j.recovery_point_arn,
            "CreationDate": j.created,
            "Status": _point_shape(context, j)["Status"],
            "BackupSizeBytes": j.size,
            "BackupVaultName": j.vault_name,
            "IsParent": False,
            "ResourceName": "",
        }
        for j in _points(context, call)
        if j.resource_arn == arn
    ]
    return answer(call, {"RecoveryPoints": rows})


def describe_recovery_point(context: Context, call: Call) -> Response:
    """One recovery point."""
    arn = call.params.get("RecoveryPointArn", "")
    for job in _points(context, call):
        if job.recovery_point_arn == arn and job.vault_name == call.params.get(
            "BackupVaultName"
        ):
            return answer(call, _point_shape(context, job))
    return error(
        call, "ResourceNotFoundException", f"Recovery point {arn} not found", 404
    )


def delete_recovery_point(context: Context, call: Call) -> Response:
    """Deletes a recovery point and the snapshot or image behind it."""
    arn = call.params.get("RecoveryPointArn", "")
    for job in _points(context, call):
        if job.recovery_point_arn != arn or job.vault_name != call.params.get(
            "BackupVaultName"
        ):
            continue
        resource = arn.rsplit("/", 1)[-1]
        ec2 = backend("ec2", arn.split(":")[3])
        try:
            if resource.startswith("snap-"):
                ec2.delete_snapshot(resource)
            else:
                ec2.deregister_image(resource)
        except Exception:  # noqa: BLE001 - already gone is as good as deleted
            pass
        job.deleted = True
        return answer(call, {})
    return error(
        call, "ResourceNotFoundException", f"Recovery point {arn} not found", 404
    )


# -- ELB, Auto Scaling, SNS -------------------------------------------------------


def describe_target_health(context: Context, call: Call) -> Response:
    """Target health from the world's health checks."""
    elbv2 = backend("elbv2", call.region)
    arn = call.params.get("TargetGroupArn", "")
    group = elbv2.target_groups.get(arn)
    if group is None:
        return error(
            call, "TargetGroupNotFound", f"Target groups '{arn}' not found", 400
        )
    wanted = query_structs(call.params, "Targets")
    ids = [t["Id"] for t in wanted] if wanted else list(group.targets)
    rows = []
    for target_id in ids:
        registered = group.targets.get(target_id)
        port = (registered or {}).get("port") or group.port
        if registered is None:
            health = {
                "State": "unavailable",
                "Reason": "Target.NotRegistered",
                "Description": "Target is not registered to the target group",
            }
        else:
            health = context.world.target_health(elbv2, group, target_id)
        check_port = str(group.health_check_port or "traffic-port")
        rows.append(
            {
                "Target": {"Id": target_id, "Port": port},
                "HealthCheckPort": str(port)
                if check_port == "traffic-port"
                else check_port,
                "TargetHealth": health,
            }
        )
    return answer(call, {"TargetHealthDescriptions": rows})


def describe_traffic_sources(context: Context, call: Call) -> Response:
    """The load balancer target groups an Auto Scaling group feeds."""
    autoscaling = backend("autoscaling", call.region)
    name = call.params.get("AutoScalingGroupName", "")
    group = autoscaling.autoscaling_groups.get(name)
    if group is None:
        return error(
            call, "ValidationError", f"AutoScalingGroup name not found - {name}"
        )
    rows = [
        {"TrafficSource": arn, "State": "InService", "Identifier": arn, "Type": "elbv2"}
        for arn in group.target_group_arns
    ]
    return answer(call, {"TrafficSources": rows})


def confirm_subscription(context: Context, call: Call) -> Response:
    """ConfirmSubscription with the token the confirmation e-mail carried."""
    token = call.params.get("Token", "")
    topic = call.params.get("TopicArn", "")
    for arn, pending in list(context.world.pending_subscriptions.items()):
        if pending == token:
            context.world.confirm(topic_arn=topic or None)
            return answer(call, {"SubscriptionArn": arn})
    return error(call, "InvalidParameter", "Invalid token")


def unsubscribe(context: Context, call: Call) -> None:
    """Forgets an unsubscribed subscription (moto then deletes it)."""
    context.world.forget_subscription(call.params.get("SubscriptionArn", ""))


# -- instance profile propagation (a fault) -------------------------------------


def _fresh_profile(context: Context, reference: str) -> bool:
    delay = context.faults.profile_delay
    if not delay or not reference:
        return False
    name = reference.rsplit("/", 1)[-1]
    for profile in iam().instance_profiles.values():
        if profile.name == name or profile.arn == reference:
            created = profile.create_date
            age = datetime.now(UTC) - (
                created if created.tzinfo else created.replace(tzinfo=UTC)
            )
            return age.total_seconds() < delay
    return False


def _template_profile(
    call: Call, ident: str | None, name: str | None, version: str | None
) -> str:
    ec2 = backend("ec2", call.region)
    try:
        template = ec2._get_template_from_args(
            {"LaunchTemplateId": ident, "Version": version or "$Default"}
            if ident
            else {"LaunchTemplateName": name, "Version": version or "$Default"}
        )
    except Exception:  # noqa: BLE001 - moto answers the missing template itself
        return ""
    profile = template.data.get("IamInstanceProfile") or {}
    return str(profile.get("Arn") or profile.get("Name") or "")


def run_instances(context: Context, call: Call) -> Response | None:
    """RunInstances naming a profile that has not propagated yet fails."""
    params = call.params
    reference = params.get("IamInstanceProfile.Name") or params.get(
        "IamInstanceProfile.Arn"
    )
    if not reference and (
        params.get("LaunchTemplate.LaunchTemplateId")
        or params.get("LaunchTemplate.LaunchTemplateName")
    ):
        reference = _template_profile(
            call,
            params.get("LaunchTemplate.LaunchTemplateId"),
            params.get("LaunchTemplate.LaunchTemplateName"),
            params.get("LaunchTemplate.Version"),
        )
    if reference and _fresh_profile(context, reference):
        name = reference.rsplit("/", 1)[-1]
        return error(
            call,
            "InvalidParameterValue",
            f"Value ({name}) for parameter iamInstanceProfile.name is invalid. Invalid "
            "IAM Instance Profile name",
        )
    return None


def create_auto_scaling_group(context: Context, call: Call) -> Response | None:
    """A group whose template names a fresh profile cannot launch yet."""
    params = call.params
    ident = params.get("LaunchTemplate.LaunchTemplateId")
    name = params.get("LaunchTemplate.LaunchTemplateName")
    if not (ident or name):
        return None
    reference = _template_profile(
        call, ident, name, params.get("LaunchTemplate.Version")
    )
    if reference and _fresh_profile(context, reference):
        profile = reference.rsplit("/", 1)[-1]
        return error(
            call,
            "ValidationError",
            "You must use a valid fully-formed launch template. Value "
            f"({profile}) for parameter iamInstanceProfile.name is invalid. Invalid "
            "IAM Instance Profile name",
        )
    return None


def delete_vpc(context: Context, call: Call) -> Response | None:
    """AWS refuses to delete a VPC that still holds a security group of its
    own or an attached internet gateway; moto deletes it and orphans them."""
    vpc_id = str(call.params.get("VpcId", ""))
    ec2 = backend("ec2", call.region)
    groups = [
        group
        for group in ec2.describe_security_groups(filters={"vpc-id": [vpc_id]})
        if group.name != "default"
    ]
    gateways = ec2.describe_internet_gateways(filters={"attachment.vpc-id": [vpc_id]})
    if groups or gateways:
        return error(
            call,
            "DependencyViolation",
            f"The vpc '{vpc_id}' has dependencies and cannot be deleted.",
        )
    return None


def _named_balancer(context: Context, call: Call, body: bytes) -> bytes:
    """The world gives a new load balancer its DNS name (with AWS's number)
    when it first sees it; it sees it now, so that the answer carries the
    name that resolves, as AWS's does, not moto's first one."""
    found = re.search(rb"<LoadBalancerArn>([^<]+)</LoadBalancerArn>", body)
    if found is None:
        return body
    context.world.tick()
    balancer = backend("elbv2", call.region).load_balancers.get(found.group(1).decode())
    if balancer is None:
        return body
    name = f"<DNSName>{balancer.dns_name}</DNSName>".encode()
    return re.sub(rb"<DNSName>[^<]*</DNSName>", name, body, count=1)


HANDLERS: dict[tuple[str, str], Handler] = {
    ("ssm", "DescribeInstanceInformation"): describe_instance_information,
    ("ssm", "SendCommand"): send_command,
    ("ssm", "ListCommands"): list_commands,
    ("ssm", "GetCommandInvocation"): get_command_invocation,
    ("ssm", "ListCommandInvocations"): list_command_invocations,
    ("ssm", "StartSession"): start_session,
    ("logs", "ListLogGroups"): list_log_groups,
    ("cloudtrail", "LookupEvents"): lookup_events,
    ("backup", "CreateBackupSelection"): create_backup_selection,
    ("backup", "GetBackupSelection"): get_backup_selection,
    ("backup", "ListBackupSelections"): list_backup_selections,
    ("backup", "DeleteBackupSelection"): delete_backup_selection,
    ("backup", "DeleteBackupPlan"): delete_backup_plan,
    ("backup", "DeleteBackupVault"): delete_backup_vault,
    ("backup", "StartBackupJob"): start_backup_job,
    ("backup", "DescribeBackupJob"): describe_backup_job,
    ("backup", "ListBackupJobs"): list_backup_jobs,
    ("backup", "ListRecoveryPointsByBackupVault"): list_recovery_points_by_backup_vault,
    ("backup", "ListRecoveryPointsByResource"): list_recovery_points_by_resource,
    ("backup", "DescribeRecoveryPoint"): describe_recovery_point,
    ("backup", "DeleteRecoveryPoint"): delete_recovery_point,
    ("elbv2", "DescribeTargetHealth"): describe_target_health,
    ("autoscaling", "DescribeTrafficSources"): describe_traffic_sources,
    ("sns", "ConfirmSubscription"): confirm_subscription,
    ("ec2", "RunInstances"): run_instances,
    ("ec2", "DeleteVpc"): delete_vpc,
    ("autoscaling", "CreateAutoScalingGroup"): create_auto_scaling_group,
}
"""The actions the sandbox answers (or may refuse) before moto does."""


def after_moto(context: Context, call: Call, status: int, body: bytes) -> bytes:
    """Adjusts moto's answer where AWS's differs: e-mail subscriptions show
    as pending until the learner confirms them, and a new load balancer's
    DNS name is the one it keeps."""
    if (call.service, call.action, status) == ("elbv2", "CreateLoadBalancer", 200):
        return _named_balancer(context, call, body)
    if call.service != "sns" or status != 200:
        return body
    if call.action == "Unsubscribe":
        unsubscribe(context, call)
        return body
    if call.action == "Subscribe":
        protocol = call.params.get("Protocol", "")
        wants_arn = str(call.params.get("ReturnSubscriptionArn", "")).lower() == "true"
        found = re.search(rb"<SubscriptionArn>([^<]+)</SubscriptionArn>", body)
        if protocol in ("email", "email-json") and found:
            arn = found.group(1).decode()
            confirmed = arn in context.world.seen_subscriptions and (
                arn not in context.world.pending_subscriptions
            )
            if not confirmed and not wants_arn:
                return body.replace(
                    found.group(0),
                    b"<SubscriptionArn>pending confirmation</SubscriptionArn>",
                )
        return body
    if call.action in ("ListSubscriptions", "ListSubscriptionsByTopic"):
        # The world marks new e-mail subscriptions pending on its next tick;
        # run it now so a list right after Subscribe shows them pending.
        context.world._subscriptions()
        for arn in context.world.pending_subscriptions:
            body = body.replace(
                f"<SubscriptionArn>{arn}</SubscriptionArn>".encode(),
                b"<SubscriptionArn>PendingConfirmation</SubscriptionArn>",
            )
    if call.action == "GetSubscriptionAttributes":
        context.world._subscriptions()
    return body


def query_targets(call: Call) -> list[str]:
    """Instance ids named by a query call (for the world's bookkeeping)."""
    return query_list(call.params, "InstanceId")


__all__ = [
    "HANDLERS",
    "Context",
    "Ledger",
    "advance_commands",
    "after_moto",
    "backends",
]
