"""Drills: known faults put into the sandbox lab, for workshops and self-study.

Each drill is named after the troubleshooting tip in `steps.yaml` that
diagnoses it, and breaks the lab the way a learner would, through the AWS
API (a new launch template version and replaced instances, a subnet
attribute, a security group rule, the target group's health check, `systemctl
stop nginx` through Run Command, a new e-mail subscription), so that fixing
the cause, with labguide or by hand, turns the lab green again.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from labguide.aws.target import Target
from labguide.catalog.models import Catalog
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import (
    AlarmParams,
    AutoScalingParams,
    LaunchTemplateParams,
    NetworkParams,
    SecurityGroupsParams,
    TargetGroupParams,
)
from labguide.errors import LabguideError

BROKEN_HEALTH_CHECK_PATH = "/healthz"
"""A path the article's nginx does not serve (it answers 404)."""


@dataclass(frozen=True)
class Drill:
    """A fault a drill puts into the lab."""

    name: str
    """The drill's name: the id of the tip that diagnoses it."""
    goal: str
    """The goal it makes fail."""
    summary: str
    """What it breaks, in a sentence."""
    apply: Callable[[Callable[[str], Any], Catalog, str | None], str]
    """Breaks the lab; returns what it did."""


def _group(client: Callable[[str], Any], catalog: Catalog, who: str | None) -> Any:
    name = parameters_of(catalog, AutoScalingParams, who).name
    groups = client("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[name]
    )["AutoScalingGroups"]
    if not groups:
        raise LabguideError(
            f"The lab has no Auto Scaling group {name} yet.",
            "Run the lab first (`labguide run --all`).",
        )
    return groups[0]


def _replace(
    client: Callable[[str], Any], group: Any, subnet: str | None = None
) -> int:
    """Replaces the group's instances (those in `subnet` only, if given), as
    terminating them with the group keeping its size does."""
    replaced = 0
    for instance in group["Instances"]:
        if (
            subnet
            and instance.get("AvailabilityZone")
            and _subnet_of(client, instance["InstanceId"]) != subnet
        ):
            continue
        client("autoscaling").terminate_instance_in_auto_scaling_group(
            InstanceId=instance["InstanceId"], ShouldDecrementDesiredCapacity=False
        )
        replaced += 1
    return replaced


def _subnet_of(client: Callable[[str], Any], instance_id: str) -> str:
    found = client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    return str(found[0]["Instances"][0].get("SubnetId", ""))


def _new_user_data(
    client: Callable[[str], Any],
    catalog: Catalog,
    who: str | None,
    change: Callable[[str], str],
) -> str:
    name = parameters_of(catalog, LaunchTemplateParams, who).name
    ec2 = client("ec2")
    latest = ec2.describe_launch_template_versions(
        LaunchTemplateName=name, Versions=["$Latest"]
    )["LaunchTemplateVersions"][0]
    script = base64.b64decode(latest["LaunchTemplateData"].get("UserData", "")).decode()
    broken = change(script)
    # The whole data, not SourceVersion: moto does not merge a source version.
    data = dict(latest["LaunchTemplateData"])
    data["UserData"] = base64.b64encode(broken.encode()).decode()
    version = ec2.create_launch_template_version(
        LaunchTemplateName=name, VersionDescription="drill", LaunchTemplateData=data
    )["LaunchTemplateVersion"]["VersionNumber"]
    ec2.modify_launch_template(LaunchTemplateName=name, DefaultVersion=str(version))
    group = _group(client, catalog, who)
    template = group.get("LaunchTemplate") or {}
    if template.get("Version") not in ("$Latest", "$Default"):
        client("autoscaling").update_auto_scaling_group(
            AutoScalingGroupName=group["AutoScalingGroupName"],
            LaunchTemplate={"LaunchTemplateName": name, "Version": str(version)},
        )
    replaced = _replace(client, group)
    return f"launch template {name} version {version}; {replaced} instance(s) replaced"


def _merge_first_line(script: str) -> str:
    lines = script.split("\n")
    following = next((i for i in range(1, len(lines)) if lines[i].strip()), 1)
    # The article's pitfall: the line after `#!/bin/bash` glued onto it.
    merged = lines[0] + lines[following]
    return "\n".join([merged, *lines[following + 1 :]])


def userdata_shebang(
    client: Callable[[str], Any], catalog: Catalog, who: str | None
) -> str:
    """Merges the user data's first two lines (`#!/bin/bashset -euxo ...`)."""
    return _new_user_data(client, catalog, who, _merge_first_line)


def userdata_crlf(
    client: Callable[[str], Any], catalog: Catalog, who: str | None
) -> str:
    """Saves the user data with Windows line endings."""
    return _new_user_data(
        client, catalog, who, lambda s: s.replace("\r\n", "\n").replace("\n", "\r\n")
    )


def subnet_no_public_ip(
    client: Callable[[str], Any], catalog: Catalog, who: str | None
) -> str:
    """Turns off auto-assign public IPv4 in the second subnet, and replaces its
    instances."""
    network = parameters_of(catalog, NetworkParams, who)
    name = network.subnets[-1].name
    ec2 = client("ec2")
    subnets = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [name]}])[
        "Subnets"
    ]
    if not subnets:
        raise LabguideError(f"The lab has no subnet {name} yet.", "Run the lab first.")
    subnet = subnets[0]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": False})
    replaced = _replace(client, _group(client, catalog, who), subnet)
    return f"subnet {name} maps no public IPv4; {replaced} instance(s) replaced"


def sg_blocks_alb(
    client: Callable[[str], Any], catalog: Catalog, who: str | None
) -> str:
    """Removes the instances' inbound rule from the load balancer's group."""
    groups = parameters_of(catalog, SecurityGroupsParams, who)
    ec2 = client("ec2")
    found = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [groups.instance_group]}]
    )["SecurityGroups"]
    if not found:
        raise LabguideError(
            f"The lab has no security group {groups.instance_group} yet."
        )
    group = found[0]
    removed = [
        permission
        for permission in group["IpPermissions"]
        if permission.get("UserIdGroupPairs")
    ]
    if removed:
        ec2.revoke_security_group_ingress(
            GroupId=group["GroupId"], IpPermissions=removed
        )
    return f"{len(removed)} inbound rule(s) removed from {groups.instance_group}"


def healthcheck_path(
    client: Callable[[str], Any], catalog: Catalog, who: str | None
) -> str:
    """Points the target group's health check at a path nginx does not serve."""
    name = parameters_of(catalog, TargetGroupParams, who).name
    elbv2 = client("elbv2")
    arn = elbv2.describe_target_groups(Names=[name])["TargetGroups"][0][
        "TargetGroupArn"
    ]
    elbv2.modify_target_group(
        TargetGroupArn=arn, HealthCheckPath=BROKEN_HEALTH_CHECK_PATH
    )
    return f"{name} checks {BROKEN_HEALTH_CHECK_PATH}"


def nginx_stopped(
    client: Callable[[str], Any], catalog: Catalog, who: str | None
) -> str:
    """Stops nginx on one instance, with `systemctl stop nginx` through Run
    Command."""
    group = _group(client, catalog, who)
    instance = sorted(i["InstanceId"] for i in group["Instances"])[0]
    ssm = client("ssm")
    command = ssm.send_command(
        InstanceIds=[instance],
        DocumentName="AWS-RunShellScript",
        Comment="labguide drill: nginx-stopped",
        Parameters={"commands": ["sudo systemctl stop nginx"]},
    )["Command"]["CommandId"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status = ssm.get_command_invocation(CommandId=command, InstanceId=instance)
        except ssm.exceptions.InvocationDoesNotExist:
            status = {"Status": "Pending"}
        if status["Status"] not in ("Pending", "InProgress", "Delayed"):
            break
        time.sleep(0.2)
    return f"nginx stopped on {instance}"


def sns_unconfirmed(
    client: Callable[[str], Any], catalog: Catalog, who: str | None
) -> str:
    """Replaces the topic's e-mail subscriptions with new, unconfirmed ones."""
    name = parameters_of(catalog, AlarmParams, who).topic_name
    sns = client("sns")
    topic = next(
        (
            t["TopicArn"]
            for t in sns.list_topics()["Topics"]
            if t["TopicArn"].endswith(":" + name)
        ),
        None,
    )
    if topic is None:
        raise LabguideError(f"The lab has no topic {name} yet.", "Run the lab first.")
    renewed = 0
    for subscription in sns.list_subscriptions_by_topic(TopicArn=topic)[
        "Subscriptions"
    ]:
        if subscription["Protocol"] != "email":
            continue
        if subscription["SubscriptionArn"].startswith("arn:"):
            sns.unsubscribe(SubscriptionArn=subscription["SubscriptionArn"])
            sns.subscribe(
                TopicArn=topic, Protocol="email", Endpoint=subscription["Endpoint"]
            )
            renewed += 1
    return f"{renewed} e-mail subscription(s) on {name} wait for confirmation"


DRILLS: dict[str, Drill] = {
    drill.name: drill
    for drill in (
        Drill(
            "userdata-shebang",
            "web-via-alb",
            "the user data's first line merged with the next",
            userdata_shebang,
        ),
        Drill(
            "userdata-crlf",
            "web-via-alb",
            "the user data saved with CRLF line endings",
            userdata_crlf,
        ),
        Drill(
            "subnet-no-public-ip",
            "session-manager",
            "one subnet stops assigning public IPv4 addresses",
            subnet_no_public_ip,
        ),
        Drill(
            "sg-blocks-alb",
            "targets-healthy",
            "the instances' group no longer admits the load balancer",
            sg_blocks_alb,
        ),
        Drill(
            "healthcheck-path",
            "targets-healthy",
            "the health check asks for a page nginx does not have",
            healthcheck_path,
        ),
        Drill(
            "nginx-stopped",
            "targets-healthy",
            "nginx stopped on one instance",
            nginx_stopped,
        ),
        Drill(
            "sns-unconfirmed",
            "alarm-notification",
            "the alarm's e-mail subscription is not confirmed",
            sns_unconfirmed,
        ),
    )
}
"""Every drill, by name."""


def start_drill(
    name: str, target: Target, catalog: Catalog, participant: str | None = None
) -> str:
    """Puts drill `name` into the lab at `target`; returns what it did.

    Raises:
        LabguideError: no such drill, or the lab is not built far enough.
    """
    drill = DRILLS.get(name)
    if drill is None:
        raise LabguideError(
            f"There is no drill {name!r}.", f"Drills: {', '.join(sorted(DRILLS))}."
        )
    if not target.is_sandbox:
        raise LabguideError("Drills run in the sandbox only.")
    return drill.apply(target.plain_clients(), catalog, participant)
