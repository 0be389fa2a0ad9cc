"""Step 1: the VPC, two public subnets, an internet gateway and a route."""

from __future__ import annotations

from typing import Any

from labguide.aws.errors import is_error
from labguide.catalog.parameters import NetworkParams
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource

STEP = "network"


def _tag_spec(ctx: LabContext, kind: str, name: str) -> list[dict[str, Any]]:
    return [
        {
            "ResourceType": kind,
            "Tags": [*ctx.tags(STEP), {"Key": "Name", "Value": name}],
        }
    ]


def _named(ctx: LabContext, name: str) -> list[dict[str, Any]]:
    return [*ctx.ownership_filters(), {"Name": "tag:Name", "Values": [name]}]


def find_vpc(ctx: LabContext) -> dict[str, Any] | None:
    """The lab's VPC, found by its Name tag and the lab's tags."""
    params = ctx.params(NetworkParams)
    vpcs = ctx.clients.ec2.describe_vpcs(Filters=_named(ctx, params.vpc_name))["Vpcs"]
    return vpcs[0] if vpcs else None


def find_subnets(ctx: LabContext, vpc_id: str) -> dict[str, dict[str, Any]]:
    """The lab's subnets in `vpc_id`, keyed by Name tag."""
    answer = ctx.clients.ec2.describe_subnets(
        Filters=[*ctx.ownership_filters(), {"Name": "vpc-id", "Values": [vpc_id]}]
    )
    found: dict[str, dict[str, Any]] = {}
    for subnet in answer["Subnets"]:
        name = _name_tag(subnet)
        if name:
            found[name] = subnet
    return found


def _name_tag(item: dict[str, Any]) -> str:
    for tag in item.get("Tags", []):
        if tag["Key"] == "Name":
            return str(tag["Value"])
    return ""


def zones(ctx: LabContext) -> list[str]:
    """The region's available zones, in name order."""
    answer = ctx.clients.ec2.describe_availability_zones(
        Filters=[{"Name": "state", "Values": ["available"]}]
    )
    return sorted(zone["ZoneName"] for zone in answer["AvailabilityZones"])


def find(ctx: LabContext) -> list[Resource]:
    """What of the network exists."""
    params = ctx.params(NetworkParams)
    vpc = find_vpc(ctx)
    if vpc is None:
        return []
    found = [Resource("vpc", vpc["VpcId"], params.vpc_name)]
    subnets = find_subnets(ctx, vpc["VpcId"])
    for spec in params.subnets:
        if spec.name in subnets:
            found.append(Resource("subnet", subnets[spec.name]["SubnetId"], spec.name))
    ec2 = ctx.clients.ec2
    gateways = ec2.describe_internet_gateways(
        Filters=_named(ctx, params.internet_gateway_name)
    )["InternetGateways"]
    if gateways:
        found.append(
            Resource(
                "internet-gateway",
                gateways[0]["InternetGatewayId"],
                params.internet_gateway_name,
            )
        )
    tables = ec2.describe_route_tables(Filters=_named(ctx, params.route_table_name))
    if tables["RouteTables"]:
        table = tables["RouteTables"][0]
        found.append(
            Resource("route-table", table["RouteTableId"], params.route_table_name)
        )
    return found


def ensure(ctx: LabContext) -> Outcome:
    """Creates what of the network is missing and repairs what drifted."""
    params = ctx.params(NetworkParams)
    ec2 = ctx.clients.ec2
    outcome = Outcome()

    vpc = find_vpc(ctx)
    if vpc is None:
        vpc = ec2.create_vpc(
            CidrBlock=params.vpc_cidr,
            TagSpecifications=_tag_spec(ctx, "vpc", params.vpc_name),
        )["Vpc"]
        ctx.report(Event(STEP, "created", f"VPC {params.vpc_cidr}", vpc["VpcId"]))
        created_vpc = True
    else:
        ctx.report(Event(STEP, "found", "VPC", vpc["VpcId"]))
        created_vpc = False
    vpc_id = vpc["VpcId"]
    outcome.add(Resource("vpc", vpc_id, params.vpc_name), created_vpc)
    # Public DNS names for the instances (the article's pitfall 2 is told by
    # one instance having one and the other not).
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})

    available = zones(ctx)
    existing = find_subnets(ctx, vpc_id)
    subnet_ids: list[str] = []
    for spec in params.subnets:
        subnet = existing.get(spec.name)
        if subnet is None:
            zone = available[spec.zone_index % len(available)]
            subnet = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=spec.cidr,
                AvailabilityZone=zone,
                TagSpecifications=_tag_spec(ctx, "subnet", spec.name),
            )["Subnet"]
            ctx.report(
                Event(
                    STEP, "created", f"subnet {spec.cidr} in {zone}", subnet["SubnetId"]
                )
            )
            outcome.add(Resource("subnet", subnet["SubnetId"], spec.name), True)
        else:
            ctx.report(Event(STEP, "found", f"subnet {spec.name}", subnet["SubnetId"]))
            outcome.add(Resource("subnet", subnet["SubnetId"], spec.name))
        if bool(subnet.get("MapPublicIpOnLaunch")) != spec.map_public_ip:
            ec2.modify_subnet_attribute(
                SubnetId=subnet["SubnetId"],
                MapPublicIpOnLaunch={"Value": spec.map_public_ip},
            )
            ctx.report(
                Event(
                    STEP,
                    "updated",
                    f"auto-assign public IPv4 set to {spec.map_public_ip}",
                    subnet["SubnetId"],
                )
            )
        subnet_ids.append(subnet["SubnetId"])

    gateway_id = _ensure_gateway(ctx, params, vpc_id, outcome)
    _ensure_routes(ctx, params, vpc_id, gateway_id, subnet_ids, outcome)
    return outcome


def _ensure_gateway(
    ctx: LabContext, params: NetworkParams, vpc_id: str, outcome: Outcome
) -> str:
    ec2 = ctx.clients.ec2
    gateways = ec2.describe_internet_gateways(
        Filters=_named(ctx, params.internet_gateway_name)
    )["InternetGateways"]
    if gateways:
        gateway = gateways[0]
        created = False
        ctx.report(
            Event(STEP, "found", "internet gateway", gateway["InternetGatewayId"])
        )
    else:
        gateway = ec2.create_internet_gateway(
            TagSpecifications=_tag_spec(
                ctx, "internet-gateway", params.internet_gateway_name
            )
        )["InternetGateway"]
        created = True
        ctx.report(
            Event(STEP, "created", "internet gateway", gateway["InternetGatewayId"])
        )
    gateway_id = str(gateway["InternetGatewayId"])
    attached = {a["VpcId"] for a in gateway.get("Attachments", [])}
    if vpc_id not in attached:
        ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc_id)
        ctx.report(
            Event(STEP, "updated", "internet gateway attached to the VPC", gateway_id)
        )
    outcome.add(
        Resource("internet-gateway", gateway_id, params.internet_gateway_name), created
    )
    return gateway_id


def _ensure_routes(
    ctx: LabContext,
    params: NetworkParams,
    vpc_id: str,
    gateway_id: str,
    subnet_ids: list[str],
    outcome: Outcome,
) -> None:
    ec2 = ctx.clients.ec2
    tables = ec2.describe_route_tables(Filters=_named(ctx, params.route_table_name))[
        "RouteTables"
    ]
    if tables:
        table = tables[0]
        created = False
        ctx.report(Event(STEP, "found", "route table", table["RouteTableId"]))
    else:
        table = ec2.create_route_table(
            VpcId=vpc_id,
            TagSpecifications=_tag_spec(ctx, "route-table", params.route_table_name),
        )["RouteTable"]
        created = True
        ctx.report(Event(STEP, "created", "public route table", table["RouteTableId"]))
    table_id = str(table["RouteTableId"])
    outcome.add(Resource("route-table", table_id, params.route_table_name), created)

    default = [
        r
        for r in table.get("Routes", [])
        if r.get("DestinationCidrBlock") == "0.0.0.0/0"
    ]
    if not default:
        ec2.create_route(
            RouteTableId=table_id,
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=gateway_id,
        )
        ctx.report(
            Event(STEP, "created", "route 0.0.0.0/0 to the internet gateway", table_id)
        )
    elif default[0].get("GatewayId") != gateway_id:
        ec2.replace_route(
            RouteTableId=table_id,
            DestinationCidrBlock="0.0.0.0/0",
            GatewayId=gateway_id,
        )
        ctx.report(
            Event(STEP, "updated", "route 0.0.0.0/0 now goes to the gateway", table_id)
        )

    associated = {a.get("SubnetId") for a in table.get("Associations", [])}
    for subnet_id in subnet_ids:
        if subnet_id in associated:
            continue
        try:
            ec2.associate_route_table(RouteTableId=table_id, SubnetId=subnet_id)
        except Exception as error:
            if not is_error(error, "Resource.AlreadyAssociated"):
                raise
        ctx.report(
            Event(STEP, "updated", "subnet associated with the route table", subnet_id)
        )
