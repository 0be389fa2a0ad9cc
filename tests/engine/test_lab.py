"""The engine against a plain moto server over HTTP: the lab as the article
sets it up, idempotent, resumable, and torn down without touching others."""

from __future__ import annotations

import base64
import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from labguide.catalog import Catalog
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
from labguide.engine.events import Event
from labguide.engine.session import LabSession
from labguide.userdata import render

REGION = "us-east-1"
Opener = Callable[..., LabSession]


def aws(service: str) -> Any:
    """A plain boto3 client for the moto server (the test's own eyes)."""
    return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


def tags_of(items: list[dict[str, str]]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items}


def lab_counts(catalog: Catalog) -> dict[str, int]:
    """How many of each kind of the lab's resources exist."""
    ec2 = aws("ec2")
    lab = [{"Name": "tag:labguide:lab", "Values": [catalog.lab.id]}]
    elbv2 = aws("elbv2")
    return {
        "vpcs": len(ec2.describe_vpcs(Filters=lab)["Vpcs"]),
        "subnets": len(ec2.describe_subnets(Filters=lab)["Subnets"]),
        "gateways": len(
            ec2.describe_internet_gateways(Filters=lab)["InternetGateways"]
        ),
        "route_tables": len(ec2.describe_route_tables(Filters=lab)["RouteTables"]),
        "security_groups": len(
            ec2.describe_security_groups(Filters=lab)["SecurityGroups"]
        ),
        "launch_templates": len(ec2.describe_launch_templates()["LaunchTemplates"]),
        "target_groups": len(elbv2.describe_target_groups()["TargetGroups"]),
        "load_balancers": len(elbv2.describe_load_balancers()["LoadBalancers"]),
        "groups": len(
            aws("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"]
        ),
        "alarms": len(aws("cloudwatch").describe_alarms()["MetricAlarms"]),
        "topics": len(aws("sns").list_topics()["Topics"]),
        "subscriptions": len(aws("sns").list_subscriptions()["Subscriptions"]),
        "log_groups": len(aws("logs").describe_log_groups()["logGroups"]),
        "plans": len(aws("backup").list_backup_plans()["BackupPlansList"]),
        "vaults": len(aws("backup").list_backup_vaults()["BackupVaultList"]),
        "roles": len(
            [
                r
                for r in aws("iam").list_roles()["Roles"]
                if r["RoleName"].startswith("ops")
            ]
        ),
    }


def test_run_all_builds_the_article_lab(catalog: Catalog, open_session: Opener) -> None:
    session = open_session()

    result = session.run_all()

    assert result.ok, result.failed
    assert len(result.done) == 12
    ec2 = aws("ec2")
    network = parameters_of(catalog, NetworkParams, None)
    vpc = ec2.describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": [network.vpc_name]}]
    )["Vpcs"][0]
    assert vpc["CidrBlock"] == network.vpc_cidr
    assert tags_of(vpc["Tags"])["labguide:lab"] == catalog.lab.id
    assert tags_of(vpc["Tags"])["labguide:step"] == "network"
    subnets = ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    )["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2
    assert all(s["MapPublicIpOnLaunch"] for s in subnets)

    role = parameters_of(catalog, RoleParams, None)
    attached = aws("iam").list_attached_role_policies(RoleName=role.role_name)
    assert {p["PolicyName"] for p in attached["AttachedPolicies"]} == set(
        role.managed_policies
    )
    profile = aws("iam").get_instance_profile(
        InstanceProfileName=role.instance_profile_name
    )
    assert [r["RoleName"] for r in profile["InstanceProfile"]["Roles"]] == [
        role.role_name
    ]

    sgs = parameters_of(catalog, SecurityGroupsParams, None)
    groups = {
        g["GroupName"]: g
        for g in ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
        )["SecurityGroups"]
    }
    alb_sg, ec2_sg = groups[sgs.load_balancer_group], groups[sgs.instance_group]
    assert [
        (p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in alb_sg["IpPermissions"]
    ] == [(80, "0.0.0.0/0")]
    [rule] = ec2_sg["IpPermissions"]
    assert rule["FromPort"] == 80 and rule["IpRanges"] == []
    assert [p["GroupId"] for p in rule["UserIdGroupPairs"]] == [alb_sg["GroupId"]]

    template = parameters_of(catalog, LaunchTemplateParams, None)
    version = ec2.describe_launch_template_versions(
        LaunchTemplateName=template.name, Versions=["$Default"]
    )["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    assert version["InstanceType"] == template.instance_type
    assert "KeyName" not in version
    assert version["MetadataOptions"]["HttpTokens"] == "required"
    assert version["IamInstanceProfile"]["Name"] == template.instance_profile
    assert version["SecurityGroupIds"] == [ec2_sg["GroupId"]]
    assert base64.b64decode(version["UserData"]).decode() == render(catalog)

    tg_params = parameters_of(catalog, TargetGroupParams, None)
    elbv2 = aws("elbv2")
    tg = elbv2.describe_target_groups(Names=[tg_params.name])["TargetGroups"][0]
    assert (tg["Protocol"], tg["Port"], tg["HealthCheckPath"], tg["TargetType"]) == (
        "HTTP",
        80,
        "/",
        "instance",
    )
    attributes = {
        a["Key"]: a["Value"]
        for a in elbv2.describe_target_group_attributes(
            TargetGroupArn=tg["TargetGroupArn"]
        )["Attributes"]
    }
    assert attributes["deregistration_delay.timeout_seconds"] == str(
        tg_params.deregistration_delay_seconds
    )

    lb_params = parameters_of(catalog, LoadBalancerParams, None)
    lb = elbv2.describe_load_balancers(Names=[lb_params.name])["LoadBalancers"][0]
    assert lb["Scheme"] == "internet-facing" and lb["IpAddressType"] == "ipv4"
    assert len(lb["AvailabilityZones"]) == 2
    assert lb["SecurityGroups"] == [alb_sg["GroupId"]]
    [listener] = elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])[
        "Listeners"
    ]
    assert (listener["Protocol"], listener["Port"]) == ("HTTP", 80)
    assert listener["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"]

    asg_params = parameters_of(catalog, AutoScalingParams, None)
    group = aws("autoscaling").describe_auto_scaling_groups(
        AutoScalingGroupNames=[asg_params.name]
    )["AutoScalingGroups"][0]
    assert (group["MinSize"], group["DesiredCapacity"], group["MaxSize"]) == (2, 2, 4)
    assert group["HealthCheckType"] == "ELB"
    assert (
        group["HealthCheckGracePeriod"] == asg_params.health_check_grace_period_seconds
    )
    assert group["TargetGroupARNs"] == [tg["TargetGroupArn"]]
    assert len(group["VPCZoneIdentifier"].split(",")) == 2

    alarm_params = parameters_of(catalog, AlarmParams, None)
    alarm = aws("cloudwatch").describe_alarms(AlarmNames=[alarm_params.alarm_name])[
        "MetricAlarms"
    ][0]
    assert alarm["MetricName"] == "HTTPCode_Target_5XX_Count"
    assert alarm["Namespace"] == "AWS/ApplicationELB"
    assert (alarm["Threshold"], alarm["Period"], alarm["ComparisonOperator"]) == (
        0.0,
        300,
        "GreaterThanThreshold",
    )
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["Dimensions"] == [
        {
            "Name": "LoadBalancer",
            "Value": lb["LoadBalancerArn"].split(":loadbalancer/")[1],
        }
    ]
    topic = alarm["AlarmActions"][0]
    subscriptions = aws("sns").list_subscriptions_by_topic(TopicArn=topic)[
        "Subscriptions"
    ]
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions] == [
        ("email", "learner@example.com")
    ]

    logs = parameters_of(catalog, LogGroupsParams, None)
    groups_by_name = {
        g["logGroupName"]: g for g in aws("logs").describe_log_groups()["logGroups"]
    }
    for name in (logs.access_log_group, logs.error_log_group):
        assert groups_by_name[name]["retentionInDays"] == logs.retention_days

    backup = parameters_of(catalog, BackupParams, None)
    [plan] = aws("backup").list_backup_plans()["BackupPlansList"]
    body = aws("backup").get_backup_plan(BackupPlanId=plan["BackupPlanId"])[
        "BackupPlan"
    ]
    [rule] = body["Rules"]
    assert rule["ScheduleExpression"] == backup.schedule
    assert rule["Lifecycle"]["DeleteAfterDays"] == 7
    assert rule["TargetBackupVaultName"] == backup.vault_name


def test_running_again_creates_nothing(catalog: Catalog, open_session: Opener) -> None:
    session = open_session()
    session.run_all()
    before = lab_counts(catalog)

    again = session.run_all()

    assert again.ok and again.created == 0
    assert lab_counts(catalog) == before


def test_resume_without_a_state_file(
    catalog: Catalog, open_session: Opener, tmp_path: Path
) -> None:
    first = open_session()
    first.run(["network", "iam-role", "security-groups", "target-group"])
    first.close()
    first.store.path.unlink()
    before = lab_counts(catalog)

    resumed = open_session()

    assert resumed.step_status("network") == "done"
    assert resumed.step_status("target-group") == "done"
    assert resumed.step_status("alb") == "not-started"
    assert resumed.next_step() is not None
    assert resumed.next_step().id == "launch-template"  # type: ignore[union-attr]
    assert lab_counts(catalog) == before
    result = resumed.run_all()
    assert result.ok
    counts = lab_counts(catalog)
    assert (counts["vpcs"], counts["subnets"], counts["security_groups"]) == (1, 2, 2)
    assert counts["target_groups"] == 1


def test_log_groups_the_agent_made_are_not_the_step_done(
    catalog: Catalog, open_session: Opener
) -> None:
    """The CloudWatch agent creates a missing log group itself: untagged and
    never expiring. On resuming, such groups are not step 10 done; running
    the step makes them the lab's, and teardown removes them either way."""
    names = parameters_of(catalog, LogGroupsParams, None)
    logs = aws("logs")
    for name in (names.access_log_group, names.error_log_group):
        logs.create_log_group(logGroupName=name)

    resumed = open_session()

    assert resumed.step_status("logs") == "not-started"
    plan = resumed.teardown_plan()
    assert {r.kind for r in plan if "nginx" in r.name} == {"agent-log-group"}
    resumed.run(["logs"])
    assert resumed.step_status("logs") == "done"
    groups = logs.describe_log_groups(logGroupNamePrefix=names.access_log_group)
    assert groups["logGroups"][0]["retentionInDays"] == names.retention_days
    resumed.close()
    assert open_session().step_status("logs") == "done"


def test_drift_is_noticed_and_repaired(catalog: Catalog, open_session: Opener) -> None:
    session = open_session()
    session.run(["network"])
    network = parameters_of(catalog, NetworkParams, None)
    ec2 = aws("ec2")
    subnet = ec2.describe_subnets(
        Filters=[{"Name": "tag:Name", "Values": [network.subnets[1].name]}]
    )["Subnets"][0]
    # The article's second pitfall: one subnet without auto-assign public IPv4.
    ec2.modify_subnet_attribute(
        SubnetId=subnet["SubnetId"], MapPublicIpOnLaunch={"Value": False}
    )

    broken = session.check("network-ready")
    session.run(["network"])
    repaired = session.check("network-ready")

    assert broken.status == "failed" and broken.tip == "subnet-no-public-ip"
    assert repaired.status == "passed"


def test_teardown_without_state_leaves_foreign_resources(
    catalog: Catalog, open_session: Opener
) -> None:
    ec2 = aws("ec2")
    foreign_vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    foreign_sg = ec2.create_security_group(
        GroupName=parameters_of(catalog, SecurityGroupsParams, None).instance_group,
        Description="someone else's group with the lab's name",
        VpcId=foreign_vpc,
    )["GroupId"]
    other = open_session("other")
    other.run(["network", "iam-role", "security-groups"])
    other.close()
    mine = open_session()
    mine.run_all()
    mine.close()
    mine.store.path.unlink()

    fresh = open_session()
    plan = fresh.teardown_plan()
    result = fresh.teardown()

    assert {r.kind for r in plan} >= {
        "vpc",
        "load-balancer",
        "auto-scaling-group",
        "alarm",
    }
    assert result.errors == []
    assert result.left == []
    vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    assert foreign_vpc in vpcs
    assert foreign_sg in {
        g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
    }
    others = ec2.describe_vpcs(
        Filters=[{"Name": "tag:labguide:participant", "Values": ["other"]}]
    )
    assert len(others["Vpcs"]) == 1
    assert aws("iam").get_role(RoleName="ops-case-other-ec2-role")
    assert fresh.check("nothing-left").status == "passed"


def test_participant_names_every_resource(
    catalog: Catalog, open_session: Opener
) -> None:
    session = open_session("ana")

    session.run(["network", "security-groups", "target-group", "alb"])

    names = [
        lb["LoadBalancerName"]
        for lb in aws("elbv2").describe_load_balancers()["LoadBalancers"]
    ]
    assert names == ["ops-case-ana-alb"]
    tgs = [
        tg["TargetGroupName"]
        for tg in aws("elbv2").describe_target_groups()["TargetGroups"]
    ]
    assert tgs == ["ops-case-ana-tg"]
    vpc = aws("ec2").describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": ["ops-case-ana-vpc"]}]
    )
    assert tags_of(vpc["Vpcs"][0]["Tags"])["labguide:participant"] == "ana"


def test_a_name_over_aws_limits_is_refused_before_anything(
    catalog: Catalog, open_session: Opener
) -> None:
    from labguide.errors import LabguideError

    with pytest.raises(LabguideError, match="not allowed|AWS allows"):
        open_session("a-very-long-participant-name")
    assert lab_counts(catalog)["vpcs"] == 0


def test_independent_steps_do_not_wait_for_the_alb(
    catalog: Catalog, open_session: Opener, events: list[Event]
) -> None:
    session = open_session()

    session.run_all()

    order = [(e.step, e.kind) for e in events if e.kind in ("start", "done")]
    alb_done = order.index(("alb", "done"))
    # A step that does not need the ALB starts before it is done ...
    assert ("iam-role", "start") in order[:alb_done]
    # ... one that needs it starts after ...
    assert order.index(("alarm", "start")) > alb_done
    # ... and creating the ALB never waits for it to become active.
    assert not [e for e in events if e.step == "alb" and e.kind == "wait"]
    assert len([kind for _, kind in order if kind == "start"]) == 12


def test_state_file_is_private_and_holds_no_secret(open_session: Opener) -> None:
    session = open_session()
    session.run(["network"])

    path = session.store.path
    mode = stat.S_IMODE(path.stat().st_mode)
    text = path.read_text()

    assert mode == 0o600
    assert "engine-test-secret-value" not in text
    assert "AKIAENGINETESTKEY01" not in text
    assert json.loads(text)["steps"]["network"]["status"] == "done"


def test_the_running_cost_counts_the_groups_instances(
    catalog: Catalog, open_session: Opener
) -> None:
    from labguide.engine.costs import full_lab_hourly, hourly_cost

    session = open_session()
    session.run_all()

    assert hourly_cost(catalog, session.state) == pytest.approx(
        full_lab_hourly(catalog)
    )
