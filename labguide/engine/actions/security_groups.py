"""Step 3: the ALB's security group and the instances' (reachable from the
ALB's group only; no SSH anywhere)."""

from __future__ import annotations

from typing import Any

from labguide.aws.errors import is_error
from labguide.catalog.parameters import NetworkParams, Rule, SecurityGroupsParams
from labguide.engine.actions.network import find_vpc
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource
from labguide.errors import LabguideError

STEP = "security-groups"


def find_groups(
    ctx: LabContext, vpc_id: str | None = None
) -> dict[str, dict[str, Any]]:
    """The lab's security groups by name."""
    params = ctx.params(SecurityGroupsParams)
    filters: list[dict[str, Any]] = [
        *ctx.ownership_filters(),
        {"Name": "group-name", "Values": [g.name for g in params.groups]},
    ]
    if vpc_id:
        filters.append({"Name": "vpc-id", "Values": [vpc_id]})
    answer = ctx.clients.ec2.describe_security_groups(Filters=filters)
    return {g["GroupName"]: g for g in answer["SecurityGroups"]}


def find(ctx: LabContext) -> list[Resource]:
    """The lab's security groups that exist."""
    return [
        Resource("security-group", group["GroupId"], name)
        for name, group in find_groups(ctx).items()
    ]


def permission(rule: Rule, group_ids: dict[str, str]) -> dict[str, Any]:
    """The IpPermission a catalog rule stands for."""
    entry: dict[str, Any] = {
        "IpProtocol": "-1" if rule.protocol == "all" else rule.protocol
    }
    if rule.protocol != "all" and rule.port is not None:
        entry["FromPort"] = rule.port
        entry["ToPort"] = rule.port
    if rule.cidr:
        entry["IpRanges"] = [{"CidrIp": rule.cidr, "Description": rule.description}]
    if rule.group:
        entry["UserIdGroupPairs"] = [
            {"GroupId": group_ids[rule.group], "Description": rule.description}
        ]
    return entry


def _key(entry: dict[str, Any]) -> set[tuple[str, int | None, str]]:
    """A comparable form of an IpPermission: (protocol, port, peer) triples."""
    protocol = str(entry.get("IpProtocol"))
    port = entry.get("FromPort") if protocol != "-1" else None
    peers = {r["CidrIp"] for r in entry.get("IpRanges", [])}
    peers |= {p["GroupId"] for p in entry.get("UserIdGroupPairs", [])}
    peers |= {r["CidrIpv6"] for r in entry.get("Ipv6Ranges", [])}
    return {(protocol, port, peer) for peer in peers}


def ensure(ctx: LabContext) -> Outcome:
    """Creates the groups and makes their rules exactly the catalog's."""
    params = ctx.params(SecurityGroupsParams)
    network = ctx.params(NetworkParams)
    vpc = find_vpc(ctx)
    if vpc is None:
        raise LabguideError(
            f"The VPC {network.vpc_name} does not exist yet.",
            "Run step 1 (network) first.",
        )
    vpc_id = vpc["VpcId"]
    ec2 = ctx.clients.ec2
    outcome = Outcome()

    groups = find_groups(ctx, vpc_id)
    group_ids: dict[str, str] = {}
    for spec in params.groups:
        group = groups.get(spec.name)
        if group is None:
            group_id = ec2.create_security_group(
                GroupName=spec.name,
                Description=spec.description,
                VpcId=vpc_id,
                TagSpecifications=[
                    {
                        "ResourceType": "security-group",
                        "Tags": [*ctx.tags(STEP), {"Key": "Name", "Value": spec.name}],
                    }
                ],
            )["GroupId"]
            ctx.report(Event(STEP, "created", f"security group {spec.name}", group_id))
            outcome.add(Resource("security-group", group_id, spec.name), True)
        else:
            group_id = group["GroupId"]
            ctx.report(Event(STEP, "found", f"security group {spec.name}", group_id))
            outcome.add(Resource("security-group", group_id, spec.name))
        group_ids[spec.name] = group_id

    current = find_groups(ctx, vpc_id)
    for spec in params.groups:
        group_id = group_ids[spec.name]
        group = current.get(spec.name, {})
        _sync(
            ctx,
            group_id,
            spec.name,
            "ingress",
            spec.ingress,
            group.get("IpPermissions", []),
            group_ids,
        )
        _sync(
            ctx,
            group_id,
            spec.name,
            "egress",
            spec.egress,
            group.get("IpPermissionsEgress", []),
            group_ids,
        )
    return outcome


def _sync(
    ctx: LabContext,
    group_id: str,
    name: str,
    direction: str,
    rules: list[Rule],
    existing: list[dict[str, Any]],
    group_ids: dict[str, str],
) -> None:
    """Adds missing rules and removes rules the catalog does not name, so that
    a group of the lab admits exactly what the article says."""
    ec2 = ctx.clients.ec2
    wanted = [permission(rule, group_ids) for rule in rules]
    wanted_keys = set().union(*(_key(p) for p in wanted)) if wanted else set()
    have_keys = set().union(*(_key(p) for p in existing)) if existing else set()

    for entry in wanted:
        if _key(entry) <= have_keys:
            continue
        try:
            if direction == "ingress":
                ec2.authorize_security_group_ingress(
                    GroupId=group_id, IpPermissions=[entry]
                )
            else:
                ec2.authorize_security_group_egress(
                    GroupId=group_id, IpPermissions=[entry]
                )
            ctx.report(
                Event(STEP, "updated", f"{name}: {direction} rule added", group_id)
            )
        except Exception as error:
            if not is_error(error, "InvalidPermission.Duplicate"):
                raise

    for entry in existing:
        extra = _key(entry) - wanted_keys
        if not extra:
            continue
        revoke = _only(entry, {peer for _, _, peer in extra})
        if direction == "ingress":
            ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[revoke])
        else:
            ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[revoke])
        ctx.report(
            Event(
                STEP,
                "updated",
                f"{name}: {direction} rule not in the lab removed",
                group_id,
            )
        )


def _only(entry: dict[str, Any], peers: set[str]) -> dict[str, Any]:
    """The part of an IpPermission that concerns `peers`, as revoke takes it
    (so a wanted peer sharing the entry is kept)."""
    out: dict[str, Any] = {"IpProtocol": entry["IpProtocol"]}
    for key in ("FromPort", "ToPort"):
        if key in entry:
            out[key] = entry[key]
    # Entries go back as described (some endpoints match on every field).
    ranges = [r for r in entry.get("IpRanges", []) if r["CidrIp"] in peers]
    ipv6 = [r for r in entry.get("Ipv6Ranges", []) if r["CidrIpv6"] in peers]
    pairs = [p for p in entry.get("UserIdGroupPairs", []) if p["GroupId"] in peers]
    if ranges:
        out["IpRanges"] = ranges
    if ipv6:
        out["Ipv6Ranges"] = ipv6
    if pairs:
        out["UserIdGroupPairs"] = pairs
    return out
