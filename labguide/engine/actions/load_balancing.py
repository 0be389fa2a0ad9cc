"""Steps 5 and 6: the target group, and the ALB with its listener."""

from __future__ import annotations

from typing import Any

from labguide.aws.errors import is_error
from labguide.catalog.parameters import (
    LoadBalancerParams,
    NetworkParams,
    TargetGroupParams,
)
from labguide.engine.actions.network import find_subnets, find_vpc
from labguide.engine.actions.security_groups import find_groups
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource
from labguide.errors import LabguideError

TG_STEP = "target-group"
ALB_STEP = "alb"


def _tags_of(ctx: LabContext, arn: str) -> dict[str, str]:
    descriptions = ctx.clients.elbv2.describe_tags(ResourceArns=[arn])[
        "TagDescriptions"
    ]
    if not descriptions:
        return {}
    return {t["Key"]: t["Value"] for t in descriptions[0].get("Tags", [])}


def find_target_group(ctx: LabContext) -> dict[str, Any] | None:
    """The lab's target group, or None."""
    params = ctx.params(TargetGroupParams)
    try:
        groups = ctx.clients.elbv2.describe_target_groups(Names=[params.name])[
            "TargetGroups"
        ]
    except Exception as error:
        if is_error(error, "TargetGroupNotFound"):
            return None
        raise
    for group in groups:
        if ctx.owns(_tags_of(ctx, group["TargetGroupArn"])):
            return dict(group)
    return None


def find_load_balancer(ctx: LabContext) -> dict[str, Any] | None:
    """The lab's load balancer, or None."""
    params = ctx.params(LoadBalancerParams)
    try:
        balancers = ctx.clients.elbv2.describe_load_balancers(Names=[params.name])[
            "LoadBalancers"
        ]
    except Exception as error:
        if is_error(error, "LoadBalancerNotFound"):
            return None
        raise
    for balancer in balancers:
        if ctx.owns(_tags_of(ctx, balancer["LoadBalancerArn"])):
            return dict(balancer)
    return None


def find_target_group_resources(ctx: LabContext) -> list[Resource]:
    """The target group, if it exists."""
    group = find_target_group(ctx)
    if group is None:
        return []
    return [Resource("target-group", group["TargetGroupArn"], group["TargetGroupName"])]


def find_load_balancer_resources(ctx: LabContext) -> list[Resource]:
    """The load balancer and its listener, if they exist."""
    balancer = find_load_balancer(ctx)
    if balancer is None:
        return []
    found = [
        Resource(
            "load-balancer",
            balancer["LoadBalancerArn"],
            balancer["LoadBalancerName"],
            billable=True,
        )
    ]
    for listener in ctx.clients.elbv2.describe_listeners(
        LoadBalancerArn=balancer["LoadBalancerArn"]
    )["Listeners"]:
        found.append(
            Resource("listener", listener["ListenerArn"], str(listener["Port"]))
        )
    return found


def ensure_target_group(ctx: LabContext) -> Outcome:
    """Creates the target group, or brings its health check back to the
    catalog's; sets a short deregistration delay either way."""
    params = ctx.params(TargetGroupParams)
    elbv2 = ctx.clients.elbv2
    outcome = Outcome()
    settings = {
        "HealthCheckProtocol": params.protocol,
        "HealthCheckPath": params.health_check_path,
        "HealthCheckIntervalSeconds": params.health_check_interval_seconds,
        "HealthyThresholdCount": params.healthy_threshold,
        "UnhealthyThresholdCount": params.unhealthy_threshold,
        "Matcher": {"HttpCode": params.matcher},
    }

    group = find_target_group(ctx)
    if group is None:
        vpc = find_vpc(ctx)
        if vpc is None:
            raise LabguideError(
                "The lab's VPC does not exist yet.", "Run step 1 (network) first."
            )
        group = elbv2.create_target_group(
            Name=params.name,
            Protocol=params.protocol,
            Port=params.port,
            VpcId=vpc["VpcId"],
            TargetType=params.target_type,
            Tags=ctx.tags(TG_STEP),
            **settings,
        )["TargetGroups"][0]
        ctx.report(
            Event(
                TG_STEP,
                "created",
                f"target group {params.name}",
                group["TargetGroupArn"],
            )
        )
        outcome.add(
            Resource("target-group", group["TargetGroupArn"], params.name), True
        )
    else:
        outcome.add(Resource("target-group", group["TargetGroupArn"], params.name))
        drift = [
            key
            for key, value in settings.items()
            if key != "Matcher" and group.get(key) != value
        ]
        if group.get("Matcher", {}).get("HttpCode") != params.matcher:
            drift.append("Matcher")
        if drift:
            elbv2.modify_target_group(
                TargetGroupArn=group["TargetGroupArn"], **settings
            )
            ctx.report(
                Event(
                    TG_STEP,
                    "updated",
                    "health check set back to the lab's (" + ", ".join(drift) + ")",
                    group["TargetGroupArn"],
                )
            )
        else:
            ctx.report(
                Event(
                    TG_STEP,
                    "found",
                    f"target group {params.name}",
                    group["TargetGroupArn"],
                )
            )

    # AWS drains for 300 s by default, which only slows the lab's teardown.
    elbv2.modify_target_group_attributes(
        TargetGroupArn=group["TargetGroupArn"],
        Attributes=[
            {
                "Key": "deregistration_delay.timeout_seconds",
                "Value": str(params.deregistration_delay_seconds),
            }
        ],
    )
    return outcome


def ensure_load_balancer(ctx: LabContext) -> Outcome:
    """Creates the internet-facing ALB in both public subnets and its HTTP
    listener. It does not wait for `active`: nothing that follows needs it
    except the checks, which wait by themselves."""
    params = ctx.params(LoadBalancerParams)
    network = ctx.params(NetworkParams)
    elbv2 = ctx.clients.elbv2
    outcome = Outcome()

    group = find_target_group(ctx)
    if group is None:
        raise LabguideError(
            f"The target group {params.target_group} does not exist yet.",
            "Run step 5 (target-group) first.",
        )
    balancer = find_load_balancer(ctx)
    if balancer is None:
        vpc = find_vpc(ctx)
        sgs = find_groups(ctx)
        if vpc is None or params.security_group not in sgs:
            raise LabguideError(
                "The VPC or the ALB's security group does not exist yet.",
                "Run steps 1 (network) and 3 (security-groups) first.",
            )
        subnets = find_subnets(ctx, vpc["VpcId"])
        subnet_ids = [
            subnets[s.name]["SubnetId"] for s in network.subnets if s.name in subnets
        ]
        balancer = elbv2.create_load_balancer(
            Name=params.name,
            Subnets=subnet_ids,
            SecurityGroups=[sgs[params.security_group]["GroupId"]],
            Scheme=params.scheme,
            Type="application",
            IpAddressType=params.ip_address_type,
            Tags=ctx.tags(ALB_STEP),
        )["LoadBalancers"][0]
        ctx.report(
            Event(
                ALB_STEP,
                "created",
                f"load balancer {params.name}: {balancer['DNSName']}",
                balancer["LoadBalancerArn"],
            )
        )
        outcome.add(
            Resource("load-balancer", balancer["LoadBalancerArn"], params.name, True),
            True,
        )
    else:
        ctx.report(
            Event(
                ALB_STEP,
                "found",
                f"load balancer {balancer['DNSName']}",
                balancer["LoadBalancerArn"],
            )
        )
        outcome.add(
            Resource("load-balancer", balancer["LoadBalancerArn"], params.name, True)
        )

    arn = balancer["LoadBalancerArn"]
    forward = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    listeners = elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]
    listener = next((x for x in listeners if x["Port"] == params.listener_port), None)
    if listener is None:
        listener = elbv2.create_listener(
            LoadBalancerArn=arn,
            Protocol=params.listener_protocol,
            Port=params.listener_port,
            DefaultActions=forward,
            Tags=ctx.tags(ALB_STEP),
        )["Listeners"][0]
        ctx.report(
            Event(
                ALB_STEP,
                "created",
                f"listener {params.listener_protocol} {params.listener_port} → "
                f"{params.target_group}",
                listener["ListenerArn"],
            )
        )
        outcome.add(
            Resource("listener", listener["ListenerArn"], str(params.listener_port)),
            True,
        )
    else:
        targets = [a.get("TargetGroupArn") for a in listener.get("DefaultActions", [])]
        if targets != [group["TargetGroupArn"]]:
            elbv2.modify_listener(
                ListenerArn=listener["ListenerArn"], DefaultActions=forward
            )
            ctx.report(
                Event(
                    ALB_STEP,
                    "updated",
                    "listener forwards to the target group again",
                    listener["ListenerArn"],
                )
            )
        outcome.add(
            Resource("listener", listener["ListenerArn"], str(params.listener_port))
        )
    return outcome
