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
from labguide.engine.checks.result import CheckResult, failed, passed, pending
from labguide.engine.checks.userdata import tip_for
from labguide.engine.context import LabContext


def network_ready(ctx: LabContext) -> CheckResult:
    """VPC, two public subnets in two zones with public IPs, a route out."""
    check = "network-ready"
    params = ctx.params(NetworkParams)
    vpc = find_vpc(ctx)
    if vpc is None:
        return failed(check, f"VPC {params.vpc_name} not found", "vpc-missing")
    subnets = find_subnets(ctx, vpc["VpcId"])
    evidence = [f"VPC {vpc['VpcId']} {vpc['CidrBlock']}"]
    missing = [s.name for s in params.subnets if s.name not in subnets]
    if missing:
        return failed(
            check,
            "subnets missing: " + ", ".join(missing),
            "subnet-missing",
            evidence=evidence,
        )
    zones = set()
    for spec in params.subnets:
        subnet = subnets[spec.name]
        zones.add(subnet["AvailabilityZone"])
        public = bool(subnet.get("MapPublicIpOnLaunch"))
        evidence.append(
            f"{spec.name} {subnet['SubnetId']} {subnet['AvailabilityZone']} "
            f"auto-assign public IPv4: {'on' if public else 'off'}"
        )
        if public != spec.map_public_ip:
            return failed(
                check,
                f"{spec.name} has auto-assign public IPv4 {'on' if public else 'off'}",
                "subnet-public-ip",
                tip="subnet-no-public-ip",
                evidence=evidence,
            )
    if len(zones) < 2:
        return failed(
            check,
            "the subnets share one availability zone",
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
            "no route to the internet gateway from " + ", ".join(unrouted),
            "internet-route",
            tip="ssm-offline",
            evidence=evidence,
        )
    evidence.append("0.0.0.0/0 → internet gateway in both subnets")
    return passed(check, "VPC with two public subnets in two zones", evidence)


def instance_role_ready(ctx: LabContext) -> CheckResult:
    """The role trusts EC2, has both policies, and sits in the profile."""
    check = "instance-role-ready"
    params = ctx.params(RoleParams)
    role = get_role(ctx, params.role_name)
    if role is None:
        return failed(check, f"role {params.role_name} not found", "role-missing")
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
            "the role lacks " + ", ".join(lacking),
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
            "the instance profile is missing",
            "instance-profile",
            evidence=evidence,
        )
    if params.role_name not in {r["RoleName"] for r in profile.get("Roles", [])}:
        return failed(
            check,
            "the instance profile does not hold the role",
            "instance-profile",
            evidence=evidence,
        )
    evidence.append(f"instance profile {params.instance_profile_name}")
    return passed(check, "role with both policies, in its instance profile", evidence)


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
            check, "security groups missing: " + ", ".join(missing), "group-missing"
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
                    f"{group['GroupName']} admits SSH (port 22): the lab uses Session "
                    "Manager",
                    "no-ssh",
                    evidence=evidence,
                )
    for entry in ec2.get("IpPermissions", []):
        if any(r["CidrIp"] == "0.0.0.0/0" for r in entry.get("IpRanges", [])):
            return failed(
                check,
                f"{params.instance_group} admits 0.0.0.0/0: allow the ALB's group only",
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
            f"{params.instance_group} does not admit port {port} from "
            f"{params.load_balancer_group}",
            "ec2-from-alb",
            tip="sg-blocks-alb",
            evidence=evidence,
        )
    return passed(check, "instances reachable from the ALB only; no SSH", evidence)


def launch_template_ready(ctx: LabContext) -> CheckResult:
    """No key pair, IMDSv2 required, profile and group set, user data sound."""
    from labguide.userdata.lint import lint

    check = "launch-template-ready"
    params = ctx.params(LaunchTemplateParams)
    template = find_template(ctx)
    if template is None:
        return failed(
            check, f"launch template {params.name} not found", "template-missing"
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
            "the template names a key pair; the lab uses no SSH",
            "key-pair",
            evidence=evidence,
        )
    if data.get("MetadataOptions", {}).get("HttpTokens") != params.http_tokens:
        return failed(check, "IMDSv2 is not required", "imdsv2", evidence=evidence)
    if data.get("InstanceType") not in ctx.catalog.lab.allowed_instance_types:
        return failed(
            check,
            f"instance type {data.get('InstanceType')} is outside the guardrail",
            "instance-type",
            evidence=evidence,
        )
    if data.get("IamInstanceProfile", {}).get("Name") != params.instance_profile:
        return failed(
            check,
            f"the template does not use the instance profile {params.instance_profile}",
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
            f"user data line {first.line}: {first.message}",
            f"user-data:{first.code}",
            tip=tip,
            evidence=evidence
            + [f"line {f.line}: {f.code}: {f.message}" for f in findings],
        )
    evidence.append(f"user data: {len(script)} bytes, lint clean")
    return passed(check, "template as the article says, plus IMDSv2", evidence)


def target_group_ready(ctx: LabContext) -> CheckResult:
    """HTTP 80 instance targets with the health check on the article's path."""
    check = "target-group-ready"
    params = ctx.params(TargetGroupParams)
    group = find_target_group(ctx)
    if group is None:
        return failed(check, f"target group {params.name} not found", "group-missing")
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
            f"health check path is {group.get('HealthCheckPath')}, not "
            f"{params.health_check_path}",
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
            "protocol, port or target type differ from the article's",
            "settings",
            evidence=evidence,
        )
    return passed(check, "target group as the article says", evidence)


def load_balancer_active(ctx: LabContext) -> CheckResult:
    """The ALB is active, internet-facing in two zones, listener forwarding."""
    check = "load-balancer-active"
    params = ctx.params(LoadBalancerParams)
    balancer = find_load_balancer(ctx)
    if balancer is None:
        return failed(check, f"load balancer {params.name} not found", "alb-missing")
    state = balancer["State"]["Code"]
    zones = [z["ZoneName"] for z in balancer.get("AvailabilityZones", [])]
    evidence = [
        f"{params.name}: {balancer['Scheme']}, {state}, zones {', '.join(zones)}",
        f"DNS name {balancer['DNSName']}",
    ]
    if state == "provisioning":
        return pending(
            check,
            "the ALB is provisioning",
            "the ALB to become active",
            "2-4 minutes",
            evidence,
        )
    if state != "active":
        return failed(check, f"the ALB is {state}", "alb-state", evidence=evidence)
    if balancer["Scheme"] != params.scheme or len(set(zones)) < 2:
        return failed(
            check,
            "the ALB is not internet-facing in two zones",
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
            f"no {params.listener_protocol} {params.listener_port} listener forwards "
            f"to {params.target_group}",
            "listener",
            tip="alb-no-page",
            evidence=evidence,
        )
    evidence.append(
        f"listener {params.listener_protocol} {params.listener_port} → "
        f"{params.target_group}"
    )
    return passed(check, "the ALB is active and forwards to the target group", evidence)


def auto_scaling_group_ready(ctx: LabContext) -> CheckResult:
    """2/2/4, ELB health checks, the grace period, both subnets, instances in
    service in two zones."""
    check = "auto-scaling-group-ready"
    params = ctx.params(AutoScalingParams)
    group = find_group(ctx)
    if group is None:
        return failed(
            check, f"Auto Scaling group {params.name} not found", "group-missing"
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
            "sizes or health check type differ from the article's",
            "settings",
            evidence=evidence,
        )
    if group.get("HealthCheckGracePeriod") != params.health_check_grace_period_seconds:
        return failed(
            check,
            "the health check grace period is not the lab's",
            "grace-period",
            evidence=evidence,
        )
    if len(in_service) < params.desired_capacity:
        return pending(
            check,
            f"{len(in_service)} of {params.desired_capacity} instances in service",
            "instances to launch",
            "1-2 minutes",
            evidence,
        )
    if len(zones) < 2:
        return failed(
            check, "all instances are in one zone", "two-zones", evidence=evidence
        )
    return passed(
        check,
        f"{len(in_service)} instances in service across {len(zones)} zones",
        evidence,
    )
