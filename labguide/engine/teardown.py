"""Teardown: find the lab's resources by tags and names (with or without a
state file), delete them in dependency order, and prove nothing billable is
left. Nothing without this participant's lab tags, or an exact lab name where
a resource cannot carry tags, is ever touched."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from labguide.aws.errors import endpoint_lacks_api, is_error
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import BackupParams, TeardownParams
from labguide.engine.actions import ACTIONS
from labguide.engine.checks.result import CheckResult, Words, failed, passed
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Resource

STEP = "cleanup"
RETRYABLE = (
    "DependencyViolation",
    "ResourceInUse",
    "ResourceInUseException",
    "InvalidParameterValue",
)
ATTEMPTS = 12

# Deletion order: what depends on a thing goes before it.
ORDER = (
    "auto-scaling-group",
    "alarm",
    "sns-topic",
    "listener",
    "load-balancer",
    "target-group",
    "instance",
    "launch-template",
    "recovery-point",
    "backup-plan",
    "backup-vault",
    "instance-profile",
    "iam-role",
    "log-group",
    "agent-log-group",
    "security-group",
    "route-table",
    "internet-gateway",
    "subnet",
    "vpc",
)
BILLABLE = ("instance", "load-balancer", "volume", "recovery-point", "alarm")


@dataclass
class TeardownResult:
    """What a teardown did."""

    deleted: list[Resource] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    left: list[Resource] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Whether nothing of the lab is left."""
        return not self.left and not self.errors


def inventory(ctx: LabContext) -> list[Resource]:
    """Every resource of this participant's lab that exists, in deletion order."""
    found: dict[tuple[str, str], Resource] = {}
    for step in ctx.catalog.steps:
        action = ACTIONS.get(step.action)
        if action is None:
            continue
        for resource in action.find(ctx):
            found.setdefault((resource.kind, resource.id), resource)
    for resource in _tagged_instances(ctx) + _recovery_points(ctx):
        found.setdefault((resource.kind, resource.id), resource)
    rank = {kind: index for index, kind in enumerate(ORDER)}
    return sorted(
        found.values(), key=lambda r: (rank.get(r.kind, len(ORDER)), r.name, r.id)
    )


def billable_left(ctx: LabContext) -> list[Resource]:
    """What of the lab still costs money: instances, the ALB, volumes,
    backups and the alarm."""
    left = [r for r in inventory(ctx) if r.kind in BILLABLE]
    volumes = ctx.clients.ec2.describe_volumes(Filters=ctx.ownership_filters())[
        "Volumes"
    ]
    left += [Resource("volume", v["VolumeId"], billable=True) for v in volumes]
    return left


def _tagged_instances(ctx: LabContext) -> list[Resource]:
    reservations = ctx.clients.ec2.describe_instances(
        Filters=[
            *ctx.ownership_filters(),
            {
                "Name": "instance-state-name",
                "Values": ["pending", "running", "stopping", "stopped"],
            },
        ]
    )["Reservations"]
    return [
        Resource("instance", i["InstanceId"], billable=True)
        for r in reservations
        for i in r["Instances"]
    ]


def _recovery_points(ctx: LabContext) -> list[Resource]:
    params = ctx.params(BackupParams)
    try:
        points = ctx.clients.backup.list_recovery_points_by_backup_vault(
            BackupVaultName=params.vault_name
        ).get("RecoveryPoints", [])
    except ClientError as error:
        if endpoint_lacks_api(error) or is_error(
            error, "ResourceNotFoundException", "AccessDeniedException"
        ):
            return []
        raise
    return [
        Resource(
            "recovery-point", p["RecoveryPointArn"], params.vault_name, billable=True
        )
        for p in points
        if p.get("Status") != "DELETING"
    ]


def tear_down(
    ctx: LabContext, resources: list[Resource] | None = None
) -> TeardownResult:
    """Deletes the lab's resources in dependency order.

    Args:
        ctx: the lab; progress goes to its reporter.
        resources: what to delete; the inventory when omitted.
    """
    keep_logs = parameters_of(
        ctx.catalog, TeardownParams, ctx.participant
    ).keep_log_groups
    plan = inventory(ctx) if resources is None else resources
    result = TeardownResult()
    for resource in plan:
        ctx.check_cancelled()
        if resource.kind in ("log-group", "agent-log-group") and keep_logs:
            continue
        delete = DELETERS.get(resource.kind)
        if delete is None:
            continue
        try:
            _retrying(ctx, functools.partial(delete, ctx, resource), resource)
        except ClientError as error:
            message = f"{resource.kind} {resource.name or resource.id}: {error}"
            result.errors.append(message)
            ctx.report(Event(STEP, "failed", message, resource.id))
            continue
        result.deleted.append(resource)
        ctx.report(
            Event(
                STEP, "deleted", f"{resource.kind} {resource.name}".strip(), resource.id
            )
        )
    result.left = [
        r
        for r in inventory(ctx)
        if not (r.kind in ("log-group", "agent-log-group") and keep_logs)
    ]
    return result


def nothing_left(ctx: LabContext) -> CheckResult:
    """The `nothing-left` check: no billable resource of the lab remains."""
    check = "nothing-left"
    left = billable_left(ctx)
    if left:
        return failed(
            check,
            Words(
                f"{len(left)} billable resource(s) left",
                f"課金されるリソースが {len(left)} 個残っている",
            ),
            "billable-left",
            tip="teardown-dependency",
            evidence=[
                f"{r.kind} {r.name or ''} {r.id}".replace("  ", " ") for r in left
            ],
        )
    return passed(
        check,
        Words("nothing billable is left", "課金されるリソースは残っていない"),
        ["no instance, ALB, volume, backup or alarm of the lab"],
    )


def _retrying(ctx: LabContext, call: Callable[[], None], resource: Resource) -> None:
    """Retries a deletion on DependencyViolation and ResourceInUse: ENIs and
    instances take a while to go, and the SDK does not retry these."""
    delay = max(ctx.poll_seconds, 0.05)
    for attempt in range(ATTEMPTS):
        try:
            call()
            return
        except ClientError as error:
            if not is_error(error, *RETRYABLE) or attempt == ATTEMPTS - 1:
                raise
            ctx.report(
                Event(
                    STEP, "wait", f"{resource.kind} still in use; retrying", resource.id
                )
            )
            ctx.check_cancelled()
            time.sleep(min(delay * (1.5**attempt), 30.0))


def _ignore_missing(call: Callable[[], Any], *codes: str) -> None:
    try:
        call()
    except ClientError as error:
        if not is_error(error, *codes):
            raise


def _delete_group(ctx: LabContext, resource: Resource) -> None:
    autoscaling = ctx.clients.autoscaling
    _ignore_missing(
        lambda: autoscaling.delete_auto_scaling_group(
            AutoScalingGroupName=resource.id, ForceDelete=True
        ),
        "ValidationError",
    )

    def gone() -> bool:
        groups = autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[resource.id]
        )
        return not groups["AutoScalingGroups"]

    ctx.wait_until(gone, "the Auto Scaling group to be deleted", STEP)


def _delete_load_balancer(ctx: LabContext, resource: Resource) -> None:
    elbv2 = ctx.clients.elbv2
    _ignore_missing(
        lambda: elbv2.delete_load_balancer(LoadBalancerArn=resource.id),
        "LoadBalancerNotFound",
    )

    def gone() -> bool:
        try:
            elbv2.describe_load_balancers(LoadBalancerArns=[resource.id])
        except ClientError as error:
            return is_error(error, "LoadBalancerNotFound")
        return False

    ctx.wait_until(gone, "the load balancer to be deleted", STEP)


def _terminate(ctx: LabContext, resource: Resource) -> None:
    ec2 = ctx.clients.ec2
    _ignore_missing(
        lambda: ec2.terminate_instances(InstanceIds=[resource.id]),
        "InvalidInstanceID.NotFound",
    )

    def terminated() -> bool:
        reservations = ec2.describe_instances(InstanceIds=[resource.id])["Reservations"]
        return all(
            i["State"]["Name"] == "terminated"
            for r in reservations
            for i in r["Instances"]
        )

    ctx.wait_until(terminated, "the instance to terminate", STEP)


def _delete_plan(ctx: LabContext, resource: Resource) -> None:
    backup = ctx.clients.backup
    try:
        selections = backup.list_backup_selections(BackupPlanId=resource.id).get(
            "BackupSelectionsList", []
        )
    except ClientError as error:
        if not endpoint_lacks_api(error):
            raise
        selections = []
    # A plan can be deleted only after its selections.
    for selection in selections:
        backup.delete_backup_selection(
            BackupPlanId=resource.id, SelectionId=selection["SelectionId"]
        )
    _ignore_missing(
        lambda: backup.delete_backup_plan(BackupPlanId=resource.id),
        "ResourceNotFoundException",
    )


def _delete_role(ctx: LabContext, resource: Resource) -> None:
    iam = ctx.clients.iam
    for policy in iam.list_attached_role_policies(RoleName=resource.id)[
        "AttachedPolicies"
    ]:
        iam.detach_role_policy(RoleName=resource.id, PolicyArn=policy["PolicyArn"])
    for profile in iam.list_instance_profiles_for_role(RoleName=resource.id)[
        "InstanceProfiles"
    ]:
        iam.remove_role_from_instance_profile(
            InstanceProfileName=profile["InstanceProfileName"], RoleName=resource.id
        )
    _ignore_missing(lambda: iam.delete_role(RoleName=resource.id), "NoSuchEntity")


def _delete_profile(ctx: LabContext, resource: Resource) -> None:
    iam = ctx.clients.iam
    try:
        profile = iam.get_instance_profile(InstanceProfileName=resource.id)[
            "InstanceProfile"
        ]
    except ClientError as error:
        if is_error(error, "NoSuchEntity"):
            return
        raise
    for role in profile.get("Roles", []):
        iam.remove_role_from_instance_profile(
            InstanceProfileName=resource.id, RoleName=role["RoleName"]
        )
    iam.delete_instance_profile(InstanceProfileName=resource.id)


def _delete_security_group(ctx: LabContext, resource: Resource) -> None:
    from labguide.engine.actions.security_groups import find_groups

    ec2 = ctx.clients.ec2
    # The instances' group admits the ALB's: rules that name this group go
    # first, from every lab group, so the groups can go in any order.
    for group in find_groups(ctx).values():
        referring = [
            e
            for e in group.get("IpPermissions", [])
            if any(p["GroupId"] == resource.id for p in e.get("UserIdGroupPairs", []))
        ]
        if referring:
            ec2.revoke_security_group_ingress(
                GroupId=group["GroupId"],
                IpPermissions=[_reference_rule(e, resource.id) for e in referring],
            )
    _ignore_missing(
        lambda: ec2.delete_security_group(GroupId=resource.id), "InvalidGroup.NotFound"
    )


def _reference_rule(entry: dict[str, Any], group_id: str) -> dict[str, Any]:
    # The pairs go back as described (some endpoints match on every field).
    rule: dict[str, Any] = {
        "IpProtocol": entry["IpProtocol"],
        "UserIdGroupPairs": [
            p for p in entry["UserIdGroupPairs"] if p["GroupId"] == group_id
        ],
    }
    if "FromPort" in entry:
        rule["FromPort"] = entry["FromPort"]
        rule["ToPort"] = entry["ToPort"]
    return rule


def _delete_route_table(ctx: LabContext, resource: Resource) -> None:
    ec2 = ctx.clients.ec2
    tables = ec2.describe_route_tables(RouteTableIds=[resource.id])["RouteTables"]
    for table in tables:
        for association in table.get("Associations", []):
            if not association.get("Main"):
                ec2.disassociate_route_table(
                    AssociationId=association["RouteTableAssociationId"]
                )
    ec2.delete_route_table(RouteTableId=resource.id)


def _delete_gateway(ctx: LabContext, resource: Resource) -> None:
    ec2 = ctx.clients.ec2
    gateways = ec2.describe_internet_gateways(InternetGatewayIds=[resource.id])[
        "InternetGateways"
    ]
    for gateway in gateways:
        for attachment in gateway.get("Attachments", []):
            ec2.detach_internet_gateway(
                InternetGatewayId=resource.id, VpcId=attachment["VpcId"]
            )
    ec2.delete_internet_gateway(InternetGatewayId=resource.id)


DELETERS: dict[str, Callable[[LabContext, Resource], None]] = {
    "auto-scaling-group": _delete_group,
    "alarm": lambda ctx, r: ctx.clients.cloudwatch.delete_alarms(AlarmNames=[r.name]),
    "sns-topic": lambda ctx, r: ctx.clients.sns.delete_topic(TopicArn=r.id),
    "listener": lambda ctx, r: _ignore_missing(
        lambda: ctx.clients.elbv2.delete_listener(ListenerArn=r.id), "ListenerNotFound"
    ),
    "load-balancer": _delete_load_balancer,
    "target-group": lambda ctx, r: ctx.clients.elbv2.delete_target_group(
        TargetGroupArn=r.id
    ),
    "instance": _terminate,
    "launch-template": lambda ctx, r: ctx.clients.ec2.delete_launch_template(
        LaunchTemplateId=r.id
    ),
    "recovery-point": lambda ctx, r: ctx.clients.backup.delete_recovery_point(
        BackupVaultName=r.name, RecoveryPointArn=r.id
    ),
    "backup-plan": _delete_plan,
    "backup-vault": lambda ctx, r: ctx.clients.backup.delete_backup_vault(
        BackupVaultName=r.id
    ),
    "instance-profile": _delete_profile,
    "iam-role": _delete_role,
    "log-group": lambda ctx, r: _ignore_missing(
        lambda: ctx.clients.logs.delete_log_group(logGroupName=r.id),
        "ResourceNotFoundException",
    ),
    "agent-log-group": lambda ctx, r: _ignore_missing(
        lambda: ctx.clients.logs.delete_log_group(logGroupName=r.id),
        "ResourceNotFoundException",
    ),
    "security-group": _delete_security_group,
    "route-table": _delete_route_table,
    "internet-gateway": _delete_gateway,
    "subnet": lambda ctx, r: ctx.clients.ec2.delete_subnet(SubnetId=r.id),
    "vpc": lambda ctx, r: ctx.clients.ec2.delete_vpc(VpcId=r.id),
}
"""How each kind of resource is deleted."""
