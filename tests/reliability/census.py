"""Counting a lab's resources with plain boto3, the test's own eyes.

The engine finds its resources with its own finders; a finder that stops at
the first match would hide a duplicate. The census asks the account itself,
by the lab's tags and by its exact names, and counts everything it finds, so
a second VPC or a second backup job shows as a 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from labguide.aws.target import Target
from labguide.catalog.models import Catalog
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import (
    AlarmParams,
    AutoScalingParams,
    BackupParams,
    LaunchTemplateParams,
    LoadBalancerParams,
    LogGroupsParams,
    NetworkParams,
    RoleParams,
    SecurityGroupsParams,
    TargetGroupParams,
)

SOLO = "_solo"
LIVE_STATES = ["pending", "running", "stopping", "stopped"]
ALARM_SETTINGS = (
    "AlarmName",
    "MetricName",
    "Dimensions",
    "Threshold",
    "ComparisonOperator",
    "AlarmActions",
)

Client = Callable[[str], Any]


def plain_clients(target: Target) -> Client:
    """A factory of boto3 clients for `target`, independent of labguide's."""
    return target.plain_clients(max_attempts=2)


def _owned(catalog: Catalog, participant: str | None) -> list[dict[str, Any]]:
    keys = catalog.lab.tag_keys
    return [
        {"Name": f"tag:{keys.lab}", "Values": [catalog.lab.id]},
        {"Name": f"tag:{keys.participant}", "Values": [participant or SOLO]},
    ]


def expected(catalog: Catalog, email: bool = True) -> dict[str, int]:
    """How many of each kind a finished lab holds, from the catalog."""
    network = parameters_of(catalog, NetworkParams, None)
    groups = parameters_of(catalog, SecurityGroupsParams, None)
    scaling = parameters_of(catalog, AutoScalingParams, None)
    return {
        "vpc": 1,
        "subnet": len(network.subnets),
        "internet-gateway": 1,
        "route-table": 1,
        "security-group": len(groups.groups),
        "launch-template": 1,
        "target-group": 1,
        "load-balancer": 1,
        "listener": 1,
        "auto-scaling-group": 1,
        "instance": scaling.desired_capacity,
        "iam-role": 2,
        "instance-profile": 1,
        "alarm": 1,
        "sns-topic": 1,
        "subscription": 1 if email else 0,
        "log-group": 2,
        "backup-vault": 1,
        "backup-plan": 1,
        "backup-selection": 1,
        "backup-job": 1,
    }


def census(client: Client, catalog: Catalog, participant: str | None) -> dict[str, int]:
    """How many of each kind of the participant's lab exist now.

    Args:
        client: plain boto3 clients (see `plain_clients`).
        catalog: the lab catalog, for names and tags.
        participant: whose lab; None for a single learner.
    """
    ec2, elbv2 = client("ec2"), client("elbv2")
    owned = _owned(catalog, participant)
    counts: dict[str, int] = {}

    counts["vpc"] = len(ec2.describe_vpcs(Filters=owned)["Vpcs"])
    counts["subnet"] = len(ec2.describe_subnets(Filters=owned)["Subnets"])
    counts["internet-gateway"] = len(
        ec2.describe_internet_gateways(Filters=owned)["InternetGateways"]
    )
    counts["route-table"] = len(ec2.describe_route_tables(Filters=owned)["RouteTables"])
    # By tags, and by the lab's group names inside the lab's VPCs (a group
    # of the same name elsewhere is someone else's).
    vpcs = [v["VpcId"] for v in ec2.describe_vpcs(Filters=owned)["Vpcs"]]
    groups = parameters_of(catalog, SecurityGroupsParams, participant)
    by_name = (
        ec2.describe_security_groups(
            Filters=[
                {"Name": "group-name", "Values": [g.name for g in groups.groups]},
                {"Name": "vpc-id", "Values": vpcs},
            ]
        )["SecurityGroups"]
        if vpcs
        else []
    )
    tagged = ec2.describe_security_groups(Filters=owned)["SecurityGroups"]
    counts["security-group"] = len(
        {g["GroupId"] for g in by_name} | {g["GroupId"] for g in tagged}
    )
    template = parameters_of(catalog, LaunchTemplateParams, participant)
    templates = ec2.describe_launch_templates()["LaunchTemplates"]
    counts["launch-template"] = sum(
        1
        for t in templates
        if t["LaunchTemplateName"] == template.name or _owns(catalog, participant, t)
    )
    reservations = ec2.describe_instances(
        Filters=[*owned, {"Name": "instance-state-name", "Values": LIVE_STATES}]
    )["Reservations"]
    counts["instance"] = sum(len(r["Instances"]) for r in reservations)

    group_name = parameters_of(catalog, TargetGroupParams, participant).name
    counts["target-group"] = sum(
        1
        for g in elbv2.describe_target_groups()["TargetGroups"]
        if g["TargetGroupName"] == group_name
    )
    balancer_name = parameters_of(catalog, LoadBalancerParams, participant).name
    balancers = [
        b
        for b in elbv2.describe_load_balancers()["LoadBalancers"]
        if b["LoadBalancerName"] == balancer_name
    ]
    counts["load-balancer"] = len(balancers)
    counts["listener"] = sum(
        len(elbv2.describe_listeners(LoadBalancerArn=b["LoadBalancerArn"])["Listeners"])
        for b in balancers
    )
    scaling = parameters_of(catalog, AutoScalingParams, participant)
    counts["auto-scaling-group"] = len(
        client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[scaling.name]
        )["AutoScalingGroups"]
    )

    counts.update(_iam(client, catalog, participant))
    counts.update(_monitoring(client, catalog, participant))
    counts.update(_backup(client, catalog, participant))
    return counts


def _owns(catalog: Catalog, participant: str | None, item: dict[str, Any]) -> bool:
    keys = catalog.lab.tag_keys
    tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
    return tags.get(keys.lab) == catalog.lab.id and tags.get(keys.participant) == (
        participant or SOLO
    )


def _iam(client: Client, catalog: Catalog, participant: str | None) -> dict[str, int]:
    iam = client("iam")
    role = parameters_of(catalog, RoleParams, participant)
    backup = parameters_of(catalog, BackupParams, participant)
    roles = {r["RoleName"] for r in iam.list_roles()["Roles"]}
    profiles = {
        p["InstanceProfileName"]
        for p in iam.list_instance_profiles()["InstanceProfiles"]
    }
    return {
        "iam-role": len(roles & {role.role_name, backup.role_name}),
        "instance-profile": len(profiles & {role.instance_profile_name}),
    }


def _monitoring(
    client: Client, catalog: Catalog, participant: str | None
) -> dict[str, int]:
    alarm = parameters_of(catalog, AlarmParams, participant)
    logs = parameters_of(catalog, LogGroupsParams, participant)
    sns = client("sns")
    topics = [
        t["TopicArn"]
        for t in sns.list_topics()["Topics"]
        if t["TopicArn"].rsplit(":", 1)[-1] == alarm.topic_name
    ]
    subscriptions = sum(
        len(sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"])
        for arn in topics
    )
    alarms = client("cloudwatch").describe_alarms(AlarmNames=[alarm.alarm_name])
    names = {logs.access_log_group, logs.error_log_group}
    groups = client("logs").describe_log_groups()["logGroups"]
    return {
        "alarm": len(alarms["MetricAlarms"]),
        "sns-topic": len(topics),
        "subscription": subscriptions,
        "log-group": sum(1 for g in groups if g["logGroupName"] in names),
    }


def _backup(
    client: Client, catalog: Catalog, participant: str | None
) -> dict[str, int]:
    params = parameters_of(catalog, BackupParams, participant)
    backup = client("backup")
    plans = [
        p
        for p in backup.list_backup_plans()["BackupPlansList"]
        if p["BackupPlanName"] == params.plan_name
    ]
    selections = sum(
        len(
            backup.list_backup_selections(BackupPlanId=p["BackupPlanId"])[
                "BackupSelectionsList"
            ]
        )
        for p in plans
    )
    vaults = [
        v
        for v in backup.list_backup_vaults()["BackupVaultList"]
        if v["BackupVaultName"] == params.vault_name
    ]
    jobs = 0
    if vaults:
        try:
            jobs = len(
                backup.list_backup_jobs(ByBackupVaultName=params.vault_name)[
                    "BackupJobs"
                ]
            )
        except ClientError:
            jobs = 0
    return {
        "backup-vault": len(vaults),
        "backup-plan": len(plans),
        "backup-selection": selections,
        "backup-job": jobs,
    }


def leftovers(counts: dict[str, int]) -> dict[str, int]:
    """The kinds with anything left, after a teardown."""
    return {kind: count for kind, count in counts.items() if count}


def fingerprint(client: Client) -> str:
    """Everything the sandbox holds, as one comparable text: ids, names,
    settings and tags of every kind the lab makes, whoever made them."""
    ec2, elbv2, backup = client("ec2"), client("elbv2"), client("backup")
    balancers = elbv2.describe_load_balancers()["LoadBalancers"]
    plans = backup.list_backup_plans()["BackupPlansList"]
    vaults = backup.list_backup_vaults()["BackupVaultList"]
    topics = client("sns").list_topics()["Topics"]
    world: dict[str, Any] = {
        "vpcs": ec2.describe_vpcs()["Vpcs"],
        "subnets": ec2.describe_subnets()["Subnets"],
        "gateways": ec2.describe_internet_gateways()["InternetGateways"],
        "routes": ec2.describe_route_tables()["RouteTables"],
        "groups": ec2.describe_security_groups()["SecurityGroups"],
        "templates": ec2.describe_launch_templates()["LaunchTemplates"],
        "instances": [
            (i["InstanceId"], i["State"]["Name"], i.get("Tags", []))
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
        ],
        "target-groups": elbv2.describe_target_groups()["TargetGroups"],
        "balancers": [(b["LoadBalancerArn"], b["State"]) for b in balancers],
        "listeners": [
            elbv2.describe_listeners(LoadBalancerArn=b["LoadBalancerArn"])["Listeners"]
            for b in balancers
        ],
        "scaling": [
            {k: g[k] for k in ("AutoScalingGroupName", "MinSize", "DesiredCapacity")}
            | {"instances": sorted(i["InstanceId"] for i in g["Instances"])}
            for g in client("autoscaling").describe_auto_scaling_groups()[
                "AutoScalingGroups"
            ]
        ],
        # An alarm's state moves with the world's clock; its settings do not.
        "alarms": [
            {k: a.get(k) for k in ALARM_SETTINGS}
            for a in client("cloudwatch").describe_alarms()["MetricAlarms"]
        ],
        "topics": topics,
        "subscriptions": client("sns").list_subscriptions()["Subscriptions"],
        "logs": [
            g["logGroupName"] for g in client("logs").describe_log_groups()["logGroups"]
        ],
        "roles": sorted(r["RoleName"] for r in client("iam").list_roles()["Roles"]),
        "profiles": sorted(
            p["InstanceProfileName"]
            for p in client("iam").list_instance_profiles()["InstanceProfiles"]
        ),
        "plans": [(p["BackupPlanId"], p["BackupPlanName"]) for p in plans],
        "selections": [
            backup.list_backup_selections(BackupPlanId=p["BackupPlanId"])[
                "BackupSelectionsList"
            ]
            for p in plans
        ],
        "vaults": [v["BackupVaultName"] for v in vaults],
        "jobs": [
            backup.list_backup_jobs(ByBackupVaultName=v["BackupVaultName"])[
                "BackupJobs"
            ]
            for v in vaults
        ],
    }
    return json.dumps(world, sort_keys=True, default=str, indent=1)
