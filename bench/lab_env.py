"""The catalog's values as shell variables, for `awscli_lab.sh`.

`python bench/lab_env.py [--participant NAME]` prints `NAME='value'` lines:
every name, CIDR, port, size and setting the AWS CLI script uses, taken from
the same catalog (and the same rendered user data) labguide uses, scoped to
the participant. JSON documents carry `__PLACEHOLDERS__` for the ids the
script learns as it goes (the VPC's, the security groups', the AMI's...).
"""

from __future__ import annotations

import argparse
import json
import shlex
from typing import Any

from labguide.catalog import load_catalog
from labguide.catalog.models import Catalog
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import (
    AlarmParams,
    AutoScalingParams,
    BackupParams,
    CloudTrailParams,
    LaunchTemplateParams,
    LoadBalancerParams,
    LogGroupsParams,
    NetworkParams,
    RoleParams,
    Rule,
    SecurityGroupsParams,
    TargetGroupParams,
)
from labguide.userdata import encode, render


def _tags(catalog: Catalog, participant: str | None, step: str) -> list[dict[str, str]]:
    keys = catalog.lab.tag_keys
    tags = dict(catalog.lab.tags)
    tags[keys.lab] = catalog.lab.id
    tags[keys.participant] = participant or "_solo"
    tags[keys.step] = step
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _tag_spec(kind: str, tags: list[dict[str, str]], name: str | None = None) -> str:
    named = [*tags, {"Key": "Name", "Value": name}] if name else tags
    return json.dumps([{"ResourceType": kind, "Tags": named}])


def _permission(rule: Rule) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "IpProtocol": "-1" if rule.protocol == "all" else rule.protocol
    }
    if rule.protocol != "all" and rule.port is not None:
        entry.update(FromPort=rule.port, ToPort=rule.port)
    if rule.cidr:
        entry["IpRanges"] = [{"CidrIp": rule.cidr, "Description": rule.description}]
    if rule.group:
        entry["UserIdGroupPairs"] = [
            {"GroupId": f"__{rule.group}__", "Description": rule.description}
        ]
    return entry


def values(participant: str | None) -> dict[str, str]:
    """Every variable the script reads."""
    catalog = load_catalog()
    p = lambda model: parameters_of(catalog, model, participant)  # noqa: E731
    network, role, groups = p(NetworkParams), p(RoleParams), p(SecurityGroupsParams)
    template, target, balancer = (
        p(LaunchTemplateParams),
        p(TargetGroupParams),
        p(LoadBalancerParams),
    )
    scaling, alarm, logs = p(AutoScalingParams), p(AlarmParams), p(LogGroupsParams)
    trail, backup = p(CloudTrailParams), p(BackupParams)
    tags = lambda step: _tags(catalog, participant, step)  # noqa: E731
    keys = catalog.lab.tag_keys

    out: dict[str, str] = {
        "VPC_CIDR": network.vpc_cidr,
        "VPC_TAGS": _tag_spec("vpc", tags("network"), network.vpc_name),
        "IGW_TAGS": _tag_spec(
            "internet-gateway", tags("network"), network.internet_gateway_name
        ),
        "RT_TAGS": _tag_spec("route-table", tags("network"), network.route_table_name),
        "SUBNET_COUNT": str(len(network.subnets)),
        "ROLE_NAME": role.role_name,
        "ROLE_TRUST": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": role.trusted_service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        "ROLE_POLICIES": " ".join(role.managed_policies),
        "ROLE_TAGS": json.dumps(tags("iam-role")),
        "PROFILE_NAME": role.instance_profile_name,
        "ALB_SG_NAME": groups.load_balancer_group,
        "EC2_SG_NAME": groups.instance_group,
        "AMI_PARAMETER": template.ami_parameter,
        "LT_NAME": template.name,
        "LT_TAGS": json.dumps(
            [{"ResourceType": "launch-template", "Tags": tags("launch-template")}]
        ),
        "LT_DATA": json.dumps(
            {
                "ImageId": "__AMI__",
                "InstanceType": template.instance_type,
                "IamInstanceProfile": {"Name": template.instance_profile},
                "SecurityGroupIds": [f"__{template.security_group}__"],
                "UserData": encode(render(catalog, participant)),
                "MetadataOptions": {
                    "HttpTokens": template.http_tokens,
                    "HttpEndpoint": "enabled",
                },
                "BlockDeviceMappings": [
                    {
                        "DeviceName": "/dev/xvda",
                        "Ebs": {
                            "VolumeSize": template.volume_size_gb,
                            "VolumeType": template.volume_type,
                            "DeleteOnTermination": True,
                        },
                    }
                ],
                "TagSpecifications": [
                    {"ResourceType": "instance", "Tags": tags("launch-template")}
                ],
            }
        ),
        "PAGE_TITLE": template.page_title,
        "TG_NAME": target.name,
        "TG_ARGS": (
            f"--protocol {target.protocol} --port {target.port} "
            f"--target-type {target.target_type} "
            f"--health-check-path {target.health_check_path} "
            f"--health-check-interval-seconds {target.health_check_interval_seconds} "
            f"--healthy-threshold-count {target.healthy_threshold} "
            f"--unhealthy-threshold-count {target.unhealthy_threshold} "
            f"--matcher HttpCode={target.matcher}"
        ),
        "TG_DELAY": str(target.deregistration_delay_seconds),
        "TG_TAGS": json.dumps(tags("target-group")),
        "ALB_NAME": balancer.name,
        "ALB_SCHEME": balancer.scheme,
        "ALB_TAGS": json.dumps(tags("alb")),
        "LISTENER_PROTOCOL": balancer.listener_protocol,
        "LISTENER_PORT": str(balancer.listener_port),
        "ASG_NAME": scaling.name,
        "ASG_SIZES": (
            f"--min-size {scaling.min_size} --max-size {scaling.max_size} "
            f"--desired-capacity {scaling.desired_capacity} "
            f"--health-check-type {scaling.health_check_type} "
            f"--health-check-grace-period {scaling.health_check_grace_period_seconds}"
        ),
        "ASG_DESIRED": str(scaling.desired_capacity),
        "ASG_TAGS": json.dumps(
            [
                {
                    **tag,
                    "ResourceId": scaling.name,
                    "ResourceType": "auto-scaling-group",
                    "PropagateAtLaunch": True,
                }
                for tag in tags("asg")
            ]
        ),
        "TOPIC_NAME": alarm.topic_name,
        "TOPIC_TAGS": json.dumps(tags("alarm")),
        "ALARM_NAME": alarm.alarm_name,
        "ALARM_ARGS": (
            f"--namespace {alarm.namespace} --metric-name {alarm.metric_name} "
            f"--statistic {alarm.statistic} --period {alarm.period_seconds} "
            f"--evaluation-periods {alarm.evaluation_periods} "
            f"--threshold {alarm.threshold:g} "
            f"--comparison-operator {alarm.comparison} "
            f"--treat-missing-data {alarm.treat_missing_data}"
        ),
        "ALARM_TAGS": json.dumps(tags("alarm")),
        "LOG_GROUPS": f"{logs.access_log_group} {logs.error_log_group}",
        "LOG_RETENTION": str(logs.retention_days),
        "LOG_TAGS": ",".join(f"{t['Key']}={t['Value']}" for t in tags("logs")),
        "TRAIL_EVENTS": " ".join(trail.events),
        "BACKUP_ROLE": backup.role_name,
        "BACKUP_TRUST": json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "backup.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
        "BACKUP_POLICY": backup.role_policy,
        "BACKUP_TAGS": json.dumps(tags("backup")),
        "VAULT_NAME": backup.vault_name,
        "PLAN_NAME": backup.plan_name,
        "PLAN": json.dumps(
            {
                "BackupPlanName": backup.plan_name,
                "Rules": [
                    {
                        "RuleName": backup.rule_name,
                        "TargetBackupVaultName": backup.vault_name,
                        "ScheduleExpression": backup.schedule,
                        "StartWindowMinutes": backup.start_window_minutes,
                        "Lifecycle": {"DeleteAfterDays": backup.retention_days},
                    }
                ],
            }
        ),
        "SELECTION": json.dumps(
            {
                "SelectionName": backup.selection_name,
                "IamRoleArn": "__ROLE_ARN__",
                "Resources": [backup.selection_resource_type],
                "Conditions": {
                    "StringEquals": [
                        {
                            "ConditionKey": f"aws:ResourceTag/{keys.lab}",
                            "ConditionValue": catalog.lab.id,
                        },
                        {
                            "ConditionKey": f"aws:ResourceTag/{keys.participant}",
                            "ConditionValue": participant or "_solo",
                        },
                    ]
                },
            }
        ),
        "BACKUP_WINDOW": str(backup.start_window_minutes),
        "BACKUP_RETENTION": str(backup.retention_days),
    }
    for index, subnet in enumerate(network.subnets, start=1):
        out[f"SUBNET_{index}_CIDR"] = subnet.cidr
        out[f"SUBNET_{index}_ZONE_INDEX"] = str(subnet.zone_index)
        out[f"SUBNET_{index}_PUBLIC"] = str(subnet.map_public_ip).lower()
        out[f"SUBNET_{index}_TAGS"] = _tag_spec("subnet", tags("network"), subnet.name)
    by_name = {group.name: group for group in groups.groups}
    for role, name in (
        ("ALB", groups.load_balancer_group),
        ("EC2", groups.instance_group),
    ):
        group = by_name[name]
        out[f"{role}_SG_DESCRIPTION"] = group.description
        out[f"{role}_SG_TAGS"] = _tag_spec(
            "security-group", tags("security-groups"), group.name
        )
        out[f"{role}_SG_INGRESS"] = json.dumps([_permission(r) for r in group.ingress])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--participant", help="whose lab (scopes every name)")
    args = parser.parse_args()
    for name, value in values(args.participant).items():
        print(f"{name}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
