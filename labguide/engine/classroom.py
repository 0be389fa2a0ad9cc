"""The instructor's class view: every participant's lab in one account and
region, read from one snapshot of the account.

A refresh does not loop over participants asking AWS about each one. It takes
a snapshot with account-wide calls (the lab's tag as a filter where the API
has one, the largest page each API allows), then runs the engine's own finds
and checks for each participant against that snapshot, through
`SnapshotClients`: an object with the shape of `labguide.aws.clients.Clients`
whose service clients answer the calls the checks make from the snapshot. The
checks are not copied or re-written here, so the class view's figures are the
ones `labguide verify` shows each participant.

What a refresh costs, with AWS's page sizes (N participants):

====================================  ==========  ===========  ==============
source                                page size   per lab      N=3 / 30 / 200
====================================  ==========  ===========  ==============
tagging API: ALBs and target groups   100         2            1 / 1 / 4
tagging API: log groups               100         2            1 / 1 / 4
VPCs, subnets, gateways, groups       1000        1-2          4 / 4 / 4
route tables of the lab's VPCs        100         2            1 / 1 / 5
launch templates; default versions    200         1            2 / 2 / 2
instances; volumes                    1000; 500   2            2 / 2 / 2
Auto Scaling groups                   100         1            1 / 1 / 2
target groups; load balancers         400         1            2 / 2 / 2
SNS topics; subscriptions             100         1            2 / 2 / 4
alarms (by the lab's prefix)          100         1            1 / 1 / 2
log groups (ListLogGroups)            1000        2            1 / 1 / 1
CloudTrail, one lookup per event      50          new only     5 / 5 / 5
Backup vaults, plans, jobs            1000        1            3 / 3 / 3
IAM roles (with policies, tags)       1000        2            1 / 1 / 1
IAM instance profiles                 1000        1            1 / 1 / 1
SSM nodes that are not online         50          0            1 / 1 / 1
Run Command history since last time   50          0            1 / 1 / 1
re-reads of the oldest details        -           -            2 / 2 / 2
====================================  ==========  ===========  ==============

That is 32 calls for 3 and for 30 participants, and 46 for 200: past about
50 participants the tagging API, the route tables, the groups, topics,
subscriptions and alarms take a second page or more; the rest stays within
one page up to 200. Nothing is asked per participant. CloudTrail counts one
page per event name because a refresh asks only for the events since the
previous one (`TRAIL_DELIVERY_SECONDS` back); the first refresh pages
through the whole look-back (4 pages per name for 200 labs).

Four things AWS only answers per resource: a target group's health, a load
balancer's listeners, a log group's events and a backup plan's rules,
selections and recovery points. The class view remembers those answers
(`ClassMemory`) together with a fingerprint of what could change them, taken
from the snapshot (the target group's settings, its instances and their
security groups' rules, Run Commands sent to them...), and reads one again
only when its fingerprint changed, when the answer is not settled yet (a
target still in its initial checks, an instance younger than ten minutes, a
log group still empty), and, to catch what no fingerprint shows, the `SWEEP`
oldest answers on every refresh. On AWS even nginx stopped from a shell
shows soon: the group's ELB health checks mark the instance unhealthy in
the group's own description, which the fingerprint holds; the sweep is the
backstop (with 30 labs, about 210 answers, it comes round to each within
twenty minutes of 10-second refreshes). The first refresh reads them
all (about seven calls a lab); after that a class whose labs are built costs
what the table says, plus one call for each lab whose answers changed.
Session Manager's inventory (DescribeInstanceInformation, 50 a page) is
handled the same way: the nodes
seen online are remembered, and each refresh asks only for the nodes that
are not online, plus any running instance not seen online yet.

Checks that are not AWS calls stay per participant: the web goal requests
each lab's ALB over HTTP (concurrently).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import os
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from labguide.aws.clients import Clients, Identity
from labguide.aws.errors import explain
from labguide.aws.target import Target
from labguide.catalog.models import Catalog, Language
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import CloudTrailParams
from labguide.engine.actions import ACTIONS
from labguide.engine.actions.observe import find_nothing
from labguide.engine.checks import CHECKS, CheckResult
from labguide.engine.checks.goals import WAITING_REASONS
from labguide.engine.checks.result import Words, failed
from labguide.engine.context import SOLO, LabContext
from labguide.engine.resources import Resource
from labguide.engine.session import (
    TEARDOWN_ACTION,
    GoalResult,
    LabSession,
    combine,
    validate_region,
)
from labguide.engine.state import SessionState, StepState, StepStatus, session_key
from labguide.engine.teardown import TeardownResult, inventory
from labguide.errors import LabguideError

log = logging.getLogger(__name__)

SWEEP = 2
"""Remembered answers read again on every refresh, oldest first."""
SETTLE_SECONDS = 600.0
"""How long after an instance starts, or a Run Command reaches it, target
health may still change without anything else changing."""
WORKERS = 8
"""Participants evaluated at once (the web check waits on HTTP)."""
READERS = 8
"""Account-wide lists read at once."""
SSM_IDS_PER_CALL = 50
EVERY_INSTANCE = "*"
"""Where a Run Command sent by tags is remembered."""
TRAIL_DELIVERY_SECONDS = 20 * 60.0
"""CloudTrail delivers events within 15 minutes; later ones are asked again."""

# Largest pages AWS allows, per operation.
PAGE_SIZES = {
    "get_resources": 100,
    "describe_vpcs": 1000,
    "describe_subnets": 1000,
    "describe_internet_gateways": 1000,
    "describe_route_tables": 100,
    "describe_security_groups": 1000,
    "describe_launch_templates": 200,
    "describe_launch_template_versions": 200,
    "describe_instances": 1000,
    "describe_volumes": 500,
    "describe_auto_scaling_groups": 100,
    "describe_target_groups": 400,
    "describe_load_balancers": 400,
    "describe_alarms": 100,
    "describe_log_groups": 50,
    "lookup_events": 50,
    "list_backup_vaults": 1000,
    "list_backup_plans": 1000,
    "list_backup_jobs": 1000,
    "get_account_authorization_details": 1000,
    "list_instance_profiles": 1000,
    "describe_instance_information": 50,
    "list_commands": 50,
}
LIST_LOG_GROUPS_PAGE = 1000
ROUTE_TABLE_VPCS_PER_CALL = 200
INSTANCE_IDS_PER_CALL = 200

_STEP_STATES = {"passed": "done", "pending": "pending", "failed": "failed"}
# A step whose checks still wait has finished its action: in a session's
# words it is done.
_SESSION_STATUS: dict[str, StepStatus] = {
    "done": "done",
    "pending": "done",
    "failed": "failed",
    "not-started": "not-started",
}


def _error(code: str, message: str, operation: str) -> ClientError:
    """A ClientError as botocore raises it, for an answer the snapshot gives."""
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {str(t["Key"]): str(t["Value"]) for t in item.get("Tags", []) or []}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def _age(moment: Any, now: float) -> float:
    if isinstance(moment, dt.datetime):
        return now - moment.timestamp()
    return 1e9


# -- the snapshot ------------------------------------------------------------


@dataclass
class Snapshot:
    """What one refresh read from the account: the lab's resources of every
    participant, and the account-wide lists the checks look things up in."""

    taken_at: float
    elb_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    log_group_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    vpcs: list[dict[str, Any]] = field(default_factory=list)
    subnets: list[dict[str, Any]] = field(default_factory=list)
    gateways: list[dict[str, Any]] = field(default_factory=list)
    route_tables: list[dict[str, Any]] = field(default_factory=list)
    security_groups: list[dict[str, Any]] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    default_versions: dict[str, dict[str, Any]] = field(default_factory=dict)
    instances: dict[str, dict[str, Any]] = field(default_factory=dict)
    volumes: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    target_groups: list[dict[str, Any]] = field(default_factory=list)
    load_balancers: list[dict[str, Any]] = field(default_factory=list)
    topics: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    alarms: list[dict[str, Any]] = field(default_factory=list)
    log_groups: dict[str, str] = field(default_factory=dict)
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    vaults: list[dict[str, Any]] = field(default_factory=list)
    plans: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    managed_nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, ClientError] = field(default_factory=dict)
    """Sources AWS refused (e.g. an endpoint lacking the API), by name; the
    calls the checks make of them raise the same error."""

    def participants(self, tag_key: str) -> list[str]:
        """The participant tags found on the lab's resources, sorted."""
        found: set[str] = set()
        # Terminated instances stay listed for an hour after a teardown.
        alive = [
            i
            for i in self.instances.values()
            if i["State"]["Name"] not in ("shutting-down", "terminated")
        ]
        for items in (
            self.vpcs,
            self.subnets,
            self.gateways,
            self.security_groups,
            self.templates,
            alive,
            self.groups,
        ):
            for item in items:
                value = _tags(item).get(tag_key)
                if value:
                    found.add(value)
        for tags in self.elb_tags.values():
            if tags.get(tag_key):
                found.add(tags[tag_key])
        return sorted(found)

    def raise_if_failed(self, source: str) -> None:
        """Raises the error AWS gave when the snapshot read `source`."""
        error = self.errors.get(source)
        if error is not None:
            raise error


@dataclass
class _Entry:
    answer: dict[str, Any]
    fingerprint: str
    fetched_at: float
    settled: bool


@dataclass
class ClassMemory:
    """What the class view keeps between refreshes: the per-resource answers
    AWS gives only one resource at a time, with the fingerprint they were read
    under, the Session Manager nodes seen online, and the last Run Command
    each instance received."""

    entries: dict[str, _Entry] = field(default_factory=dict)
    online: dict[str, dict[str, Any]] = field(default_factory=dict)
    commands: dict[str, tuple[str, float, str]] = field(default_factory=dict)
    """instance id -> (command id, requested at, status) of its newest command."""
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    """CloudTrail events seen, by event name and event id."""
    trail_read_at: float | None = None
    """When CloudTrail was last read in full up to then."""
    last_refresh: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def _pages(
    client: Any, operation: str, key: str, **request: Any
) -> Iterator[dict[str, Any]]:
    """Every item of a paginated list, asking for AWS's largest pages."""
    size = PAGE_SIZES.get(operation)
    config = {"PageSize": size} if size else {}
    paginator = client.get_paginator(operation)
    for page in paginator.paginate(**request, PaginationConfig=config):
        yield from page.get(key, [])


def _listed(
    client: Any, operation: str, key: str, **request: Any
) -> Callable[[], list[dict[str, Any]]]:
    """A source: every item of one account-wide list."""
    return lambda: list(_pages(client, operation, key, **request))


class _Reader:
    """Reads one snapshot: each source is one paginated, account-wide call;
    a source AWS refuses is recorded, not fatal."""

    def __init__(self, catalog: Catalog, clients: Clients, memory: ClassMemory):
        self.catalog = catalog
        self.clients = clients
        self.memory = memory
        self.lab_filter = [
            {"Name": f"tag:{catalog.lab.tag_keys.lab}", "Values": [catalog.lab.id]}
        ]

    def read(self) -> Snapshot:
        snapshot = Snapshot(taken_at=time.time())
        ec2, elbv2, sns = self.clients.ec2, self.clients.elbv2, self.clients.sns
        backup = self.clients.backup
        lab = {"Filters": self.lab_filter}
        sources: list[tuple[str, Callable[[], Any]]] = [
            ("elb_tags", self._elb_tags),
            ("log_group_tags", self._log_group_tags),
            ("vpcs", _listed(ec2, "describe_vpcs", "Vpcs", **lab)),
            ("subnets", _listed(ec2, "describe_subnets", "Subnets", **lab)),
            (
                "gateways",
                _listed(ec2, "describe_internet_gateways", "InternetGateways", **lab),
            ),
            (
                "security_groups",
                _listed(ec2, "describe_security_groups", "SecurityGroups", **lab),
            ),
            (
                "templates",
                _listed(ec2, "describe_launch_templates", "LaunchTemplates", **lab),
            ),
            ("volumes", _listed(ec2, "describe_volumes", "Volumes", **lab)),
            ("default_versions", self._default_versions),
            ("instances", self._instances),
            ("groups", self._groups),
            (
                "target_groups",
                _listed(elbv2, "describe_target_groups", "TargetGroups"),
            ),
            (
                "load_balancers",
                _listed(elbv2, "describe_load_balancers", "LoadBalancers"),
            ),
            ("topics", _listed(sns, "list_topics", "Topics")),
            ("subscriptions", _listed(sns, "list_subscriptions", "Subscriptions")),
            (
                "alarms",
                _listed(
                    self.clients.cloudwatch,
                    "describe_alarms",
                    "MetricAlarms",
                    AlarmNamePrefix=self.catalog.lab.name_prefix,
                ),
            ),
            ("log_groups", self._log_groups),
            ("events", functools.partial(self._events, snapshot.taken_at)),
            ("vaults", _listed(backup, "list_backup_vaults", "BackupVaultList")),
            ("plans", _listed(backup, "list_backup_plans", "BackupPlansList")),
            ("jobs", _listed(backup, "list_backup_jobs", "BackupJobs")),
            ("roles", self._roles),
            ("profiles", self._profiles),
        ]
        # The lists are independent, so they are read at once: a refresh then
        # waits about as long as its slowest chain of calls (the instances,
        # then Session Manager's nodes), not the sum of some sixty calls.
        with ThreadPoolExecutor(
            max_workers=READERS, thread_name_prefix="class-read"
        ) as pool:

            def each(*reads: tuple[str, Callable[[], Any], bool]) -> None:
                waiting = [pool.submit(self._source, snapshot, *read) for read in reads]
                for future in waiting:
                    future.result()

            each(*((name, read, True) for name, read in sources))
            # These need what was read above: the tables of the lab's VPCs,
            # the instances of its groups.
            each(
                ("route_tables", functools.partial(self._route_tables, snapshot), True),
                (
                    "group_instances",
                    functools.partial(self._add_group_instances, snapshot),
                    False,
                ),
            )
            each(
                (
                    "managed_nodes",
                    functools.partial(self._managed_nodes, snapshot),
                    True,
                ),
                ("commands", functools.partial(self._commands, snapshot), False),
            )
        return snapshot

    def _source(
        self,
        snapshot: Snapshot,
        name: str,
        read: Callable[[], Any],
        keep: bool = True,
    ) -> None:
        try:
            value = read()
        except ClientError as error:
            explained = explain(error, self.clients.target.profile)
            if explained is not None:
                raise explained from None
            log.warning("class view: %s unavailable: %s", name, error)
            snapshot.errors[name] = error
            return
        if keep:
            setattr(snapshot, name, value)

    def _elb_tags(self) -> dict[str, dict[str, str]]:
        return self._tagged(
            "elasticloadbalancing:loadbalancer", "elasticloadbalancing:targetgroup"
        )

    def _log_group_tags(self) -> dict[str, dict[str, str]]:
        # A call of its own: with the balancers' it would pass a page of 100
        # from 25 labs on.
        return self._tagged("logs:loggroup")

    def _tagged(self, *kinds: str) -> dict[str, dict[str, str]]:
        """The tags of every resource of `kinds` that carries the lab's tag,
        by ARN."""
        keys = self.catalog.lab.tag_keys
        items = _pages(
            self.clients.resourcegroupstaggingapi,
            "get_resources",
            "ResourceTagMappingList",
            TagFilters=[{"Key": keys.lab, "Values": [self.catalog.lab.id]}],
            # Pages end at 100 resources or at this many tags, whichever comes
            # first; a lab's resource carries five tags.
            TagsPerPage=500,
            ResourceTypeFilters=list(kinds),
        )
        return {str(i["ResourceARN"]): _tags(i) for i in items}

    def _route_tables(self, snapshot: Snapshot) -> list[dict[str, Any]]:
        # Every table of the lab's VPCs: the tagged public table, and any
        # table a subnet was associated with by hand.
        vpc_ids = sorted(v["VpcId"] for v in snapshot.vpcs)
        tables: list[dict[str, Any]] = []
        for start in range(0, len(vpc_ids), ROUTE_TABLE_VPCS_PER_CALL):
            chunk = vpc_ids[start : start + ROUTE_TABLE_VPCS_PER_CALL]
            tables += _pages(
                self.clients.ec2,
                "describe_route_tables",
                "RouteTables",
                Filters=[{"Name": "vpc-id", "Values": chunk}],
            )
        return tables

    def _default_versions(self) -> dict[str, dict[str, Any]]:
        # Without a template id, EC2 describes the default version of every
        # template in the region.
        versions = _pages(
            self.clients.ec2,
            "describe_launch_template_versions",
            "LaunchTemplateVersions",
            Versions=["$Default"],
        )
        return {str(v["LaunchTemplateId"]): v for v in versions}

    def _instances(self) -> dict[str, dict[str, Any]]:
        reservations = _pages(
            self.clients.ec2,
            "describe_instances",
            "Reservations",
            Filters=self.lab_filter,
        )
        return {i["InstanceId"]: i for r in reservations for i in r["Instances"]}

    def _groups(self) -> list[dict[str, Any]]:
        return list(
            _pages(
                self.clients.autoscaling,
                "describe_auto_scaling_groups",
                "AutoScalingGroups",
                Filters=[
                    {
                        "Name": f"tag:{self.catalog.lab.tag_keys.lab}",
                        "Values": [self.catalog.lab.id],
                    }
                ],
            )
        )

    def _add_group_instances(self, snapshot: Snapshot) -> None:
        """Instances of the lab's groups that lack the lab's tags (a group
        whose tags do not propagate): one more call, only when there are any."""
        missing = sorted(
            {
                i["InstanceId"]
                for g in snapshot.groups
                for i in g.get("Instances", [])
                if i["InstanceId"] not in snapshot.instances
            }
        )
        for start in range(0, len(missing), INSTANCE_IDS_PER_CALL):
            chunk = missing[start : start + INSTANCE_IDS_PER_CALL]
            try:
                reservations = _pages(
                    self.clients.ec2,
                    "describe_instances",
                    "Reservations",
                    Filters=[{"Name": "instance-id", "Values": chunk}],
                )
                for reservation in reservations:
                    for instance in reservation["Instances"]:
                        snapshot.instances[instance["InstanceId"]] = instance
            except ClientError as error:
                log.warning("class view: group instances unavailable: %s", error)

    def _log_groups(self) -> dict[str, str]:
        prefix = self.catalog.lab.name_prefix
        logs = self.clients.logs
        found: dict[str, str] = {}
        try:
            token: str | None = None
            while True:
                # The pattern matches anywhere in a name: the prefix is
                # checked below.
                request: dict[str, Any] = {
                    "limit": LIST_LOG_GROUPS_PAGE,
                    "logGroupNamePattern": prefix,
                }
                if token:
                    request["nextToken"] = token
                page = logs.list_log_groups(**request)
                for group in page.get("logGroups", []):
                    name = str(group["logGroupName"])
                    if name.startswith(prefix):
                        found[name] = str(group.get("logGroupArn", ""))
                token = page.get("nextToken")
                if not token:
                    return found
        except ClientError as error:
            from labguide.aws.errors import endpoint_lacks_api

            if not endpoint_lacks_api(error):
                raise
        # An endpoint without ListLogGroups: DescribeLogGroups, 50 a page.
        for group in _pages(
            logs, "describe_log_groups", "logGroups", logGroupNamePrefix=prefix
        ):
            found[str(group["logGroupName"])] = str(group.get("arn", ""))
        return found

    def _events(self, now: float) -> dict[str, list[dict[str, Any]]]:
        """The article's events within the look-back, newest first. Events
        seen before are kept: a refresh asks only for those since the last
        one (less CloudTrail's delivery delay), so LookupEvents' 50-event
        pages and its 2 calls a second do not grow with the class."""
        params = parameters_of(self.catalog, CloudTrailParams, None)
        since = dt.datetime.fromtimestamp(now, dt.UTC) - dt.timedelta(
            hours=params.lookback_hours
        )
        memory = self.memory
        start = since
        if memory.trail_read_at is not None:
            start = max(
                since,
                dt.datetime.fromtimestamp(
                    memory.trail_read_at - TRAIL_DELIVERY_SECONDS, dt.UTC
                ),
            )
        fresh = {
            name: list(
                _pages(
                    self.clients.cloudtrail,
                    "lookup_events",
                    "Events",
                    LookupAttributes=[
                        {"AttributeKey": "EventName", "AttributeValue": name}
                    ],
                    StartTime=start,
                )
            )
            for name in params.events
        }
        found: dict[str, list[dict[str, Any]]] = {}
        with memory.lock:
            for name, events in fresh.items():
                known = memory.events.setdefault(name, {})
                known.update((str(e["EventId"]), e) for e in events)
                for event_id in [i for i, e in known.items() if e["EventTime"] < since]:
                    del known[event_id]
                found[name] = sorted(
                    known.values(), key=lambda e: e["EventTime"], reverse=True
                )
            # Only a complete read lets the next one ask for less.
            memory.trail_read_at = now
        return found

    def _roles(self) -> dict[str, dict[str, Any]]:
        roles = _pages(
            self.clients.iam,
            "get_account_authorization_details",
            "RoleDetailList",
            Filter=["Role"],
        )
        return {str(r["RoleName"]): r for r in roles}

    def _profiles(self) -> dict[str, dict[str, Any]]:
        profiles = _pages(
            self.clients.iam, "list_instance_profiles", "InstanceProfiles"
        )
        return {str(p["InstanceProfileName"]): p for p in profiles}

    def _managed_nodes(self, snapshot: Snapshot) -> dict[str, dict[str, Any]]:
        """Session Manager's view of the lab's instances: the nodes remembered
        online, less those that now report otherwise; instances never seen
        online are asked about by id, 50 a call."""
        ssm = self.clients.ssm
        memory = self.memory
        offline = {
            row["InstanceId"]: row
            for row in _pages(
                ssm,
                "describe_instance_information",
                "InstanceInformationList",
                Filters=[
                    {"Key": "PingStatus", "Values": ["ConnectionLost", "Inactive"]}
                ],
            )
        }
        with memory.lock:
            for instance_id in list(memory.online):
                if instance_id in offline or instance_id not in snapshot.instances:
                    del memory.online[instance_id]
            running = sorted(
                i
                for i, instance in snapshot.instances.items()
                if instance["State"]["Name"] == "running"
            )
            unknown = [
                i for i in running if i not in memory.online and i not in offline
            ]
        for start in range(0, len(unknown), SSM_IDS_PER_CALL):
            chunk = unknown[start : start + SSM_IDS_PER_CALL]
            for row in _pages(
                ssm,
                "describe_instance_information",
                "InstanceInformationList",
                Filters=[{"Key": "InstanceIds", "Values": chunk}],
            ):
                if row.get("PingStatus") == "Online":
                    with memory.lock:
                        memory.online[row["InstanceId"]] = row
                else:
                    offline[row["InstanceId"]] = row
        with memory.lock:
            return {**memory.online, **offline}

    def _commands(self, snapshot: Snapshot) -> None:
        """Remembers each instance's newest Run Command: a command (nginx
        stopped or started) changes target health without changing any
        resource. One sent by tags, not ids, counts for every instance."""
        memory = self.memory
        since = (memory.last_refresh or time.time()) - 3600.0
        after = dt.datetime.fromtimestamp(since, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        commands = list(
            _pages(
                self.clients.ssm,
                "list_commands",
                "Commands",
                Filters=[{"key": "InvokedAfter", "value": after}],
            )
        )
        with memory.lock:
            for instance_id in list(memory.commands):
                if instance_id != EVERY_INSTANCE and (
                    instance_id not in snapshot.instances
                ):
                    del memory.commands[instance_id]
            for command in commands:
                requested = command.get("RequestedDateTime")
                at = (
                    requested.timestamp() if isinstance(requested, dt.datetime) else 0.0
                )
                mark = (str(command["CommandId"]), at, str(command.get("Status", "")))
                for instance_id in command.get("InstanceIds") or [EVERY_INSTANCE]:
                    known = memory.commands.get(instance_id)
                    if known is None or (known[1], known[0]) <= (at, mark[0]):
                        memory.commands[instance_id] = mark


# -- clients that answer from the snapshot -------------------------------------


class _Miss(Exception):
    """The snapshot cannot answer this request exactly: ask AWS."""


def _emulated(method: Callable[..., Any]) -> Callable[..., Any]:
    """Answers from the snapshot, or makes the real call when it cannot."""

    @functools.wraps(method)
    def call(self: _Service, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except _Miss:
            return self.live(method.__name__, *args, **kwargs)

    return call


def _matches(item: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    """EC2's filter semantics for the filters the engine uses."""
    tags = _tags(item)
    for entry in filters:
        name = str(entry["Name"])
        values = {str(v) for v in entry.get("Values", [])}
        if any("*" in v or "?" in v for v in values):
            raise _Miss(name)
        if name.startswith("tag:"):
            actual: set[str] = {tags[name[4:]]} if name[4:] in tags else set()
        elif name == "vpc-id":
            actual = {str(item.get("VpcId", ""))}
        elif name == "group-name":
            actual = {str(item.get("GroupName", ""))}
        elif name == "instance-id":
            actual = {str(item.get("InstanceId", ""))}
        elif name == "instance-state-name":
            actual = {str(item.get("State", {}).get("Name", ""))}
        elif name == "association.subnet-id":
            actual = {
                str(a["SubnetId"])
                for a in item.get("Associations", [])
                if "SubnetId" in a
            }
        else:
            raise _Miss(name)
        if not actual & values:
            return False
    return True


class _Service:
    """One service as the checks see it; calls it does not emulate go to AWS
    (and are counted as fallbacks, which a refresh reports)."""

    name = ""

    def __init__(self, owner: SnapshotClients) -> None:
        self.owner = owner
        self.snapshot = owner.snapshot

    def live(self, operation: str, *args: Any, **kwargs: Any) -> Any:
        self.owner.fallbacks[f"{self.name}.{operation}"] += 1
        return getattr(self.owner.live.client(self.name), operation)(*args, **kwargs)

    def __getattr__(self, operation: str) -> Any:
        if operation.startswith("_"):
            raise AttributeError(operation)
        return functools.partial(self.live, operation)

    def get_paginator(self, operation: str) -> Any:
        """A paginator: one page holding the whole snapshot list where the
        snapshot has it, AWS's otherwise."""
        own = getattr(self, f"_all_{operation}", None)
        if own is None:
            self.owner.fallbacks[f"{self.name}.{operation}"] += 1
            return self.owner.live.client(self.name).get_paginator(operation)
        return _OnePage(own)


class _OnePage:
    def __init__(self, page: Callable[[], dict[str, Any]]) -> None:
        self._page = page

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        yield self._page()


class _EC2(_Service):
    name = "ec2"

    def __init__(self, owner: SnapshotClients) -> None:
        super().__init__(owner)
        self._indexes: dict[
            tuple[str, str], tuple[list[dict[str, Any]], dict[str, list[Any]]]
        ] = {}
        self._instance_list: tuple[dict[str, Any], list[dict[str, Any]]] | None = None

    def _select(
        self, source: str, items: Iterable[dict[str, Any]], kwargs: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.snapshot.raise_if_failed(source)
        if set(kwargs) - {"Filters"}:
            raise _Miss(str(kwargs))
        filters = kwargs.get("Filters", [])
        candidates = self._by_tag(source, items, filters)
        return [item for item in candidates if _matches(item, filters)]

    def _by_tag(
        self,
        source: str,
        items: Iterable[dict[str, Any]],
        filters: list[dict[str, Any]],
    ) -> Iterable[dict[str, Any]]:
        """The items a `tag:` filter can select, from an index of the
        snapshot's list by that tag built once (each participant's checks
        filter by the participant's tag: without it, a class of 200 read
        every lab's resources 200 times a refresh)."""
        exact = [
            f
            for f in filters
            if str(f["Name"]).startswith("tag:")
            and not any("*" in str(v) or "?" in str(v) for v in f.get("Values", []))
        ]
        if not exact or not isinstance(items, list):
            return items
        chosen: list[dict[str, Any]] | None = None
        for entry in exact:
            index = self._index(source, items, str(entry["Name"])[4:])
            found = [
                item
                for value in dict.fromkeys(str(v) for v in entry.get("Values", []))
                for item in index.get(value, [])
            ]
            # The narrowest (the lab's own tag is on every lab's resources).
            if chosen is None or len(found) < len(chosen):
                chosen = found
        return items if chosen is None else chosen

    def _index(
        self, source: str, items: list[dict[str, Any]], key: str
    ) -> dict[str, list[dict[str, Any]]]:
        """The snapshot's list `source` by the value of tag `key`."""
        cached = self._indexes.get((source, key))
        if cached is None or cached[0] is not items:
            index: dict[str, list[dict[str, Any]]] = {}
            for item in items:
                value = _tags(item).get(key)
                if value is not None:
                    index.setdefault(value, []).append(item)
            cached = (items, index)
            self._indexes[(source, key)] = cached
        return cached[1]

    @_emulated
    def describe_vpcs(self, **kwargs: Any) -> dict[str, Any]:
        return {"Vpcs": self._select("vpcs", self.snapshot.vpcs, kwargs)}

    @_emulated
    def describe_subnets(self, **kwargs: Any) -> dict[str, Any]:
        return {"Subnets": self._select("subnets", self.snapshot.subnets, kwargs)}

    @_emulated
    def describe_internet_gateways(self, **kwargs: Any) -> dict[str, Any]:
        gateways = self._select("gateways", self.snapshot.gateways, kwargs)
        return {"InternetGateways": gateways}

    @_emulated
    def describe_route_tables(self, **kwargs: Any) -> dict[str, Any]:
        tables = self._select("route_tables", self.snapshot.route_tables, kwargs)
        return {"RouteTables": tables}

    @_emulated
    def describe_security_groups(self, **kwargs: Any) -> dict[str, Any]:
        groups = self._select("security_groups", self.snapshot.security_groups, kwargs)
        return {"SecurityGroups": groups}

    @_emulated
    def describe_volumes(self, **kwargs: Any) -> dict[str, Any]:
        return {"Volumes": self._select("volumes", self.snapshot.volumes, kwargs)}

    @_emulated
    def describe_launch_templates(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("templates")
        names = kwargs.pop("LaunchTemplateNames", None)
        if kwargs or not names:
            raise _Miss(str(kwargs))
        found = [t for t in self.snapshot.templates if t["LaunchTemplateName"] in names]
        if len(found) < len(names):
            # EC2 refuses the whole request when a name does not exist; one
            # without the lab's tags exists but is not the lab's either way.
            raise _error(
                "InvalidLaunchTemplateName.NotFoundException",
                "At least one of the launch templates specified in the request "
                "does not exist.",
                "DescribeLaunchTemplates",
            )
        return {"LaunchTemplates": found}

    @_emulated
    def describe_launch_template_versions(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("default_versions")
        template = str(kwargs.get("LaunchTemplateId"))
        versions = kwargs.get("Versions", [])
        if set(kwargs) != {"LaunchTemplateId", "Versions"} or len(versions) != 1:
            raise _Miss(str(kwargs))
        default = self.snapshot.default_versions.get(template)
        if default is not None and versions[0] in (
            "$Default",
            str(default.get("VersionNumber")),
        ):
            return {"LaunchTemplateVersions": [default]}
        if not str(versions[0]).isdigit():
            raise _Miss(str(kwargs))
        # A numbered version never changes once made.
        return self.owner.detail(
            "ec2",
            "describe_launch_template_versions",
            kwargs,
            "",
            False,
            lambda answer: bool(answer.get("LaunchTemplateVersions")),
        )

    @_emulated
    def describe_instances(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("instances")
        ids = kwargs.pop("InstanceIds", None)
        instances = self.snapshot.instances
        if ids is not None:
            if kwargs or any(i not in instances for i in ids):
                raise _Miss(str(ids))
            chosen = [instances[i] for i in ids]
        else:
            listed = self._instance_list
            if listed is None or listed[0] is not instances:
                listed = self._instance_list = (instances, list(instances.values()))
            chosen = self._select("instances", listed[1], kwargs)
        return {"Reservations": [{"Instances": chosen}] if chosen else []}


class _AutoScaling(_Service):
    name = "autoscaling"

    @_emulated
    def describe_auto_scaling_groups(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("groups")
        names = kwargs.pop("AutoScalingGroupNames", None)
        if kwargs or names is None:
            raise _Miss(str(kwargs))
        groups = [g for g in self.snapshot.groups if g["AutoScalingGroupName"] in names]
        return {"AutoScalingGroups": groups}


class _ELBv2(_Service):
    name = "elbv2"

    @_emulated
    def describe_target_groups(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("target_groups")
        names = kwargs.pop("Names", None)
        if kwargs or not names:
            raise _Miss(str(kwargs))
        found = [
            g for g in self.snapshot.target_groups if g["TargetGroupName"] in names
        ]
        if len(found) < len(names):
            raise _error(
                "TargetGroupNotFound",
                "One or more target groups not found",
                "DescribeTargetGroups",
            )
        return {"TargetGroups": found}

    @_emulated
    def describe_load_balancers(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("load_balancers")
        names = kwargs.pop("Names", None)
        if kwargs or not names:
            raise _Miss(str(kwargs))
        found = [
            b for b in self.snapshot.load_balancers if b["LoadBalancerName"] in names
        ]
        if len(found) < len(names):
            raise _error(
                "LoadBalancerNotFound",
                "One or more load balancers not found",
                "DescribeLoadBalancers",
            )
        return {"LoadBalancers": found}

    @_emulated
    def describe_tags(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("elb_tags")
        arns = kwargs.pop("ResourceArns", None)
        if kwargs or not arns:
            raise _Miss(str(kwargs))
        # The tagging API returned every resource with the lab's tag; one
        # missing from it lacks that tag, so it is no lab's, whatever else
        # it carries.
        return {
            "TagDescriptions": [
                {
                    "ResourceArn": arn,
                    "Tags": [
                        {"Key": k, "Value": v}
                        for k, v in self.snapshot.elb_tags.get(arn, {}).items()
                    ],
                }
                for arn in arns
            ]
        }

    @_emulated
    def describe_listeners(self, **kwargs: Any) -> dict[str, Any]:
        arn = kwargs.get("LoadBalancerArn")
        if set(kwargs) != {"LoadBalancerArn"}:
            raise _Miss(str(kwargs))
        fingerprint = self.owner.listener_inputs(str(arn))
        return self.owner.detail(
            "elbv2", "describe_listeners", kwargs, fingerprint, False, lambda a: True
        )

    @_emulated
    def describe_target_health(self, **kwargs: Any) -> dict[str, Any]:
        arn = kwargs.get("TargetGroupArn")
        if set(kwargs) != {"TargetGroupArn"}:
            raise _Miss(str(kwargs))
        fingerprint, young, volatile = self.owner.health_inputs(str(arn))
        return self.owner.detail(
            "elbv2",
            "describe_target_health",
            kwargs,
            fingerprint,
            volatile,
            functools.partial(_health_settled, young),
        )


def _health_settled(young: bool, answer: dict[str, Any]) -> bool:
    """Whether target health stays as it is until something it depends on
    changes: no target in its first checks or draining, and, while an
    instance is young, every target healthy (one still installing nginx turns
    healthy by itself)."""
    states = [d.get("TargetHealth", {}) for d in answer["TargetHealthDescriptions"]]
    if any(
        h.get("State") in ("initial", "draining") or h.get("Reason") in WAITING_REASONS
        for h in states
    ):
        return False
    return not young or all(h.get("State") == "healthy" for h in states)


class _SSM(_Service):
    name = "ssm"

    @_emulated
    def describe_instance_information(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("managed_nodes")
        filters = kwargs.get("Filters", [])
        if set(kwargs) != {"Filters"} or [f["Key"] for f in filters] != ["InstanceIds"]:
            raise _Miss(str(kwargs))
        wanted = filters[0]["Values"]
        nodes = self.snapshot.managed_nodes
        return {"InstanceInformationList": [nodes[i] for i in wanted if i in nodes]}


class _IAM(_Service):
    name = "iam"

    def _role(self, name: str, operation: str) -> dict[str, Any]:
        self.snapshot.raise_if_failed("roles")
        role = self.snapshot.roles.get(name)
        if role is None:
            raise _error(
                "NoSuchEntity",
                f"The role with name {name} cannot be found.",
                operation,
            )
        return role

    @_emulated
    def get_role(self, **kwargs: Any) -> dict[str, Any]:
        detail = self._role(kwargs["RoleName"], "GetRole")
        keys = (
            "Path",
            "RoleName",
            "RoleId",
            "Arn",
            "CreateDate",
            "AssumeRolePolicyDocument",
            "Tags",
            "RoleLastUsed",
        )
        return {"Role": {k: detail[k] for k in keys if k in detail}}

    @_emulated
    def list_role_tags(self, **kwargs: Any) -> dict[str, Any]:
        detail = self._role(kwargs["RoleName"], "ListRoleTags")
        return {"Tags": list(detail.get("Tags", [])), "IsTruncated": False}

    @_emulated
    def list_attached_role_policies(self, **kwargs: Any) -> dict[str, Any]:
        detail = self._role(kwargs["RoleName"], "ListAttachedRolePolicies")
        return {
            "AttachedPolicies": list(detail.get("AttachedManagedPolicies", [])),
            "IsTruncated": False,
        }

    @_emulated
    def get_instance_profile(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("profiles")
        name = kwargs["InstanceProfileName"]
        profile = self.snapshot.profiles.get(name)
        if profile is None:
            raise _error(
                "NoSuchEntity",
                f"Instance Profile {name} cannot be found.",
                "GetInstanceProfile",
            )
        return {"InstanceProfile": profile}


class _CloudWatch(_Service):
    name = "cloudwatch"

    @_emulated
    def describe_alarms(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("alarms")
        names = kwargs.pop("AlarmNames", None)
        if kwargs or names is None:
            raise _Miss(str(kwargs))
        if any(not n.startswith(self.owner.catalog.lab.name_prefix) for n in names):
            raise _Miss(str(names))
        alarms = [a for a in self.snapshot.alarms if a["AlarmName"] in names]
        return {"MetricAlarms": alarms, "CompositeAlarms": []}


class _SNS(_Service):
    name = "sns"

    def _all_list_topics(self) -> dict[str, Any]:
        self.snapshot.raise_if_failed("topics")
        return {"Topics": list(self.snapshot.topics)}

    @_emulated
    def list_subscriptions_by_topic(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("subscriptions")
        topic = kwargs.pop("TopicArn")
        if kwargs:
            raise _Miss(str(kwargs))
        return {
            "Subscriptions": [
                s for s in self.snapshot.subscriptions if s["TopicArn"] == topic
            ]
        }


class _Logs(_Service):
    name = "logs"

    @_emulated
    def describe_log_groups(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("log_groups")
        prefix = kwargs.pop("logGroupNamePrefix", None)
        if (
            kwargs
            or not prefix
            or not prefix.startswith(self.owner.catalog.lab.name_prefix)
        ):
            raise _Miss(str(kwargs))
        groups = [
            {"logGroupName": name, "arn": arn + ":*" if arn else ""}
            for name, arn in sorted(self.snapshot.log_groups.items())
            if name.startswith(prefix)
        ]
        return {"logGroups": groups}

    @_emulated
    def list_tags_for_resource(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("log_group_tags")
        arn = str(kwargs.pop("resourceArn", "")).removesuffix(":*")
        if kwargs or ":log-group:" not in arn:
            raise _Miss(str(kwargs))
        # The tagging API listed every group with the lab's tag; one missing
        # from it lacks that tag, so it is no lab's whatever else it carries.
        return {"tags": dict(self.snapshot.log_group_tags.get(arn, {}))}

    @_emulated
    def filter_log_events(self, **kwargs: Any) -> dict[str, Any]:
        if set(kwargs) != {"logGroupName", "limit"}:
            raise _Miss(str(kwargs))
        name = str(kwargs["logGroupName"])
        if name not in self.snapshot.log_groups:
            raise _Miss(name)
        # Events only accumulate (until their retention ends): a group that
        # had one has one.
        return self.owner.detail(
            "logs",
            "filter_log_events",
            kwargs,
            self.snapshot.log_groups[name],
            False,
            lambda answer: bool(answer.get("events")),
        )


class _CloudTrail(_Service):
    name = "cloudtrail"

    @_emulated
    def lookup_events(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("events")
        attributes = kwargs.get("LookupAttributes", [])
        extra = set(kwargs) - {
            "LookupAttributes",
            "StartTime",
            "MaxResults",
            "NextToken",
        }
        if (
            extra
            or len(attributes) != 1
            or attributes[0]["AttributeKey"] != "EventName"
        ):
            raise _Miss(str(kwargs))
        events = self.snapshot.events.get(attributes[0]["AttributeValue"])
        if events is None:
            raise _Miss(str(attributes))
        since = kwargs.get("StartTime")
        if isinstance(since, dt.datetime):
            events = [e for e in events if e["EventTime"] >= since]
        size = int(kwargs.get("MaxResults") or 50)
        start = int(kwargs.get("NextToken") or 0)
        answer: dict[str, Any] = {"Events": events[start : start + size]}
        if start + size < len(events):
            answer["NextToken"] = str(start + size)
        return answer


class _Backup(_Service):
    name = "backup"

    def _all_list_backup_plans(self) -> dict[str, Any]:
        self.snapshot.raise_if_failed("plans")
        return {"BackupPlansList": list(self.snapshot.plans)}

    def _plan_version(self, plan_id: str) -> str:
        self.snapshot.raise_if_failed("plans")
        for plan in self.snapshot.plans:
            if plan["BackupPlanId"] == plan_id:
                return str(plan.get("VersionId", ""))
        raise _Miss(plan_id)

    @_emulated
    def get_backup_plan(self, **kwargs: Any) -> dict[str, Any]:
        if set(kwargs) != {"BackupPlanId"}:
            raise _Miss(str(kwargs))
        version = self._plan_version(kwargs["BackupPlanId"])
        return self.owner.detail(
            "backup", "get_backup_plan", kwargs, version, False, lambda a: True
        )

    @_emulated
    def list_backup_selections(self, **kwargs: Any) -> dict[str, Any]:
        if set(kwargs) != {"BackupPlanId"}:
            raise _Miss(str(kwargs))
        version = self._plan_version(kwargs["BackupPlanId"])
        return self.owner.detail(
            "backup",
            "list_backup_selections",
            kwargs,
            version,
            False,
            lambda answer: bool(answer.get("BackupSelectionsList")),
        )

    @_emulated
    def list_backup_jobs(self, **kwargs: Any) -> dict[str, Any]:
        self.snapshot.raise_if_failed("jobs")
        vault = kwargs.pop("ByBackupVaultName", None)
        if kwargs or vault is None:
            raise _Miss(str(kwargs))
        jobs = [j for j in self.snapshot.jobs if j.get("BackupVaultName") == vault]
        return {"BackupJobs": jobs}

    def _vault(self, name: str, operation: str) -> dict[str, Any]:
        self.snapshot.raise_if_failed("vaults")
        for vault in self.snapshot.vaults:
            if vault["BackupVaultName"] == name:
                return vault
        raise _error(
            "ResourceNotFoundException",
            f"Backup vault {name} does not exist",
            operation,
        )

    @_emulated
    def describe_backup_vault(self, **kwargs: Any) -> dict[str, Any]:
        if set(kwargs) != {"BackupVaultName"}:
            raise _Miss(str(kwargs))
        return dict(self._vault(kwargs["BackupVaultName"], "DescribeBackupVault"))

    @_emulated
    def list_recovery_points_by_backup_vault(self, **kwargs: Any) -> dict[str, Any]:
        if set(kwargs) != {"BackupVaultName"}:
            raise _Miss(str(kwargs))
        name = kwargs["BackupVaultName"]
        vault = self._vault(name, "ListRecoveryPointsByBackupVault")
        self.snapshot.raise_if_failed("jobs")
        jobs = sorted(
            (j["BackupJobId"], j["State"])
            for j in self.snapshot.jobs
            if j.get("BackupVaultName") == name
        )
        fingerprint = _canonical([vault.get("NumberOfRecoveryPoints"), jobs])
        return self.owner.detail(
            "backup",
            "list_recovery_points_by_backup_vault",
            kwargs,
            fingerprint,
            False,
            lambda a: True,
        )


_SERVICES: dict[str, type[_Service]] = {
    service.name: service
    for service in (
        _EC2,
        _AutoScaling,
        _ELBv2,
        _SSM,
        _IAM,
        _CloudWatch,
        _SNS,
        _Logs,
        _CloudTrail,
        _Backup,
    )
}


class SnapshotClients:
    """Clients for the engine's finds and checks that answer from a snapshot.

    It has the shape of `labguide.aws.clients.Clients` as the checks use it
    (`ctx.clients.ec2.describe_vpcs(...)`, `.target`). A request the snapshot
    holds is answered from it, with AWS's filters and error codes; a
    per-resource request (target health, listeners, a log group's events, a
    plan's rules) comes from `ClassMemory` when it is still valid, and from
    AWS otherwise; anything else goes to AWS and is counted in `fallbacks`.

    Args:
        catalog: the lab catalog.
        snapshot: what the refresh read.
        memory: the answers kept between refreshes.
        live: the real clients.
        due: keys of remembered answers to read again this refresh.
    """

    def __init__(
        self,
        catalog: Catalog,
        snapshot: Snapshot,
        memory: ClassMemory,
        live: Clients,
        due: set[str],
    ) -> None:
        self.catalog = catalog
        self.snapshot = snapshot
        self.memory = memory
        self.live = live
        self.due = due
        self.used: set[str] = set()
        self.fallbacks: Counter[str] = Counter()
        self._services = {name: kind(self) for name, kind in _SERVICES.items()}
        self._groups_by_target = self._index_groups()
        self._groups_by_id = {g["GroupId"]: g for g in snapshot.security_groups}

    @property
    def target(self) -> Any:
        """Where the real calls go (the web check needs its route)."""
        return self.live.target

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        own = self._services.get(service)
        if own is not None:
            return own
        return getattr(self.live, service)

    def client(self, service: str) -> Any:
        """The client for `service`, as `Clients.client` gives it."""
        return getattr(self, service)

    # Fingerprints: what an answer AWS gives one resource at a time depends
    # on, as the snapshot shows it.

    def _index_groups(self) -> dict[str, list[dict[str, Any]]]:
        index: dict[str, list[dict[str, Any]]] = {}
        for group in self.snapshot.groups:
            for arn in group.get("TargetGroupARNs", []):
                index.setdefault(arn, []).append(group)
        return index

    def listener_inputs(self, balancer_arn: str) -> str:
        """A load balancer's listeners change with the balancer and the target
        groups it forwards to."""
        balancer = next(
            (
                b
                for b in self.snapshot.load_balancers
                if b["LoadBalancerArn"] == balancer_arn
            ),
            None,
        )
        forwarded = sorted(
            g["TargetGroupArn"]
            for g in self.snapshot.target_groups
            if balancer_arn in g.get("LoadBalancerArns", [])
        )
        return _canonical([balancer, forwarded])

    def health_inputs(self, target_group_arn: str) -> tuple[str, bool, bool]:
        """What target health depends on: the target group, the balancers it
        serves, the instances of the groups feeding it, their security groups'
        rules and the Run Commands they received.

        Returns:
            The fingerprint; whether an instance is younger than
            `SETTLE_SECONDS` (its health may still change by itself); and
            whether the health is volatile whatever it is: a Run Command that
            recent (nginx stopped or started), or a balancer not yet active.
        """
        now = self.snapshot.taken_at
        target_group = next(
            (
                g
                for g in self.snapshot.target_groups
                if g["TargetGroupArn"] == target_group_arn
            ),
            None,
        )
        balancers = [
            b
            for b in self.snapshot.load_balancers
            if target_group
            and b["LoadBalancerArn"] in target_group.get("LoadBalancerArns", [])
        ]
        volatile = any(b["State"]["Code"] != "active" for b in balancers)
        young = False
        members = []
        with self.memory.lock:
            commands = dict(self.memory.commands)
        by_tags = commands.get(EVERY_INSTANCE)
        if by_tags and now - by_tags[1] < SETTLE_SECONDS:
            volatile = True
        for group in self._groups_by_target.get(target_group_arn, []):
            for member in group.get("Instances", []):
                instance_id = member["InstanceId"]
                instance = self.snapshot.instances.get(instance_id, {})
                command = commands.get(instance_id)
                if _age(instance.get("LaunchTime"), now) < SETTLE_SECONDS:
                    young = True
                if command and now - command[1] < SETTLE_SECONDS:
                    volatile = True
                rules = [
                    self._groups_by_id.get(g["GroupId"], {}).get("IpPermissions")
                    for g in instance.get("SecurityGroups", [])
                ]
                members.append(
                    [
                        member,
                        instance.get("State"),
                        instance.get("SubnetId"),
                        instance.get("PublicIpAddress"),
                        rules,
                        command,
                    ]
                )
        shown = [
            [b["State"], b.get("SecurityGroups"), b.get("AvailabilityZones")]
            for b in balancers
        ]
        return _canonical([target_group, shown, members, by_tags]), young, volatile

    # The answers kept between refreshes.

    def detail(
        self,
        service: str,
        operation: str,
        request: dict[str, Any],
        fingerprint: str,
        volatile: bool,
        settled: Callable[[dict[str, Any]], bool],
    ) -> dict[str, Any]:
        """A per-resource answer: remembered while its fingerprint holds and it
        is settled; read from AWS otherwise (and remembered).

        Raises:
            ClientError: AWS refused the read (never remembered).
        """
        key = _canonical([service, operation, request])
        memory = self.memory
        with memory.lock:
            self.used.add(key)
            entry = memory.entries.get(key)
            if (
                entry is not None
                and entry.settled
                and entry.fingerprint == fingerprint
                and key not in self.due
            ):
                return entry.answer
        answer = dict(getattr(self.live.client(service), operation)(**request))
        answer.pop("ResponseMetadata", None)
        with memory.lock:
            memory.entries[key] = _Entry(
                answer, fingerprint, time.time(), settled(answer) and not volatile
            )
            self.due.discard(key)
        return answer


# -- the class report ----------------------------------------------------------


@dataclass(frozen=True)
class ParticipantProgress:
    """One participant's lab as the class view sees it.

    Attributes:
        tag: the participant tag (`_solo` for a single learner's lab).
        steps: each step's state: done, pending, failed or not-started.
        goals: each goal's result, as `labguide verify` gives it.
    """

    tag: str
    steps: dict[str, str]
    goals: list[GoalResult]

    @property
    def participant(self) -> str | None:
        """The participant's name; None for a single learner's lab."""
        return None if self.tag == SOLO else self.tag

    @property
    def passed(self) -> int:
        """How many goals passed."""
        return sum(1 for g in self.goals if g.status == "passed")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (goals as `labguide verify --json` writes them)."""
        return {
            "participant": self.tag,
            "solo": self.tag == SOLO,
            "passed": self.passed,
            "total": len(self.goals),
            "steps": dict(self.steps),
            "goals": [g.to_dict() for g in self.goals],
        }


@dataclass(frozen=True)
class ClassReport:
    """A refresh of the class view.

    Attributes:
        lab: the lab's id.
        account: the account id.
        account_label: `sandbox`, or the account id.
        region: the region.
        taken_at: when the snapshot was read (epoch seconds).
        seconds: how long the refresh took.
        calls: AWS calls the refresh made, by `service.Operation`.
        fallbacks: calls the snapshot could not answer (0 when all is well).
        participants: every participant found, by name.
    """

    lab: str
    account: str
    account_label: str
    region: str
    taken_at: float
    seconds: float
    calls: dict[str, int]
    fallbacks: dict[str, int]
    participants: list[ParticipantProgress]

    @property
    def total_calls(self) -> int:
        """How many AWS calls the refresh made."""
        return sum(self.calls.values())

    def participant(self, tag: str) -> ParticipantProgress:
        """One participant's progress.

        Raises:
            KeyError: no such participant in this refresh.
        """
        for progress in self.participants:
            if progress.tag == tag:
                return progress
        raise KeyError(tag)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "lab": self.lab,
            "account": self.account,
            "account_label": self.account_label,
            "region": self.region,
            "taken_at": self.taken_at,
            "seconds": round(self.seconds, 3),
            "calls": {"total": self.total_calls, "by_operation": dict(self.calls)},
            "fallbacks": dict(self.fallbacks),
            "participants": [p.to_dict() for p in self.participants],
        }


class ClassLedger:
    """When each participant's goals passed, as the class view saw them, kept
    in one small JSON file per account and region (participants' own session
    files live on their machines)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.passed: dict[str, dict[str, float]] = {}
        if path is not None and path.is_file():
            try:
                self.passed = {
                    str(k): {str(g): float(t) for g, t in v.items()}
                    for k, v in json.loads(path.read_text()).items()
                }
            except (OSError, ValueError, AttributeError):
                log.warning("class view: ignoring unreadable %s", path)

    def note(self, tag: str, goal: str, passing: bool, now: float) -> float | None:
        """Records a goal's status; returns when it first passed (None if it
        does not pass now)."""
        goals = self.passed.setdefault(tag, {})
        if not passing:
            goals.pop(goal, None)
            return None
        return goals.setdefault(goal, now)

    def save(self) -> None:
        """Writes the file atomically (no-op without a path)."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        with os.fdopen(handle, "w") as out:
            json.dump(self.passed, out)
        os.replace(temporary, self.path)


# -- the class view ------------------------------------------------------------


class ClassView:
    """Every participant's lab in one account and region, for an instructor.

    Args:
        catalog: the lab catalog.
        clients: clients for the account (or the sandbox) and region.
        account_label: names the account in file names (`sandbox`), or None
            for the account id.
        ledger_dir: where to keep when goals passed (a file per account and
            region); None keeps it in memory.
        session_dir: where participants' sessions live on this machine (their
            passing times are used when found); None to ignore them.
        poll_seconds: sleep between polls during a teardown.
        wait_seconds: the longest a teardown waits for AWS.
        workers: participants evaluated at once.

    Raises:
        LabguideError: the region is outside the lab's guardrail.
    """

    def __init__(
        self,
        catalog: Catalog,
        clients: Clients,
        *,
        account_label: str | None = None,
        ledger_dir: Path | None = None,
        session_dir: Path | None = None,
        poll_seconds: float = 5.0,
        wait_seconds: float = 600.0,
        workers: int = WORKERS,
    ) -> None:
        validate_region(catalog, clients.target.region)
        self.catalog = catalog
        self.clients = clients
        self.account_label = account_label
        self.session_dir = session_dir
        self.poll_seconds = poll_seconds
        self.wait_seconds = wait_seconds
        self.workers = workers
        self.memory = ClassMemory()
        self._trail_events: dict[str, dict[str, dict[str, Any]]] = {}
        """Each participant's CloudTrail events found so far, by event name."""
        self.ledger_dir = ledger_dir
        self._ledger: ClassLedger | None = None
        self._identity: Identity | None = None
        self._refresh_lock = threading.Lock()
        self.last: ClassReport | None = None
        self._facade: SnapshotClients | None = None

    @classmethod
    def open(
        cls,
        catalog: Catalog,
        target: Target,
        poll_seconds: float = 5.0,
        wait_seconds: float = 600.0,
    ) -> ClassView:
        """The class view of a target, keeping its files where labguide keeps
        sessions (as `labguide class` and the guide open it).

        Args:
            catalog: the lab catalog.
            target: the account (or the sandbox) and region.
            poll_seconds: sleep between polls during a teardown.
            wait_seconds: the longest a teardown waits for AWS.
        """
        from labguide.locations import state_dir

        sessions = state_dir()
        return cls(
            catalog,
            Clients(target),
            account_label="sandbox" if target.is_sandbox else None,
            ledger_dir=sessions.parent / "classes",
            session_dir=sessions,
            poll_seconds=poll_seconds,
            wait_seconds=wait_seconds,
        )

    @property
    def identity(self) -> Identity:
        """The account and caller (asked once)."""
        if self._identity is None:
            self._identity = self.clients.identity()
        return self._identity

    @property
    def ledger(self) -> ClassLedger:
        """When goals passed, for this account and region (read once)."""
        if self._ledger is None:
            path = None
            if self.ledger_dir is not None:
                account = self.account_label or self.identity.account
                path = self.ledger_dir / f"{account}-{self.region}.json"
            self._ledger = ClassLedger(path)
        return self._ledger

    @property
    def region(self) -> str:
        """The region the class works in."""
        return self.clients.target.region

    @property
    def is_sandbox(self) -> bool:
        """Whether the class runs in the sandbox (drills need it)."""
        return self.clients.target.is_sandbox

    def where(self) -> str:
        """The account, for confirmations: `AWS account 1234... (us-east-1)`."""
        kind = "sandbox account" if self.is_sandbox else "AWS account"
        return f"{kind} {self.identity.account} ({self.region})"

    # Refresh

    def refresh(self) -> ClassReport:
        """Reads the account once and derives every participant's progress.

        Raises:
            LabguideError: credentials are missing or refused.
        """
        with self._refresh_lock:
            return self._refresh()

    def _refresh(self) -> ClassReport:
        began = time.monotonic()
        identity = self.identity
        before = Counter(self.clients.calls)
        memory = self.memory

        snapshot = _Reader(self.catalog, self.clients, memory).read()
        due = self._sweep()
        facade = SnapshotClients(self.catalog, snapshot, memory, self.clients, due)
        tags = snapshot.participants(self.catalog.lab.tag_keys.participant)
        with ThreadPoolExecutor(
            max_workers=max(1, self.workers), thread_name_prefix="class"
        ) as pool:
            evaluated = list(pool.map(lambda t: self._evaluate(facade, t), tags))

        with memory.lock:
            for key in set(memory.entries) - facade.used:
                del memory.entries[key]
            memory.last_refresh = snapshot.taken_at
        progress = [self._with_times(p, snapshot.taken_at) for p in evaluated]
        self.ledger.save()
        calls = Counter(self.clients.calls)
        calls.subtract(before)
        report = ClassReport(
            lab=self.catalog.lab.id,
            account=identity.account,
            account_label=self.account_label or identity.account,
            region=self.region,
            taken_at=snapshot.taken_at,
            seconds=time.monotonic() - began,
            calls={k: v for k, v in sorted(calls.items()) if v > 0},
            fallbacks=dict(facade.fallbacks),
            participants=progress,
        )
        if facade.fallbacks:
            log.warning("class view asked AWS directly: %s", dict(facade.fallbacks))
        self.last = report
        self._facade = facade
        return report

    def _sweep(self) -> set[str]:
        """The oldest settled answers, to be read again this refresh."""
        with self.memory.lock:
            settled = sorted(
                (e.fetched_at, k) for k, e in self.memory.entries.items() if e.settled
            )
        return {key for _, key in settled[:SWEEP]}

    def context(self, tag: str) -> LabContext:
        """A participant's lab read through the last refresh's snapshot: the
        engine's finds and checks run on it without asking AWS again.

        Raises:
            LabguideError: nothing has been read yet.
        """
        if self._facade is None:
            raise LabguideError("The class has not been read yet.")
        return self._context(self._facade, tag)

    def _context(self, facade: SnapshotClients, tag: str) -> LabContext:
        """A participant's lab, read through the snapshot."""
        return LabContext(
            catalog=self.catalog,
            # The checks only use what SnapshotClients offers of Clients.
            clients=facade,  # type: ignore[arg-type]
            participant=None if tag == SOLO else tag,
            poll_seconds=0.0,
            wait_seconds=0.0,
            # Events found once stay found (history keeps them), as they do
            # for a learner's own session: later refreshes skip the search.
            trail_events=self._trail_events.setdefault(tag, {}),
        )

    def _evaluate(self, facade: SnapshotClients, tag: str) -> ParticipantProgress:
        ctx = self._context(facade, tag)
        results: dict[str, CheckResult] = {}

        def check(check_id: str) -> CheckResult:
            if check_id not in results:
                results[check_id] = self._check(ctx, check_id)
            return results[check_id]

        goals = []
        for goal in self.catalog.goals:
            checks = [check(c) for c in goal.checks]
            goals.append(GoalResult(goal, combine(checks), checks))
        steps: dict[str, str] = {}
        holds = False
        for step in self.catalog.steps:
            action = ACTIONS.get(step.action)
            creates = action is not None and action.find is not find_nothing
            if step.action == TEARDOWN_ACTION:
                # Done once nothing billable is left and no step holds
                # anything: a lab still listed is not cleaned up.
                clean = combine([check(c) for c in step.checks]) == "passed"
                steps[step.id] = "done" if clean and not holds else "not-started"
            elif creates and action is not None and not action.find(ctx):
                steps[step.id] = "not-started"
            elif not creates and any(
                steps.get(d) == "not-started" for d in step.depends_on
            ):
                # Nothing of its own to find: it starts when what it reads
                # exists.
                steps[step.id] = "not-started"
            else:
                holds = holds or creates
                steps[step.id] = _STEP_STATES[combine([check(c) for c in step.checks])]
        return ParticipantProgress(tag, steps, goals)

    def _check(self, ctx: LabContext, check_id: str) -> CheckResult:
        """A check as `LabSession.check` runs it: AWS errors become a failed
        result."""
        try:
            return CHECKS[check_id](ctx)
        except (ClientError, BotoCoreError) as error:
            explained = explain(error, self.clients.target.profile)
            if explained is not None:
                raise explained from None
            summary = Words(f"AWS error: {error}", f"AWS のエラー：{error}")
            return failed(check_id, summary, "aws-error")

    def _with_times(
        self, progress: ParticipantProgress, now: float
    ) -> ParticipantProgress:
        """Adds when each passing goal passed: the participant's own session
        on this machine if it has the time, else when the class view first
        saw it pass."""
        own = self._session_times(progress.participant)
        goals = []
        for result in progress.goals:
            seen = self.ledger.note(
                progress.tag, result.goal.id, result.status == "passed", now
            )
            times = [t for t in (seen, own.get(result.goal.id)) if t is not None]
            passed_at = min(times) if seen is not None and times else None
            goals.append(
                GoalResult(result.goal, result.status, result.checks, passed_at)
            )
        return ParticipantProgress(progress.tag, progress.steps, goals)

    def _session_times(self, participant: str | None) -> dict[str, float]:
        if self.session_dir is None:
            return {}
        account = self.account_label or self.identity.account
        path = (
            self.session_dir / f"{session_key(account, self.region, participant)}.json"
        )
        try:
            state = SessionState.from_dict(json.loads(path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return {}
        return {
            goal: float(record["passed_at"])
            for goal, record in state.goals.items()
            if record.get("status") == "passed" and record.get("passed_at")
        }

    # Drills and teardown

    def participants(self) -> list[str]:
        """The participant tags of the last refresh (refreshing if none)."""
        report = self.last or self.refresh()
        return [p.tag for p in report.participants]

    def _chosen(self, participants: Iterable[str] | None) -> list[str]:
        known = self.participants()
        if participants is None:
            return known
        chosen = list(dict.fromkeys(participants))
        unknown = [p for p in chosen if p not in known]
        if unknown:
            raise LabguideError(
                f"No lab of {', '.join(unknown)} in {self.where()}.",
                "Participants found: " + (", ".join(known) or "none") + ".",
            )
        return chosen

    def drills(self) -> dict[str, str]:
        """The drills an instructor can start, by name, with what each
        breaks (none outside the sandbox)."""
        if not self.is_sandbox:
            return {}
        from labguide.sandbox.drills import DRILLS

        return {name: drill.summary for name, drill in sorted(DRILLS.items())}

    def start_drill(
        self, name: str, participants: Iterable[str] | None = None
    ) -> dict[str, str]:
        """Puts a drill into one participant's lab, several, or everyone's
        (None), in the sandbox.

        Returns:
            For each participant, what the drill did or why it could not.

        Raises:
            LabguideError: not the sandbox, an unknown drill or participant.
        """
        from labguide.sandbox.drills import DRILLS, start_drill

        if not self.is_sandbox:
            raise LabguideError(
                "Drills run in the sandbox only.",
                "Run the class in the sandbox (without --aws).",
            )
        if name not in DRILLS:
            raise LabguideError(
                f"There is no drill {name!r}.", f"Drills: {', '.join(sorted(DRILLS))}."
            )
        outcome: dict[str, str] = {}
        for tag in self._chosen(participants):
            who = None if tag == SOLO else tag
            try:
                outcome[tag] = start_drill(name, self.clients.target, self.catalog, who)
            except LabguideError as error:
                outcome[tag] = f"not started: {error}"
        return outcome

    def _session(self, tag: str) -> LabSession:
        from labguide.locations import state_dir

        who = None if tag == SOLO else tag
        return LabSession.open(
            self.catalog,
            self.clients,
            self.session_dir or state_dir(),
            participant=who,
            poll_seconds=self.poll_seconds,
            wait_seconds=self.wait_seconds,
            account_label=self.account_label,
            reconcile=False,
        )

    def teardown_plan(
        self, participants: Iterable[str] | None = None
    ) -> dict[str, list[Resource]]:
        """What tearing down these participants' labs (everyone's with None)
        would delete, per participant: the dry run. It is the teardown's own
        inventory, read from one refresh's snapshot (so it costs one refresh
        for the whole class); the deletion reads each lab again."""
        with self._refresh_lock:
            self._refresh()
            facade = self._facade
        assert facade is not None
        return {
            tag: inventory(self._context(facade, tag))
            for tag in self._chosen(participants)
        }

    def tear_down(
        self, participants: Iterable[str] | None = None, workers: int = 4
    ) -> dict[str, TeardownResult]:
        """Deletes these participants' labs (everyone's with None), each by
        its own tags and names, several at once.

        Raises:
            LabguideError: a participant's session is open elsewhere, or
                credentials fail.
        """
        chosen = self._chosen(participants)

        def one(tag: str) -> TeardownResult:
            with self._session(tag) as session:
                return session.teardown()

        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            results = dict(zip(chosen, pool.map(one, chosen), strict=True))
        self.last = None
        return results

    # Export

    def export(
        self,
        report: ClassReport,
        directory: Path,
        fmt: str = "md",
        language: Language = "en",
    ) -> list[Path]:
        """Writes every participant's report, as `labguide report` writes
        one, into `directory` (one file per participant, named after them),
        plus `index.<fmt>`: the class at a glance.

        Returns:
            The files written, the index first.
        """
        from labguide.engine.report import html_report, json_report, markdown

        directory.mkdir(parents=True, exist_ok=True)
        written = [directory / f"index.{fmt}"]
        written[0].write_text(class_index(self.catalog, report, fmt, language))
        for progress in report.participants:
            state = self.session_state(report, progress)
            if fmt == "md":
                text = markdown(self.catalog, state, progress.goals, language)
            elif fmt == "html":
                text = html_report(self.catalog, state, progress.goals, language)
            else:
                text = json_report(self.catalog, state, progress.goals)
            path = directory / f"{progress.tag}.{fmt}"
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written

    def session_state(
        self, report: ClassReport, progress: ParticipantProgress
    ) -> SessionState:
        """The participant's progress as a session's state (what the report
        renderers take)."""
        return SessionState(
            account=report.account_label,
            region=report.region,
            participant=progress.participant,
            steps={
                step: StepState(status=_SESSION_STATUS[state])
                for step, state in progress.steps.items()
            },
            goals={
                g.goal.id: {"status": g.status, "passed_at": g.passed_at}
                for g in progress.goals
            },
        )


_MARKS = {"passed": "✔", "pending": "…", "failed": "✘"}
_STEP_MARKS = {"done": "✔", "pending": "…", "failed": "✘", "not-started": "·"}


def class_index(
    catalog: Catalog, report: ClassReport, fmt: str, language: Language = "en"
) -> str:
    """The class at a glance: each participant's goals, in `fmt` (md, html or
    json)."""
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str)
    when = dt.datetime.fromtimestamp(report.taken_at, dt.UTC).strftime(
        "%Y-%m-%d %H:%M UTC"
    )
    title = catalog.lab.title.get(language)
    goals = [g.id for g in catalog.goals]
    rows = [
        [p.tag, f"{p.passed}/{len(p.goals)}"] + [_MARKS[g.status] for g in p.goals]
        for p in report.participants
    ]
    header = ["participant", "passed", *goals]
    if fmt == "md":
        lines = [
            f"# {title}: the class",
            "",
            f"- Account: {report.account_label}, region {report.region}",
            f"- Participants: {len(report.participants)}",
            f"- Read: {when}",
            "",
            "| " + " | ".join(header) + " |",
            "|" + "---|" * len(header),
        ]
        lines += [
            "| " + " | ".join([f"[{r[0]}]({r[0]}.md)", *r[1:]]) + " |" for r in rows
        ]
        return "\n".join(lines) + "\n"
    import html

    esc = html.escape
    cells = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + f'<td><a href="{esc(r[0])}.html">{esc(r[0])}</a></td>'
        + "".join(f"<td>{esc(c)}</td>" for c in r[1:])
        + "</tr>"
        for r in rows
    )
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title></head><body><h1>{esc(title)}</h1>"
        f"<p>{esc(report.account_label)} · {esc(report.region)} · "
        f"{len(report.participants)} participants · {esc(when)}</p>"
        f"<table><tr>{cells}</tr>{body}</table></body></html>\n"
    )


def step_marks(progress: ParticipantProgress, catalog: Catalog) -> str:
    """A participant's steps as one mark each, in order (for tables)."""
    return "".join(_STEP_MARKS[progress.steps[s.id]] for s in catalog.steps)
