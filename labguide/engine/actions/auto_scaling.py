"""Step 7: the Auto Scaling group of nginx instances across both subnets."""

from __future__ import annotations

import random
import time
from typing import Any

from botocore.exceptions import ClientError

from labguide.catalog.parameters import AutoScalingParams, NetworkParams
from labguide.engine.actions.launch_template import find_template
from labguide.engine.actions.load_balancing import find_target_group
from labguide.engine.actions.network import find_subnets, find_vpc
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource
from labguide.errors import LabguideError

STEP = "asg"
PROFILE_RETRIES = 8


def find_group(ctx: LabContext) -> dict[str, Any] | None:
    """The lab's Auto Scaling group, or None."""
    params = ctx.params(AutoScalingParams)
    groups = ctx.clients.autoscaling.describe_auto_scaling_groups(
        AutoScalingGroupNames=[params.name]
    )["AutoScalingGroups"]
    for group in groups:
        tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
        if ctx.owns(tags):
            return dict(group)
    return None


def live_instances(group: dict[str, Any]) -> list[dict[str, Any]]:
    """The group's instances that are not leaving it."""
    leaving = ("Terminating", "Terminated", "Detaching", "Detached")
    return [
        i
        for i in group.get("Instances", [])
        if not str(i["LifecycleState"]).startswith(leaving)
    ]


def find(ctx: LabContext) -> list[Resource]:
    """The group and its instances."""
    group = find_group(ctx)
    if group is None:
        return []
    found = [
        Resource(
            "auto-scaling-group",
            group["AutoScalingGroupName"],
            group["AutoScalingGroupName"],
        )
    ]
    for instance in live_instances(group):
        found.append(Resource("instance", instance["InstanceId"], billable=True))
    return found


def _is_profile_propagation(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return "instance profile" in message.lower() and "invalid" in message.lower()


def ensure(ctx: LabContext) -> Outcome:
    """Creates the group (or brings its settings back to the catalog's) and
    replaces instances launched from an outdated template version."""
    params = ctx.params(AutoScalingParams)
    network = ctx.params(NetworkParams)
    lab = ctx.catalog.lab
    if params.max_size > lab.max_group_size:
        raise LabguideError(
            f"The group's maximum size {params.max_size} is over the lab's guardrail "
            f"of {lab.max_group_size}.",
            "Lower max_size in the catalog.",
        )
    template = find_template(ctx)
    target_group = find_target_group(ctx)
    vpc = find_vpc(ctx)
    if template is None or target_group is None or vpc is None:
        raise LabguideError(
            "The launch template, the target group or the VPC does not exist yet.",
            "Run steps 1, 4 and 5 first (or `labguide run --all`).",
        )
    subnets = find_subnets(ctx, vpc["VpcId"])
    zone_ids = ",".join(
        subnets[s.name]["SubnetId"] for s in network.subnets if s.name in subnets
    )
    settings: dict[str, Any] = {
        "LaunchTemplate": {
            "LaunchTemplateId": template["LaunchTemplateId"],
            "Version": "$Default",
        },
        "MinSize": params.min_size,
        "MaxSize": params.max_size,
        "DesiredCapacity": params.desired_capacity,
        "VPCZoneIdentifier": zone_ids,
        "HealthCheckType": params.health_check_type,
        # The API's default grace period is 0: without it, ELB health checks
        # would replace instances while nginx is still installing.
        "HealthCheckGracePeriod": params.health_check_grace_period_seconds,
    }
    autoscaling = ctx.clients.autoscaling
    outcome = Outcome()

    group = find_group(ctx)
    if group is None:
        tags = [
            {
                "ResourceId": params.name,
                "ResourceType": "auto-scaling-group",
                "Key": tag["Key"],
                "Value": tag["Value"],
                "PropagateAtLaunch": True,
            }
            for tag in ctx.tags(STEP)
        ]
        _create_with_retry(
            ctx,
            AutoScalingGroupName=params.name,
            TargetGroupARNs=[target_group["TargetGroupArn"]],
            Tags=tags,
            **settings,
        )
        ctx.report(
            Event(
                STEP,
                "created",
                f"group {params.name}: {params.min_size}/{params.desired_capacity}/"
                f"{params.max_size}, {params.health_check_type} health checks",
                params.name,
            )
        )
        outcome.add(Resource("auto-scaling-group", params.name, params.name), True)
        return outcome

    outcome.add(Resource("auto-scaling-group", params.name, params.name))
    drift = _drift(group, settings)
    if drift:
        autoscaling.update_auto_scaling_group(
            AutoScalingGroupName=params.name, **settings
        )
        ctx.report(
            Event(
                STEP,
                "updated",
                "settings back to the lab's: " + ", ".join(drift),
                params.name,
            )
        )
    else:
        ctx.report(Event(STEP, "found", f"group {params.name}", params.name))
    if target_group["TargetGroupArn"] not in group.get("TargetGroupARNs", []):
        autoscaling.attach_load_balancer_target_groups(
            AutoScalingGroupName=params.name,
            TargetGroupARNs=[target_group["TargetGroupArn"]],
        )
        ctx.report(Event(STEP, "updated", "attached to the target group", params.name))
    _replace_outdated(ctx, group, template)
    return outcome


def _drift(group: dict[str, Any], settings: dict[str, Any]) -> list[str]:
    drift = [
        key
        for key in (
            "MinSize",
            "MaxSize",
            "DesiredCapacity",
            "HealthCheckType",
            "HealthCheckGracePeriod",
        )
        if group.get(key) != settings[key]
    ]
    if set(str(group.get("VPCZoneIdentifier", "")).split(",")) != set(
        settings["VPCZoneIdentifier"].split(",")
    ):
        drift.append("subnets")
    return drift


LAUNCH_VERSION_TAG = "aws:ec2launchtemplate:version"
"""EC2 tags every instance with the template version it was launched from;
the group's own view follows `$Default` and so cannot tell an old one."""


def launched_version(instance: dict[str, Any]) -> str | None:
    """The launch template version an EC2 instance was launched from."""
    for tag in instance.get("Tags", []):
        if tag["Key"] == LAUNCH_VERSION_TAG:
            return str(tag["Value"])
    return None


def described_instances(ctx: LabContext, group: dict[str, Any]) -> list[dict[str, Any]]:
    """The group's live instances as EC2 describes them."""
    ids = [i["InstanceId"] for i in live_instances(group)]
    if not ids:
        return []
    reservations = ctx.clients.ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def _replace_outdated(
    ctx: LabContext, group: dict[str, Any], template: dict[str, Any]
) -> None:
    """Replaces instances that repairs upstream cannot reach: ones launched
    from an older template version (they keep its user data), and ones left
    without a public IP by a subnet that maps one now (no Session Manager)."""
    default = str(template.get("DefaultVersionNumber", ""))
    public_subnets = {
        subnet["SubnetId"]
        for subnet in ctx.clients.ec2.describe_subnets(Filters=ctx.ownership_filters())[
            "Subnets"
        ]
        if subnet.get("MapPublicIpOnLaunch")
    }
    stale: dict[str, str] = {}
    for instance in described_instances(ctx, group):
        version = launched_version(instance)
        if version is not None and version != default:
            stale[instance["InstanceId"]] = (
                f"launched from template version {version}, not {default}"
            )
        elif (
            instance.get("SubnetId") in public_subnets
            and not instance.get("PublicIpAddress")
            and instance["State"]["Name"] in ("pending", "running")
        ):
            stale[instance["InstanceId"]] = (
                "no public IP, though its subnet maps one now"
            )
    autoscaling = ctx.clients.autoscaling
    for instance_id, reason in stale.items():
        autoscaling.terminate_instance_in_auto_scaling_group(
            InstanceId=instance_id, ShouldDecrementDesiredCapacity=False
        )
        ctx.report(
            Event(STEP, "updated", f"replacing an instance: {reason}", instance_id)
        )


def _create_with_retry(ctx: LabContext, **request: Any) -> None:
    """CreateAutoScalingGroup, retried while a fresh instance profile
    propagates (the SDK does not retry that error)."""
    delay = max(ctx.poll_seconds, 0.05)
    for attempt in range(PROFILE_RETRIES):
        try:
            ctx.clients.autoscaling.create_auto_scaling_group(**request)
            return
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "AlreadyExists":
                return
            if not _is_profile_propagation(error) or attempt == PROFILE_RETRIES - 1:
                raise
            ctx.report(
                Event(
                    STEP, "wait", "the instance profile is still propagating; retrying"
                )
            )
            ctx.check_cancelled()
            time.sleep(delay * (1.5**attempt) * (0.5 + random.random()))
