"""Fixtures for the sandbox's tests: a sandbox on loopback, and the lab built
in it with raw boto3, the way the article builds it, names from the catalog."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from labguide.aws.target import Target
from labguide.catalog import load_catalog
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
from labguide.sandbox import Sandbox
from labguide.userdata import render

REGION = "us-east-1"
EMAIL = "learner@example.com"


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture
def sandbox(tmp_path: Any) -> Iterator[Sandbox]:
    with Sandbox(time_scale=0) as running:
        yield running


def clients(target: Target) -> Callable[[str], Any]:
    """A factory of boto3 clients for the target (few retries: faults show)."""
    return target.plain_clients(max_attempts=2)


@dataclass
class Lab:
    """The lab's resources, as built."""

    client: Callable[[str], Any]
    catalog: Catalog
    participant: str | None
    ids: dict[str, Any] = field(default_factory=dict)

    def tags(self, step: str) -> list[dict[str, str]]:
        keys = self.catalog.lab.tag_keys
        return [
            {"Key": keys.lab, "Value": self.catalog.lab.id},
            {"Key": keys.participant, "Value": self.participant or ""},
            {"Key": keys.step, "Value": step},
        ]

    def params(self, model: type) -> Any:
        return parameters_of(self.catalog, model, self.participant)

    def group_instances(self) -> list[dict[str, Any]]:
        name = self.params(AutoScalingParams).name
        group = self.client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[name]
        )["AutoScalingGroups"][0]
        ids = [i["InstanceId"] for i in group["Instances"]]
        reservations = self.client("ec2").describe_instances(InstanceIds=ids)
        return [i for r in reservations["Reservations"] for i in r["Instances"]]

    def health(self) -> list[dict[str, Any]]:
        return self.client("elbv2").describe_target_health(
            TargetGroupArn=self.ids["target_group"]
        )["TargetHealthDescriptions"]


def build_lab(
    target: Target,
    catalog: Catalog,
    participant: str | None = None,
    user_data: str | None = None,
) -> Lab:
    """Builds the article's lab with boto3, step by step."""
    client = clients(target)
    lab = Lab(client, catalog, participant)
    ec2, iam = client("ec2"), client("iam")

    network = lab.params(NetworkParams)
    vpc = ec2.create_vpc(
        CidrBlock=network.vpc_cidr,
        TagSpecifications=[
            {
                "ResourceType": "vpc",
                "Tags": [
                    {"Key": "Name", "Value": network.vpc_name},
                    *lab.tags("network"),
                ],
            }
        ],
    )["Vpc"]["VpcId"]
    zones = [
        z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]
    ]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(
        RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw
    )
    subnets = []
    for spec in network.subnets:
        subnet = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=spec.cidr,
            AvailabilityZone=zones[spec.zone_index],
            TagSpecifications=[
                {
                    "ResourceType": "subnet",
                    "Tags": [{"Key": "Name", "Value": spec.name}, *lab.tags("network")],
                }
            ],
        )["Subnet"]["SubnetId"]
        ec2.modify_subnet_attribute(
            SubnetId=subnet, MapPublicIpOnLaunch={"Value": spec.map_public_ip}
        )
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        subnets.append(subnet)
    lab.ids.update(vpc=vpc, subnets=subnets, igw=igw, route_table=table)

    role = lab.params(RoleParams)
    iam.create_role(
        RoleName=role.role_name,
        AssumeRolePolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
            f'{{"Service":"{role.trusted_service}"}},"Action":"sts:AssumeRole"}}]}}'
        ),
    )
    for policy in role.managed_policies:
        iam.attach_role_policy(
            RoleName=role.role_name, PolicyArn=f"arn:aws:iam::aws:policy/{policy}"
        )
    iam.create_instance_profile(InstanceProfileName=role.instance_profile_name)
    iam.add_role_to_instance_profile(
        InstanceProfileName=role.instance_profile_name, RoleName=role.role_name
    )

    groups = lab.params(SecurityGroupsParams)
    group_ids: dict[str, str] = {}
    for spec in groups.groups:
        group_ids[spec.name] = ec2.create_security_group(
            GroupName=spec.name, Description=spec.description, VpcId=vpc
        )["GroupId"]
    for spec in groups.groups:
        for rule in spec.ingress:
            permission: dict[str, Any] = {
                "IpProtocol": "-1" if rule.protocol == "all" else rule.protocol,
            }
            if rule.port is not None:
                permission.update(FromPort=rule.port, ToPort=rule.port)
            if rule.cidr:
                permission["IpRanges"] = [{"CidrIp": rule.cidr}]
            if rule.group:
                permission["UserIdGroupPairs"] = [{"GroupId": group_ids[rule.group]}]
            ec2.authorize_security_group_ingress(
                GroupId=group_ids[spec.name], IpPermissions=[permission]
            )
    lab.ids["groups"] = group_ids

    template = lab.params(LaunchTemplateParams)
    image = client("ssm").get_parameter(Name=template.ami_parameter)["Parameter"][
        "Value"
    ]
    script = user_data if user_data is not None else render(catalog, participant)
    lab.ids["template"] = ec2.create_launch_template(
        LaunchTemplateName=template.name,
        LaunchTemplateData={
            "ImageId": image,
            "InstanceType": template.instance_type,
            "IamInstanceProfile": {"Name": template.instance_profile},
            "SecurityGroupIds": [group_ids[template.security_group]],
            "UserData": base64.b64encode(script.encode()).decode(),
            "MetadataOptions": {"HttpTokens": template.http_tokens},
        },
    )["LaunchTemplate"]["LaunchTemplateId"]

    elbv2 = client("elbv2")
    target_group = lab.params(TargetGroupParams)
    lab.ids["target_group"] = elbv2.create_target_group(
        Name=target_group.name,
        Protocol=target_group.protocol,
        Port=target_group.port,
        VpcId=vpc,
        TargetType=target_group.target_type,
        HealthCheckPath=target_group.health_check_path,
        HealthCheckIntervalSeconds=target_group.health_check_interval_seconds,
        HealthyThresholdCount=target_group.healthy_threshold,
        UnhealthyThresholdCount=target_group.unhealthy_threshold,
        Matcher={"HttpCode": target_group.matcher},
    )["TargetGroups"][0]["TargetGroupArn"]

    balancer = lab.params(LoadBalancerParams)
    created = elbv2.create_load_balancer(
        Name=balancer.name,
        Subnets=subnets,
        SecurityGroups=[group_ids[balancer.security_group]],
        Scheme=balancer.scheme,
        Type="application",
        IpAddressType=balancer.ip_address_type,
    )["LoadBalancers"][0]
    lab.ids["balancer"] = created["LoadBalancerArn"]
    elbv2.create_listener(
        LoadBalancerArn=created["LoadBalancerArn"],
        Protocol=balancer.listener_protocol,
        Port=balancer.listener_port,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": lab.ids["target_group"]}],
    )

    logs = lab.params(LogGroupsParams)
    for name in (logs.access_log_group, logs.error_log_group):
        client("logs").create_log_group(logGroupName=name)

    group = lab.params(AutoScalingParams)
    client("autoscaling").create_auto_scaling_group(
        AutoScalingGroupName=group.name,
        LaunchTemplate={"LaunchTemplateName": template.name, "Version": "$Latest"},
        MinSize=group.min_size,
        MaxSize=group.max_size,
        DesiredCapacity=group.desired_capacity,
        VPCZoneIdentifier=",".join(subnets),
        TargetGroupARNs=[lab.ids["target_group"]],
        HealthCheckType=group.health_check_type,
        HealthCheckGracePeriod=group.health_check_grace_period_seconds,
    )

    alarm = lab.params(AlarmParams)
    topic = client("sns").create_topic(Name=alarm.topic_name)["TopicArn"]
    client("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint=EMAIL)
    suffix = created["LoadBalancerArn"].split(":loadbalancer/", 1)[1]
    client("cloudwatch").put_metric_alarm(
        AlarmName=alarm.alarm_name,
        Namespace=alarm.namespace,
        MetricName=alarm.metric_name,
        Statistic=alarm.statistic,
        Period=alarm.period_seconds,
        EvaluationPeriods=alarm.evaluation_periods,
        Threshold=alarm.threshold,
        ComparisonOperator=alarm.comparison,
        TreatMissingData=alarm.treat_missing_data,
        Dimensions=[{"Name": "LoadBalancer", "Value": suffix}],
        AlarmActions=[topic],
    )
    lab.ids.update(topic=topic)

    backup = lab.params(BackupParams)
    iam.create_role(
        RoleName=backup.role_name,
        AssumeRolePolicyDocument=(
            '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
            '{"Service":"backup.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
        ),
    )
    iam.attach_role_policy(
        RoleName=backup.role_name,
        PolicyArn=f"arn:aws:iam::aws:policy/service-role/{backup.role_policy}",
    )
    role_arn = iam.get_role(RoleName=backup.role_name)["Role"]["Arn"]
    service = client("backup")
    service.create_backup_vault(BackupVaultName=backup.vault_name)
    plan = service.create_backup_plan(
        BackupPlan={
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
    )["BackupPlanId"]
    keys = catalog.lab.tag_keys
    service.create_backup_selection(
        BackupPlanId=plan,
        BackupSelection={
            "SelectionName": backup.selection_name,
            "IamRoleArn": role_arn,
            "Resources": [backup.selection_resource_type],
            "ListOfTags": [
                {
                    "ConditionType": "STRINGEQUALS",
                    "ConditionKey": keys.lab,
                    "ConditionValue": catalog.lab.id,
                }
            ],
        },
    )
    lab.ids.update(plan=plan, backup_role=role_arn)
    return lab


def wait_for(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Polls until `condition` returns something true."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture
def lab(sandbox: Sandbox, catalog: Catalog) -> Lab:
    return build_lab(sandbox.target(REGION), catalog)
