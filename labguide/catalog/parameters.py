"""The parameters each action takes, as the catalog writes them.

Every value the article names lives in `steps.yaml`; these models say which
values each action needs, so a typo in the catalog is caught when it loads,
not halfway through creating a load balancer.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field, StringConstraints
from pydantic.fields import FieldInfo

from labguide.catalog.models import Strict


class _ResourceNameMark:
    """Marks a field as a resource name, which a participant's name scopes."""


RESOURCE_NAME = _ResourceNameMark()

ResourceName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9-]*$", max_length=64),
    RESOURCE_NAME,
]
"""A resource name as the article writes it (it starts with the lab's prefix)."""


def is_resource_name(field: FieldInfo) -> bool:
    """Whether a model field holds a resource name (possibly optional)."""
    if RESOURCE_NAME in field.metadata:
        return True
    return any(
        RESOURCE_NAME in getattr(arg, "__metadata__", ()) for arg in _args(field)
    )


def _args(field: FieldInfo) -> tuple[Any, ...]:
    return get_args(field.annotation)


Cidr = Annotated[str, StringConstraints(pattern=r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")]
"""An IPv4 CIDR block such as `10.0.0.0/16`."""


class SubnetSpec(Strict):
    """A public subnet in one availability zone."""

    name: ResourceName
    """The subnet's Name tag."""
    cidr: Cidr
    """The subnet's CIDR block, inside the VPC's."""
    zone_index: int = Field(ge=0, le=5)
    """Which of the region's availability zones (0 is the first)."""
    map_public_ip: bool
    """Auto-assign public IPv4 (the article's second pitfall when off)."""


class NetworkParams(Strict):
    """Step 1: a VPC with public subnets in two zones and a route out."""

    vpc_name: ResourceName
    """The VPC's Name tag."""
    vpc_cidr: Cidr
    """The VPC's CIDR block."""
    subnets: list[SubnetSpec] = Field(min_length=2)
    """The public subnets; an ALB needs at least two zones."""
    internet_gateway_name: ResourceName
    """The internet gateway's Name tag."""
    route_table_name: ResourceName
    """The public route table's Name tag."""


class RoleParams(Strict):
    """Step 2: the role the instances run as."""

    role_name: ResourceName
    """The role's name, as the article gives it."""
    trusted_service: str
    """The service allowed to assume the role."""
    managed_policies: list[str] = Field(min_length=1)
    """AWS managed policies to attach, by name."""
    instance_profile_name: ResourceName
    """The instance profile that carries the role to EC2."""


class Rule(Strict):
    """One security group rule."""

    protocol: Literal["tcp", "udp", "icmp", "all"]
    """The IP protocol, or `all`."""
    port: int | None = Field(default=None, ge=0, le=65535)
    """The port (none for `all`)."""
    cidr: Cidr | None = None
    """The peer as a CIDR block."""
    group: ResourceName | None = None
    """The peer as another of the lab's security groups, by name."""
    description: str = ""
    """Why the rule exists."""


class SecurityGroupSpec(Strict):
    """A security group and its rules."""

    name: ResourceName
    """The group's name."""
    description: str
    """The group's description."""
    ingress: list[Rule]
    """Inbound rules."""
    egress: list[Rule]
    """Outbound rules."""


class SecurityGroupsParams(Strict):
    """Step 3: the ALB's and the instances' security groups."""

    groups: list[SecurityGroupSpec] = Field(min_length=1)
    """The groups, the ALB's first."""
    load_balancer_group: ResourceName
    """The group the load balancer uses."""
    instance_group: ResourceName
    """The group the instances use: reachable from the ALB only."""


class LaunchTemplateParams(Strict):
    """Step 4: how every instance of the group is launched."""

    name: ResourceName
    """The launch template's name."""
    ami_parameter: str
    """The public SSM parameter that names the latest Amazon Linux 2023 AMI."""
    instance_type: str
    """The instance type."""
    key_pair: None = None
    """No key pair: Session Manager replaces SSH."""
    instance_profile: ResourceName
    """The instance profile (from step 2)."""
    security_group: ResourceName
    """The instances' security group (from step 3)."""
    user_data: str
    """The user data script, a file name under `userdata/`."""
    http_tokens: Literal["required", "optional"]
    """IMDSv2: `required` refuses the token-less metadata calls of IMDSv1."""
    volume_size_gb: int = Field(ge=8, le=64)
    """The root volume's size."""
    volume_type: str
    """The root volume's type."""
    page_title: str
    """The heading the user data writes into the nginx page."""


class TargetGroupParams(Strict):
    """Step 5: the target group the ALB forwards to."""

    name: ResourceName
    """The target group's name (at most 32 characters in AWS)."""
    target_type: Literal["instance", "ip"]
    """What is registered: instances."""
    protocol: Literal["HTTP", "HTTPS"]
    """The protocol to the targets."""
    port: int = Field(ge=1, le=65535)
    """The port on the targets."""
    health_check_path: str
    """The path the health check requests."""
    health_check_interval_seconds: int = Field(ge=5, le=300)
    """Seconds between health checks."""
    healthy_threshold: int = Field(ge=2, le=10)
    """Passing checks in a row before a target is healthy."""
    unhealthy_threshold: int = Field(ge=2, le=10)
    """Failing checks in a row before a target is unhealthy."""
    matcher: str
    """The HTTP codes that count as healthy."""
    deregistration_delay_seconds: int = Field(ge=0, le=3600)
    """How long a leaving target drains (AWS's default of 300 slows teardown)."""


class LoadBalancerParams(Strict):
    """Step 6: the internet-facing Application Load Balancer."""

    name: ResourceName
    """The load balancer's name (at most 32 characters in AWS)."""
    scheme: Literal["internet-facing", "internal"]
    """Reachable from the internet, or only inside the VPC."""
    ip_address_type: Literal["ipv4", "dualstack"]
    """The address family."""
    security_group: ResourceName
    """The load balancer's security group (from step 3)."""
    listener_protocol: Literal["HTTP", "HTTPS"]
    """The listener's protocol."""
    listener_port: int = Field(ge=1, le=65535)
    """The listener's port."""
    target_group: ResourceName
    """Where the listener forwards (from step 5)."""


class AutoScalingParams(Strict):
    """Step 7: the Auto Scaling group of nginx instances."""

    name: ResourceName
    """The group's name."""
    launch_template: ResourceName
    """The launch template (from step 4)."""
    target_group: ResourceName
    """The target group it registers its instances in (from step 5)."""
    health_check_type: Literal["ELB", "EC2"]
    """ELB: replace instances that fail the load balancer's health check."""
    health_check_grace_period_seconds: int = Field(ge=0, le=7200)
    """Time for nginx to install before health checks count (the API's
    default is 0, the console's 300)."""
    min_size: int = Field(ge=0)
    """The fewest instances."""
    max_size: int = Field(ge=1)
    """The most instances."""
    desired_capacity: int = Field(ge=0)
    """How many instances to run."""


class SessionManagerParams(Strict):
    """Step 8: nothing to create; labguide confirms the managed nodes."""

    required_policy: str
    """The managed policy the instance role needs for Session Manager."""
    https_port: int = Field(ge=1, le=65535)
    """The outbound port the agent uses to reach the SSM endpoints."""


class AlarmParams(Strict):
    """Step 9: the ALB 5XX alarm with an SNS email notification."""

    topic_name: ResourceName
    """The SNS topic the alarm notifies."""
    subscription_protocol: Literal["email"]
    """The subscription's protocol (the address comes from `--email`)."""
    alarm_name: ResourceName
    """The alarm's name."""
    namespace: str
    """The metric's namespace."""
    metric_name: str
    """The metric."""
    statistic: Literal["Sum", "Average", "Maximum", "Minimum", "SampleCount"]
    """How data points are combined."""
    period_seconds: int = Field(ge=10)
    """The period the statistic covers (the article's 5 minutes)."""
    evaluation_periods: int = Field(ge=1)
    """Periods evaluated."""
    threshold: float
    """The threshold."""
    comparison: Literal[
        "GreaterThanThreshold",
        "GreaterThanOrEqualToThreshold",
        "LessThanThreshold",
        "LessThanOrEqualToThreshold",
    ]
    """How the statistic is compared with the threshold."""
    treat_missing_data: Literal["notBreaching", "breaching", "ignore", "missing"]
    """ALB metrics exist only while requests flow: missing data is not a breach."""


class LogGroupsParams(Strict):
    """Step 10: the two log groups the CloudWatch agent ships nginx logs to."""

    access_log_group: ResourceName
    """Where nginx's access log goes."""
    error_log_group: ResourceName
    """Where nginx's error log goes."""
    retention_days: int = Field(ge=1)
    """How long events are kept (CloudWatch Logs accepts set values only)."""
    access_log_path: str
    """The access log's path on the instance."""
    error_log_path: str
    """The error log's path on the instance."""


class CloudTrailParams(Strict):
    """Step 11: the CloudTrail event history the article looks up."""

    events: list[str] = Field(min_length=1)
    """The API calls whose events the article shows."""
    lookback_hours: int = Field(ge=1, le=2160)
    """How far back to look (event history keeps 90 days)."""


class BackupParams(Strict):
    """Step 12: the backup plan, its selection and one on-demand job."""

    vault_name: ResourceName
    """The backup vault the recovery points go to."""
    plan_name: ResourceName
    """The backup plan's name."""
    rule_name: ResourceName
    """The plan's rule."""
    schedule: str
    """The rule's schedule (daily)."""
    start_window_minutes: int = Field(ge=60)
    """How long a scheduled job may wait to start (AWS's minimum is 60)."""
    retention_days: int = Field(ge=1)
    """How long recovery points are kept."""
    selection_name: ResourceName
    """The selection that assigns resources by tag."""
    selection_resource_type: str
    """The ARN pattern of resources the selection covers."""
    role_name: ResourceName
    """The service role AWS Backup uses."""
    role_policy: str
    """The managed policy that role carries."""
    on_demand: bool
    """Start one backup now, so the history the article asks for exists."""


class TeardownParams(Strict):
    """The cleanup step: delete everything the lab created."""

    keep_log_groups: bool
    """Keep the nginx log groups (their retention deletes events anyway)."""


ACTION_PARAMETERS: dict[str, type[Strict]] = {
    "create-network": NetworkParams,
    "create-instance-role": RoleParams,
    "create-security-groups": SecurityGroupsParams,
    "create-launch-template": LaunchTemplateParams,
    "create-target-group": TargetGroupParams,
    "create-load-balancer": LoadBalancerParams,
    "create-auto-scaling-group": AutoScalingParams,
    "confirm-managed-nodes": SessionManagerParams,
    "create-alarm": AlarmParams,
    "create-log-groups": LogGroupsParams,
    "look-up-events": CloudTrailParams,
    "create-backup-plan": BackupParams,
    "tear-down": TeardownParams,
}
"""Every action the catalog may name, with the parameters it takes."""
