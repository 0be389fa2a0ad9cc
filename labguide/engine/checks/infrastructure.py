"""Checks of steps 1 to 7: each resource exists and matches the article."""

from __future__ import annotations

import base64
from typing import Any

from labguide.catalog.parameters import (
    AutoScalingParams,
    LaunchTemplateParams,
    LoadBalancerParams,
    NetworkParams,
    RoleParams,
    SecurityGroupsParams,
    TargetGroupParams,
)
from labguide.engine.actions.auto_scaling import find_group, live_instances
from labguide.engine.actions.iam import get_role, policy_arn
from labguide.engine.actions.launch_template import default_version, find_template
from labguide.engine.actions.load_balancing import find_load_balancer, find_target_group
from labguide.engine.actions.network import find_subnets, find_vpc
from labguide.engine.actions.security_groups import find_groups
from labguide.engine.checks.result import (
    CheckResult,
    Words,
    failed,
    passed,
    pending,
)
from labguide.engine.checks.userdata import tip_for
from labguide.engine.context import LabContext


def network_ready(ctx: LabContext) -> CheckResult:
    """VPC, two public subnets in two zones with public IPs, a route out."""
    check = "network-ready"
    params = ctx.params(NetworkParams)
    vpc = find_vpc(ctx)
    if vpc is None:
        return failed(
            check,
            Words(
                f"VPC {params.vpc_name} not found",
                f"VPC {params.vpc_name} が見つからない",
            ),
            "vpc-missing",
        )
    subnets = find_subnets(ctx, vpc["VpcId"])
    evidence = [f"VPC {vpc['VpcId']} {vpc['CidrBlock']}"]
    missing = [s.name for s in params.subnets if s.name not in subnets]
    if missing:
        return failed(
            check,
            Words(
                f"subnets missing: {', '.join(missing)}",
                f"Subnet がない：{', '.join(missing)}",
            ),
            "subnet-missing",
            evidence=evidence,
        )
    zones = set()
    for spec in params.subnets:
        subnet = subnets[spec.name]
        zones.add(subnet["AvailabilityZone"])
        public = bool(subnet.get("MapPublicIpOnLaunch"))
        switch = "on" if public else "off"
        evidence.append(
            f"{spec.name} {subnet['SubnetId']} {subnet['AvailabilityZone']} "
            f"auto-assign public IPv4: {switch}"
        )
        if public != spec.map_public_ip:
            return failed(
                check,
                Words(
                    f"{spec.name} has auto-assign public IPv4 {switch}",
                    f"{spec.name} の Auto-assign public IPv4 が {switch.upper()}",
                ),
                "subnet-public-ip",
                tip="subnet-no-public-ip",
                evidence=evidence,
            )
    if len(zones) < 2:
        return failed(
            check,
            Words(
                "the subnets share one availability zone",
                "Subnet が同じ AZ にある",
            ),
            "two-zones",
            evidence=evidence,
        )
    tables = ctx.clients.ec2.describe_route_tables(
        Filters=[
            {
                "Name": "association.subnet-id",
                "Values": [subnets[s.name]["SubnetId"] for s in params.subnets],
            }
        ]
    )["RouteTables"]
    routed = {
        a.get("SubnetId")
        for table in tables
        if any(
            r.get("DestinationCidrBlock") == "0.0.0.0/0"
            and str(r.get("GatewayId", "")).startswith("igw-")
            for r in table.get("Routes", [])
        )
        for a in table.get("Associations", [])
    }
    unrouted = [
        s.name for s in params.subnets if subnets[s.name]["SubnetId"] not in routed
    ]
    if unrouted:
        return failed(
            check,
            Words(
                f"no route to the internet gateway from {', '.join(unrouted)}",
                f"{', '.join(unrouted)} から IGW へのルートがない",
            ),
            "internet-route",
            tip="ssm-offline",
            evidence=evidence,
        )
    evidence.append("0.0.0.0/0 → internet gateway in both subnets")
    return passed(
        check,
        Words(
            "VPC with two public subnets in two zones",
            "VPC と、2 つの AZ に分かれた 2 つの public subnet",
        ),
        evidence,
    )


def instance_role_ready(ctx: LabContext) -> CheckResult:
    """The role trusts EC2, has both policies, and sits in the profile."""
    check = "instance-role-ready"
    params = ctx.params(RoleParams)
    role = get_role(ctx, params.role_name)
    if role is None:
        return failed(
            check,
            Words(
                f"role {params.role_name} not found",
                f"ロール {params.role_name} が見つからない",
            ),
            "role-missing",
        )
    iam = ctx.clients.iam
    attached = {
        p["PolicyArn"]
        for p in iam.list_attached_role_policies(RoleName=params.role_name)[
            "AttachedPolicies"
        ]
    }
    evidence = [f"role {role['Arn']}"] + [
        f"policy {a.rsplit('/', 1)[-1]}" for a in sorted(attached)
    ]
    lacking = [p for p in params.managed_policies if policy_arn(p) not in attached]
    if lacking:
        return failed(
            check,
            Words(
                f"the role lacks {', '.join(lacking)}",
                f"ロールに {', '.join(lacking)} がない",
            ),
            "policies",
            tip="role-missing-ssm-policy",
            evidence=evidence,
        )
    try:
        profile = iam.get_instance_profile(
            InstanceProfileName=params.instance_profile_name
        )["InstanceProfile"]
    except Exception:
        return failed(
            check,
            Words("the instance profile is missing", "インスタンスプロファイルがない"),
            "instance-profile",
            evidence=evidence,
        )
    if params.role_name not in {r["RoleName"] for r in profile.get("Roles", [])}:
        return failed(
            check,
            Words(
                "the instance profile does not hold the role",
                "インスタンスプロファイルにロールが入っていない",
            ),
            "instance-profile",
            evidence=evidence,
        )
    evidence.append(f"instance profile {params.instance_profile_name}")
    return passed(
        check,
        Words(
            "role with both policies, in its instance profile",
            "2 つのポリシーを持つロールが、インスタンスプロファイルに入っている",
        ),
        evidence,
    )


def _peers(entry: dict[str, Any]) -> list[str]:
    return [r["CidrIp"] for r in entry.get("IpRanges", [])] + [
        p["GroupId"] for p in entry.get("UserIdGroupPairs", [])
    ]


def security_groups_ready(ctx: LabContext) -> CheckResult:
    """ALB: 80 from anywhere. EC2: 80 from the ALB's group only. No SSH."""
    check = "security-groups-ready"
    params = ctx.params(SecurityGroupsParams)
    groups = find_groups(ctx)
    missing = [g.name for g in params.groups if g.name not in groups]
    if missing:
        return failed(
            check,
            Words(
                f"security groups missing: {', '.join(missing)}",
                f"セキュリティグループがない：{', '.join(missing)}",
            ),
            "group-missing",
        )
    alb = groups[params.load_balancer_group]
    ec2 = groups[params.instance_group]
    evidence = []
    for name, group in (
        (params.load_balancer_group, alb),
        (params.instance_group, ec2),
    ):
        for entry in group.get("IpPermissions", []):
            evidence.append(
                f"{name} in: {entry['IpProtocol']} {entry.get('FromPort', 'all')} from "
                + ", ".join(_peers(entry))
            )
    for group in (alb, ec2):
        for entry in group.get("IpPermissions", []):
            low, high = entry.get("FromPort", 0), entry.get("ToPort", 65535)
            if entry["IpProtocol"] == "-1" or low <= 22 <= high:
                return failed(
                    check,
                    Words(
                        f"{group['GroupName']} admits SSH (port 22): the lab uses "
                        "Session Manager",
                        f"{group['GroupName']} が SSH（ポート 22）を許可している："
                        "このラボは Session Manager を使う",
                    ),
                    "no-ssh",
                    evidence=evidence,
                )
    for entry in ec2.get("IpPermissions", []):
        if any(r["CidrIp"] == "0.0.0.0/0" for r in entry.get("IpRanges", [])):
            return failed(
                check,
                Words(
                    f"{params.instance_group} admits 0.0.0.0/0: allow the ALB's "
                    "group only",
                    f"{params.instance_group} が 0.0.0.0/0 を許可している："
                    "ALB の SG からのみ許可する",
                ),
                "ec2-open",
                evidence=evidence,
            )
    port = ctx.params(TargetGroupParams).port
    from_alb = any(
        entry.get("FromPort") == port and alb["GroupId"] in _peers(entry)
        for entry in ec2.get("IpPermissions", [])
    )
    if not from_alb:
        return failed(
            check,
            Words(
                f"{params.instance_group} does not admit port {port} from "
                f"{params.load_balancer_group}",
                f"{params.instance_group} が {params.load_balancer_group} からの"
                f"ポート {port} を許可していない",
            ),
            "ec2-from-alb",
            tip="sg-blocks-alb",
            evidence=evidence,
        )
    return passed(
        check,
        Words(
            "instances reachable from the ALB only; no SSH",
            "インスタンスへは ALB からのみ到達でき、SSH なし",
        ),
        evidence,
    )


def launch_template_ready(ctx: LabContext) -> CheckResult:
    """No key pair, IMDSv2 required, profile and group set, user data sound."""
    from labguide.userdata.lint import lint

    check = "launch-template-ready"
    params = ctx.params(LaunchTemplateParams)
    template = find_template(ctx)
    if template is None:
        return failed(
            check,
            Words(
                f"launch template {params.name} not found",
                f"Launch Template {params.name} が見つからない",
            ),
            "template-missing",
        )
    version = default_version(ctx, template["LaunchTemplateId"])
    data = version.get("LaunchTemplateData", {})
    evidence = [
        f"{params.name} {template['LaunchTemplateId']} default version "
        f"{version['VersionNumber']}",
        f"AMI {data.get('ImageId')}, {data.get('InstanceType')}, key pair: "
        f"{data.get('KeyName') or 'none'}",
        f"IMDSv2: {data.get('MetadataOptions', {}).get('HttpTokens', 'optional')}",
    ]
    if data.get("KeyName"):
        return failed(
            check,
            Words(
                "the template names a key pair; the lab uses no SSH",
                "テンプレートにキーペアが指定されている。このラボは SSH を使わない",
            ),
            "key-pair",
            evidence=evidence,
        )
    if data.get("MetadataOptions", {}).get("HttpTokens") != params.http_tokens:
        return failed(
            check,
            Words("IMDSv2 is not required", "IMDSv2 が必須になっていない"),
            "imdsv2",
            evidence=evidence,
        )
    if data.get("InstanceType") not in ctx.catalog.lab.allowed_instance_types:
        return failed(
            check,
            Words(
                f"instance type {data.get('InstanceType')} is outside the guardrail",
                f"インスタンスタイプ {data.get('InstanceType')} はガードレールの範囲外",
            ),
            "instance-type",
            evidence=evidence,
        )
    if data.get("IamInstanceProfile", {}).get("Name") != params.instance_profile:
        return failed(
            check,
            Words(
                "the template does not use the instance profile "
                f"{params.instance_profile}",
                f"テンプレートがインスタンスプロファイル {params.instance_profile} "
                "を使っていない",
            ),
            "instance-profile",
            tip="role-missing-ssm-policy",
            evidence=evidence,
        )
    script = base64.b64decode(data.get("UserData", "") or b"")
    findings = lint(script, ctx.catalog, ctx.participant)
    if findings:
        first = findings[0]
        tip = tip_for(first.code)
        return failed(
            check,
            Words(
                f"user data line {first.line}: {first.message}",
                f"User data の {first.line} 行目：{first.message}",
            ),
            f"user-data:{first.code}",
            tip=tip,
            evidence=evidence
            + [f"line {f.line}: {f.code}: {f.message}" for f in findings],
        )
    evidence.append(f"user data: {len(script)} bytes, lint clean")
    return passed(
        check,
        Words(
            "template as the article says, plus IMDSv2",
            "記事どおりのテンプレートで、IMDSv2 も必須",
        ),
        evidence,
    )


def target_group_ready(ctx: LabContext) -> CheckResult:
    """HTTP 80 instance targets with the health check on the article's path."""
    check = "target-group-ready"
    params = ctx.params(TargetGroupParams)
    group = find_target_group(ctx)
    if group is None:
        return failed(
            check,
            Words(
                f"target group {params.name} not found",
                f"Target Group {params.name} が見つからない",
            ),
            "group-missing",
        )
    evidence = [
        f"{params.name}: {group['Protocol']} {group['Port']} {group['TargetType']}",
        f"health check {group.get('HealthCheckProtocol')} "
        f"{group.get('HealthCheckPath')} "
        f"every {group.get('HealthCheckIntervalSeconds')} s, healthy after "
        f"{group.get('HealthyThresholdCount')}",
    ]
    if group.get("HealthCheckPath") != params.health_check_path:
        return failed(
            check,
            Words(
                f"health check path is {group.get('HealthCheckPath')}, not "
                f"{params.health_check_path}",
                f"ヘルスチェックのパスが {params.health_check_path} ではなく "
                f"{group.get('HealthCheckPath')}",
            ),
            "health-check-path",
            tip="healthcheck-path",
            evidence=evidence,
        )
    if (group["Protocol"], group["Port"], group["TargetType"]) != (
        params.protocol,
        params.port,
        params.target_type,
    ):
        return failed(
            check,
            Words(
                "protocol, port or target type differ from the article's",
                "プロトコル・ポート・ターゲットタイプのいずれかが記事と違う",
            ),
            "settings",
            evidence=evidence,
        )
    return passed(
        check,
        Words("target group as the article says", "記事どおりの Target Group"),
        evidence,
    )


def load_balancer_active(ctx: LabContext) -> CheckResult:
    """The ALB is active, internet-facing in two zones, listener forwarding."""
    check = "load-balancer-active"
    params = ctx.params(LoadBalancerParams)
    balancer = find_load_balancer(ctx)
    if balancer is None:
        return failed(
            check,
            Words(
                f"load balancer {params.name} not found",
                f"ALB {params.name} が見つからない",
            ),
            "alb-missing",
        )
    state = balancer["State"]["Code"]
    zones = [z["ZoneName"] for z in balancer.get("AvailabilityZones", [])]
    evidence = [
        f"{params.name}: {balancer['Scheme']}, {state}, zones {', '.join(zones)}",
        f"DNS name {balancer['DNSName']}",
    ]
    if state == "provisioning":
        return pending(
            check,
            Words("the ALB is provisioning", "ALB を準備中（provisioning）"),
            Words("the ALB to become active", "ALB が active になること"),
            Words("2-4 minutes", "2〜4 分"),
            evidence,
        )
    if state != "active":
        return failed(
            check,
            Words(f"the ALB is {state}", f"ALB の状態が {state}"),
            "alb-state",
            evidence=evidence,
        )
    if balancer["Scheme"] != params.scheme or len(set(zones)) < 2:
        return failed(
            check,
            Words(
                "the ALB is not internet-facing in two zones",
                "ALB が 2 つの AZ で internet-facing になっていない",
            ),
            "alb-settings",
            evidence=evidence,
        )
    group = find_target_group(ctx)
    listeners = ctx.clients.elbv2.describe_listeners(
        LoadBalancerArn=balancer["LoadBalancerArn"]
    )["Listeners"]
    forwarding = [
        x
        for x in listeners
        if x["Port"] == params.listener_port
        and group is not None
        and any(
            a.get("TargetGroupArn") == group["TargetGroupArn"]
            for a in x.get("DefaultActions", [])
        )
    ]
    if not forwarding:
        return failed(
            check,
            Words(
                f"no {params.listener_protocol} {params.listener_port} listener "
                f"forwards to {params.target_group}",
                f"{params.target_group} へ転送する {params.listener_protocol} "
                f"{params.listener_port} のリスナーがない",
            ),
            "listener",
            tip="alb-no-page",
            evidence=evidence,
        )
    evidence.append(
        f"listener {params.listener_protocol} {params.listener_port} → "
        f"{params.target_group}"
    )
    return passed(
        check,
        Words(
            "the ALB is active and forwards to the target group",
            "ALB が active で、Target Group へ転送している",
        ),
        evidence,
    )


def auto_scaling_group_ready(ctx: LabContext) -> CheckResult:
    """2/2/4, ELB health checks, the grace period, both subnets, instances in
    service in two zones."""
    check = "auto-scaling-group-ready"
    params = ctx.params(AutoScalingParams)
    group = find_group(ctx)
    if group is None:
        return failed(
            check,
            Words(
                f"Auto Scaling group {params.name} not found",
                f"Auto Scaling Group {params.name} が見つからない",
            ),
            "group-missing",
        )
    instances = live_instances(group)
    in_service = [i for i in instances if i["LifecycleState"] == "InService"]
    zones = {i["AvailabilityZone"] for i in in_service}
    evidence = [
        f"{params.name}: min {group['MinSize']} / desired {group['DesiredCapacity']} "
        f"/ max {group['MaxSize']}, "
        f"{group['HealthCheckType']} health checks, grace "
        f"{group['HealthCheckGracePeriod']} s",
    ] + [
        f"{i['InstanceId']} {i['AvailabilityZone']} {i['LifecycleState']} "
        f"{i['HealthStatus']}"
        for i in instances
    ]
    expected = (
        params.min_size,
        params.desired_capacity,
        params.max_size,
        params.health_check_type,
    )
    actual = (
        group["MinSize"],
        group["DesiredCapacity"],
        group["MaxSize"],
        group["HealthCheckType"],
    )
    if actual != expected:
        return failed(
            check,
            Words(
                "sizes or health check type differ from the article's",
                "台数またはヘルスチェックの種類が記事と違う",
            ),
            "settings",
            evidence=evidence,
        )
    if group.get("HealthCheckGracePeriod") != params.health_check_grace_period_seconds:
        return failed(
            check,
            Words(
                "the health check grace period is not the lab's",
                "ヘルスチェック猶予期間がラボの値ではない",
            ),
            "grace-period",
            evidence=evidence,
        )
    if len(in_service) < params.desired_capacity:
        return pending(
            check,
            Words(
                f"{len(in_service)} of {params.desired_capacity} instances in service",
                f"インスタンス {params.desired_capacity} 台中 {len(in_service)} 台が "
                "InService",
            ),
            Words("instances to launch", "インスタンスの起動"),
            Words("1-2 minutes", "1〜2 分"),
            evidence,
        )
    if len(zones) < 2:
        return failed(
            check,
            Words(
                "all instances are in one zone",
                "すべてのインスタンスが 1 つの AZ にある",
            ),
            "two-zones",
            evidence=evidence,
        )
    return passed(
        check,
        Words(
            f"{len(in_service)} instances in service across {len(zones)} zones",
            f"{len(zones)} つの AZ で {len(in_service)} 台が InService",
        ),
        evidence,
    )
