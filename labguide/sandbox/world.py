"""The lab world: the data plane AWS has and moto lacks.

moto keeps the control plane (what was created, with which settings). The
world reads it in-process and derives what would happen from it: instances
boot from the user data their launch template carries, targets pass or fail
their health checks for the reasons AWS gives, the load balancer serves the
page nginx was given, the CloudWatch agent ships nginx's logs, the SSM agent
registers where it can reach its endpoints, the 5XX alarm is evaluated from
the metrics the load balancer emits and notifies confirmed subscribers.

Nothing is a fixed answer: every outcome follows from what the learner
configured. The world is driven by `tick()`, called before and after every
API call and by a background timer, always under the sandbox's lock.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from labguide.sandbox.clock import Clock
from labguide.sandbox.config import ACCOUNT_ID, Timing
from labguide.sandbox.guest import (
    NGINX_VERSION,
    SERVER_ERROR_PAGE,
    Boot,
    LogSource,
    decode_user_data,
    page_for,
    run_user_data,
)

log = logging.getLogger(__name__)


@functools.lru_cache(maxsize=4096)
def _network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR block, parsed once: health checks test them on every tick."""
    return ipaddress.ip_network(cidr)


@functools.lru_cache(maxsize=4096)
def _address(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An IP address, parsed once (see `_network`)."""
    return ipaddress.ip_address(address)


SSM_POLICIES = ("AmazonSSMManagedInstanceCore", "AmazonEC2RoleforSSM")
AGENT_POLICIES = (
    "CloudWatchAgentServerPolicy",
    "CloudWatchAgentAdminPolicy",
    "CloudWatchLogsFullAccess",
)
ACCESS_LOG = "/var/log/nginx/access.log"
ERROR_LOG = "/var/log/nginx/error.log"
HEALTH_CHECKER = "ELB-HealthChecker/2.0"
ELB_PAGES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


def backends(service: str) -> Iterator[tuple[str, Any]]:
    """(region, backend) for every region where moto holds `service` state."""
    from moto.backends import get_backend

    per_account = get_backend(service)  # type: ignore[call-overload]
    if ACCOUNT_ID not in dict.keys(per_account):
        return iter(())
    return iter(list(dict.items(per_account[ACCOUNT_ID])))


def backend(service: str, region: str) -> Any:
    """moto's backend of `service` in `region` (created if need be)."""
    from moto.backends import get_backend

    per_account = get_backend(service)  # type: ignore[call-overload]
    return per_account[ACCOUNT_ID][region]


def iam() -> Any:
    """moto's IAM backend (global)."""
    return backend("iam", "global")


# The inside of an instance -------------------------------------------------


@dataclass
class Guest:
    """A simulated instance's operating system."""

    instance_id: str
    region: str
    launched: float
    hostname: str
    private_ip: str
    boot: Boot
    nginx_override: str | None = None
    """`stopped`, `running` or `failing` once someone acted on nginx after
    boot (a drill, or `systemctl` through Run Command); None follows boot."""
    nginx_changed: float = 0.0
    agent_override: bool | None = None
    agent_sources: list[LogSource] = field(default_factory=list)
    access_log: list[tuple[float, str]] = field(default_factory=list)
    error_log: list[tuple[float, str]] = field(default_factory=list)
    nginx_noted: bool = False
    shipped: dict[str, int] = field(default_factory=dict)
    ssm_registered: float | None = None
    ssm_last_ping: float = 0.0
    pid: int = 2071

    def started_at(self, unit: str) -> float | None:
        """The real time `unit` started at boot, if the user data started it."""
        offset = self.boot.started.get(unit)
        return None if offset is None else self.launched + offset

    def nginx_state(self, clock: Clock, now: float) -> str:
        """`running`, `failing` (answers 500), `stopped` or `absent`."""
        if "nginx" not in self.boot.packages:
            return "absent"
        if self.nginx_override is not None:
            return self.nginx_override
        began = self.boot.started.get("nginx")
        if began is None:
            return "stopped"
        return "running" if clock.passed(self.launched, began, now) else "stopped"

    def agent_running(self, clock: Clock, now: float) -> bool:
        """Whether the CloudWatch agent runs with a configuration."""
        if self.agent_override is not None:
            return self.agent_override and bool(self.agent_sources)
        began = self.boot.started.get("amazon-cloudwatch-agent")
        return began is not None and clock.passed(self.launched, began, now)

    def serve(self, path: str, clock: Clock, now: float) -> tuple[int, str, str | None]:
        """What nginx answers for `path`: status, body, error log message."""
        state = self.nginx_state(clock, now)
        if state == "failing":
            return (
                500,
                SERVER_ERROR_PAGE,
                "rewrite or internal redirection cycle while internally redirecting "
                'to "/index.html"',
            )
        status, body, missing = page_for(self.boot.files, path)
        message = (
            f'open() "{missing}" failed (2: No such file or directory)'
            if missing
            else None
        )
        return status, body, message

    def note_nginx_start(self, at: float) -> None:
        """The lines nginx writes to its error log when it starts."""
        self.pid += 2
        stamp = _nginx_time(at)
        for text in (
            'using the "epoll" event method',
            f"nginx/{NGINX_VERSION}",
            "OS: Linux 6.1.158-180.294.amzn2023.x86_64",
            "getrlimit(RLIMIT_NOFILE): 65535:65535",
            "start worker processes",
            f"start worker process {self.pid + 1}",
        ):
            self.error_log.append(
                (at, f"{stamp} [notice] {self.pid}#{self.pid}: {text}")
            )

    def access(
        self,
        at: float,
        client: str,
        method: str,
        path: str,
        status: int,
        size: int,
        agent: str,
        forwarded: str = "-",
    ) -> None:
        """Appends a line in nginx's `main` log format."""
        when = datetime.fromtimestamp(at, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
        self.access_log.append(
            (
                at,
                f'{client} - - [{when}] "{method} {path} HTTP/1.1" {status} {size} '
                f'"-" "{agent}" "{forwarded}"',
            )
        )

    def error(
        self, at: float, message: str, client: str, request: str, host: str
    ) -> None:
        """Appends an `[error]` line as nginx writes it."""
        self.error_log.append(
            (
                at,
                f"{_nginx_time(at)} [error] {self.pid + 1}#{self.pid + 1}: "
                f"*{len(self.error_log) + 1} {message}, client: {client}, server: _, "
                f'request: "{request}", host: "{host}"',
            )
        )

    def file(self, path: str) -> list[str] | None:
        """The lines of a log file on the instance, if the world keeps it."""
        if path == ACCESS_LOG:
            return [line for _, line in self.access_log]
        if path == ERROR_LOG:
            return [line for _, line in self.error_log]
        if path == "/var/log/cloud-init-output.log":
            return self.boot.output
        if path == "/var/log/cloud-init.log":
            return [part for line in self.boot.log for part in line.split("\n")]
        if path in self.boot.files:
            return self.boot.files[path].rstrip("\n").split("\n")
        return None


def _nginx_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y/%m/%d %H:%M:%S")


# Target health ---------------------------------------------------------------


@dataclass
class TargetHealth:
    """The health-check history of one target in one target group."""

    registered: float
    state: str = "initial"
    reason: str | None = "Elb.RegistrationInProgress"
    description: str | None = "Target registration is in progress"
    checks: int = 0
    passes: int = 0
    fails: int = 0


@dataclass
class Probe:
    """The outcome of one health check."""

    ok: bool
    reason: str | None = None
    description: str | None = None


# Mail, alarms, metrics --------------------------------------------------------


@dataclass
class Email:
    """A message the sandbox would have e-mailed."""

    to: str
    subject: str
    body: str
    sent: float
    topic_arn: str


@dataclass
class Datum:
    """One metric value the world emitted."""

    at: float
    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]
    value: float


BALANCER_DOMAIN = ".elb.amazonaws.com"
"""The end of every load balancer's DNS name."""

Series = dict[tuple[str, str, frozenset[tuple[str, str]]], list[Datum]]
"""Data points by metric: (namespace, name, dimensions)."""


# The world --------------------------------------------------------------------


class World:
    """All the lab's derived state, advanced by `tick()`.

    Args:
        clock: the sandbox's scaled clock.
    """

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.guests: dict[str, Guest] = {}
        self.health: dict[tuple[str, str], TargetHealth] = {}
        self.balancers: dict[str, float] = {}
        self.pending_subscriptions: dict[str, str] = {}
        """Subscription ARN -> token, for e-mail subscriptions not yet confirmed."""
        self.seen_subscriptions: set[str] = set()
        self.outbox: list[Email] = []
        self.metrics: list[Datum] = []
        self.wake_at: float | None = None
        """When something may change by time alone (an alarm's data ageing
        out of its window), as of the last tick; None when nothing will."""
        self.round_robin: dict[str, int] = {}
        self.random = random.Random(7)
        self._served: set[str] = set()
        """Balancers (their ARNs' last part) that served a page since the
        alarms were last evaluated."""
        self._shipping: set[str] = set()
        """Instances that logged a request since their logs were last shipped."""
        self._standing: dict[str, Any] = {}
        """The indexes pages are answered from (see `forget`)."""

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("clock", None)
        state.pop("_memo", None)
        state.pop("_index", None)
        state.pop("_served", None)
        state.pop("_shipping", None)
        state.pop("_standing", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("wake_at", None)
        self.clock = Clock(0)
        self._served = set()
        self._shipping = set()
        self._standing = {}

    # -- the tick --------------------------------------------------------

    def tick(self) -> None:
        """Advances everything time or configuration changed."""
        now = self.clock.now()
        # A tick looks up instances, instance profiles and balancers for every
        # target and instance: from indexes built once per tick, it stays
        # linear in the number of labs (a class of 200 holds 400 instances).
        self._memo: dict[str, Any] | None = {}
        self.wake_at = None
        phases: list[Callable[[], None]] = [
            lambda: self._balancers(now),
            lambda: self._instances(now),
            lambda: self._note_nginx_starts(now),
            self._replace_lost_instances,
            lambda: self._health(now),
            lambda: self._ssm(now),
            lambda: self._ship_logs(now),
            self._subscriptions,
            lambda: self._alarms(now),
        ]
        self._served = set()
        self._shipping = set()
        try:
            # Each part on its own: a fault in one (shipping logs, say) must
            # not freeze the others (e-mail, alarms) for the rest of the lab.
            for phase in phases:
                try:
                    phase()
                except Exception:  # noqa: BLE001 - logged; the world goes on
                    log.exception("a part of the lab world failed to advance")
        finally:
            # A tick changes what the indexes hold (it replaces lost
            # instances): they are built afresh for what comes next.
            self._memo = None
            self._standing = {}

    def forget(self) -> None:
        """Drops the indexes pages are answered from: called on every change
        to the account (a page changes only logs and metrics, so between
        changes a class's pages share one set of indexes instead of each
        building them over every lab)."""
        self._standing = {}

    def tick_traffic(self) -> None:
        """Advances only what a request for a page changes: nginx's logs to
        ship and the alarms on the metrics of the balancers that served (a
        full tick also re-checks every target's health, which a page request
        leaves as is, and every alarm)."""
        now = self.clock.now()
        served, self._served = self._served, set()
        shipping, self._shipping = self._shipping, set()
        self._memo = self._standing
        try:
            phases: list[Callable[[], None]] = [
                lambda: self._ship_logs(now, guests=shipping),
                lambda: self._alarms(now, balancers=served),
            ]
            for phase in phases:
                try:
                    phase()
                except Exception:  # noqa: BLE001 - logged; the world goes on
                    log.exception("a part of the lab world failed to advance")
            # Lines the agent has not flushed yet go at a later tick.
            self._shipping |= {
                instance_id
                for instance_id in shipping
                if instance_id in self.guests
                and self._has_unshipped(self.guests[instance_id])
            }
        finally:
            self._memo = None

    def _memoized(
        self, key: str, build: Callable[[], dict[Any, Any]]
    ) -> dict[Any, Any] | None:
        """The index `key` (built on first use) of this tick, or of the pages
        answered since the last change; None otherwise."""
        memo = getattr(self, "_memo", None)
        if memo is None:
            return None
        if key not in memo:
            memo[key] = build()
        return memo[key]

    def _balancers(self, now: float) -> None:
        for region, elbv2 in backends("elbv2"):
            for balancer in elbv2.load_balancers.values():
                if balancer.arn not in self.balancers:
                    self.balancers[balancer.arn] = now
                    balancer.state = "provisioning"
                    # AWS's names carry a number, so a name never resolves to a
                    # deleted balancer's address.
                    number = self.random.randrange(10**9, 2 * 10**9)
                    balancer.dns_name = (
                        f"{balancer.name}-{number}.{region}{BALANCER_DOMAIN}"
                    )
                if balancer.state == "provisioning" and self.clock.passed(
                    self.balancers[balancer.arn], Timing.LOAD_BALANCER_ACTIVE, now
                ):
                    balancer.state = "active"

    def _instances(self, now: float) -> None:
        for region, ec2 in backends("ec2"):
            for instance in ec2.all_instances():
                if instance.id in self.guests or instance.state not in (
                    "pending",
                    "running",
                ):
                    continue
                raw = instance.user_data
                if raw is not None and hasattr(raw, "as_bytes"):
                    raw = raw.as_bytes()
                elif isinstance(raw, list):
                    raw = raw[0] if raw else None
                script = decode_user_data(raw)
                launched = datetime.fromtimestamp(now, UTC)
                boot = run_user_data(
                    script,
                    instance.private_dns_name,
                    instance.id,
                    launched,
                    self.clock.scale,
                )
                self.guests[instance.id] = Guest(
                    instance_id=instance.id,
                    region=region,
                    launched=now,
                    hostname=instance.private_dns_name,
                    private_ip=instance.private_ip or "",
                    boot=boot,
                    agent_sources=list(boot.agent_sources),
                )
                log.info("instance %s booted: %s", instance.id, boot.failure or "ok")

    def _replace_lost_instances(self) -> None:
        """An Auto Scaling group replaces instances that stopped or ended (its
        EC2 health check), from the template version it names now."""
        for _, autoscaling in backends("autoscaling"):
            for group in autoscaling.autoscaling_groups.values():
                lost = [
                    state
                    for state in group.instance_states
                    if state.instance.state not in ("pending", "running")
                ]
                if not lost:
                    continue
                lost_ids = {state.instance.id for state in lost}
                group.instance_states = [
                    s for s in group.instance_states if s.instance.id not in lost_ids
                ]
                for arn in group.target_group_arns:
                    target_group = autoscaling.elbv2_backend.target_groups.get(arn)
                    if target_group is not None:
                        for instance_id in lost_ids:
                            target_group.targets.pop(instance_id, None)
                group.set_desired_capacity(group.desired_capacity)
                autoscaling.update_attached_target_groups(group.name)

    # -- networks, roles -------------------------------------------------

    def instance(self, instance_id: str) -> Any | None:
        """moto's instance, in any region."""
        index = self._memoized(
            "instances",
            lambda: {
                candidate.id: candidate
                for _, ec2 in backends("ec2")
                for reservation in list(ec2.reservations.values())
                for candidate in reservation.instances
            },
        )
        if index is not None and instance_id in index:
            return index[instance_id]
        guest = self.guests.get(instance_id)
        regions = [guest.region] if guest else [r for r, _ in backends("ec2")]
        for region in regions:
            ec2 = backend("ec2", region)
            # Straight through moto's reservations: `all_instances()` copies
            # every reservation, and the tick asks this for every target, so a
            # workshop's thirty labs made each tick quadratic.
            for reservation in list(ec2.reservations.values()):
                for candidate in reservation.instances:
                    if candidate.id == instance_id:
                        return candidate
        return None

    def role_policies(self, instance: Any) -> set[str]:
        """Names of the managed policies the instance's role carries."""
        profile = getattr(instance, "iam_instance_profile", None) or {}
        arn = profile.get("Arn") if isinstance(profile, dict) else None
        if not arn:
            return set()
        index = self._memoized("profiles", _profile_policies)
        return set((index if index is not None else _profile_policies()).get(arn, ()))

    def internet_path(self, instance: Any, ec2: Any) -> tuple[bool, str]:
        """Whether the instance can reach AWS's public endpoints, and if not,
        why: a public IP and a 0.0.0.0/0 route to an internet gateway, or
        VPC endpoints for Systems Manager."""
        subnet_id = instance.subnet_id
        vpc_id = instance.vpc_id
        by_vpc = self._memoized(f"vpc-networks-{id(ec2)}", lambda: _vpc_networks(ec2))
        endpoints, tables = (by_vpc if by_vpc is not None else _vpc_networks(ec2)).get(
            vpc_id, (set(), [])
        )
        if {"ssm", "ssmmessages", "ec2messages"} <= endpoints:
            return True, "VPC endpoints"
        if not instance.public_ip:
            return False, "no public IPv4 address"
        table = next(
            (t for t in tables if subnet_id in t._associations.values()),
            next((t for t in tables if t.main_association_id), None),
        )
        if table is None:
            return False, "no route table"
        for route in table.routes:
            gateway = getattr(route, "gateway", None)
            if (
                route.destination_cidr_block == "0.0.0.0/0"
                and gateway is not None
                and str(getattr(gateway, "id", "")).startswith("igw-")
            ):
                return True, "internet gateway"
        return False, "no route to an internet gateway"

    # -- target health ---------------------------------------------------

    def _health(self, now: float) -> None:
        for _, elbv2 in backends("elbv2"):
            for group in elbv2.target_groups.values():
                balancer = self.balancer_for(elbv2, group)
                for target_id in list(group.targets):
                    key = (group.arn, target_id)
                    record = self.health.setdefault(key, TargetHealth(registered=now))
                    guest = self.guests.get(target_id)
                    if balancer is None or guest is None:
                        continue
                    self._advance(record, group, balancer, guest, now)
                for key in [k for k in self.health if k[0] == group.arn]:
                    if key[1] not in group.targets:
                        del self.health[key]

    def balancer_for(self, elbv2: Any, group: Any) -> Any | None:
        """The load balancer whose listener forwards to the target group."""
        index = self._memoized(f"balancers-{id(elbv2)}", lambda: _forwarding(elbv2))
        if index is not None:
            return index.get(group.arn)
        return _forwarding(elbv2).get(group.arn)

    def _advance(
        self, record: TargetHealth, group: Any, balancer: Any, guest: Guest, now: float
    ) -> None:
        interval = float(group.health_check_interval_seconds or 30)
        healthy = int(group.healthy_threshold_count or 5)
        unhealthy = int(group.unhealthy_threshold_count or 2)
        first = record.registered + self.clock.real(Timing.TARGET_REGISTRATION)
        if now < first:
            return
        if self.clock.scale == 0:
            # Every wait is instant: check again only when the outcome would
            # change what the target group reports.
            outcome = self.probe(group, balancer, guest, now, record_access=False)
            settled = (outcome.ok and record.state == "healthy") or (
                not outcome.ok
                and record.state == "unhealthy"
                and record.reason == outcome.reason
            )
            if settled:
                return
            due = record.checks + (healthy if outcome.ok else unhealthy)
            times = [now] * (due - record.checks)
        else:
            due = int((now - first) // self.clock.real(interval)) + 1
            start = max(record.checks, due - (healthy + unhealthy))
            times = [first + i * self.clock.real(interval) for i in range(start, due)]
        if due <= record.checks:
            return
        record.checks = due
        for at in times:
            probe = self.probe(group, balancer, guest, at)
            if probe.ok:
                record.passes, record.fails = record.passes + 1, 0
                if record.state != "healthy" and record.passes >= healthy:
                    record.state, record.reason, record.description = (
                        "healthy",
                        None,
                        None,
                    )
            else:
                record.fails, record.passes = record.fails + 1, 0
                if record.fails >= unhealthy:
                    record.state = "unhealthy"
                    record.reason, record.description = probe.reason, probe.description
            if record.state == "initial":
                record.reason = "Elb.InitialHealthChecking"
                record.description = "Initial health checks in progress"

    def admits(self, instance: Any, balancer: Any, port: int) -> bool:
        """Whether the instance's security groups let the balancer in on `port`."""
        ec2 = backend("ec2", self.guests[instance.id].region)
        sources = set(balancer.security_groups)
        networks = [_network(subnet.cidr_block) for subnet in balancer.subnets] or [
            _network("10.0.0.0/8")
        ]
        # moto finds a group by id by scanning them all: index them once a tick.
        index = self._memoized(f"security-groups-{id(ec2)}", lambda: _groups(ec2))
        for group in instance.security_groups:
            current = (
                index.get(group.id)
                if index is not None
                else ec2.get_security_group_from_id(group.id)
            ) or group
            for rule in current.ingress_rules:
                if rule.ip_protocol not in ("-1", "tcp", "6"):
                    continue
                if rule.ip_protocol != "-1" and not (
                    (rule.from_port or 0) <= port <= (rule.to_port or 65535)
                ):
                    continue
                if rule.source_group and rule.source_group.get("GroupId") in sources:
                    return True
                cidr = rule.ip_range.get("CidrIp") if rule.ip_range else None
                if cidr and all(
                    net.subnet_of(_network(cidr))  # type: ignore[arg-type]
                    for net in networks
                ):
                    return True
        return False

    def probe(
        self,
        group: Any,
        balancer: Any,
        guest: Guest,
        at: float,
        record_access: bool = True,
    ) -> Probe:
        """One health check of a target, as the load balancer would run it
        (leaving its line in nginx's logs unless `record_access` is false)."""
        instance = self.instance(guest.instance_id)
        if instance is None or instance.state != "running":
            return Probe(False, "Target.InvalidState", "Target is in the stopped state")
        port = int(group.port or 80)
        if str(group.health_check_port or "traffic-port") not in ("traffic-port", ""):
            port = int(group.health_check_port)
        if not self.admits(instance, balancer, port):
            return Probe(False, "Target.Timeout", "Request timed out")
        if guest.nginx_state(self.clock, at) not in ("running", "failing"):
            return Probe(False, "Target.FailedHealthChecks", "Health checks failed")
        path = group.health_check_path or "/"
        status, body, problem = guest.serve(path, self.clock, at)
        client = _balancer_address(balancer, guest)
        if record_access:
            guest.access(at, client, "GET", path, status, len(body), HEALTH_CHECKER)
            if problem:
                guest.error(
                    at, problem, client, f"GET {path} HTTP/1.1", guest.private_ip
                )
        if not _code_matches(status, (group.matcher or {}).get("HttpCode", "200")):
            return Probe(
                False,
                "Target.ResponseCodeMismatch",
                f"Health checks failed with these codes: [{status}]",
            )
        return Probe(True)

    def target_health(self, elbv2: Any, group: Any, target_id: str) -> dict[str, Any]:
        """The `TargetHealth` AWS would report for a registered target now."""
        instance = self.instance(target_id)
        if instance is None or instance.state not in ("pending", "running"):
            state = instance.state if instance is not None else "terminated"
            return {
                "State": "unused",
                "Reason": "Target.InvalidState",
                "Description": f"Target is in the {state} state",
            }
        balancer = self.balancer_for(elbv2, group)
        if balancer is None:
            return {
                "State": "unused",
                "Reason": "Target.NotInUse",
                "Description": (
                    "Target group is not configured to receive traffic from the "
                    "load balancer"
                ),
            }
        zones = {subnet.availability_zone for subnet in balancer.subnets}
        if instance._placement.zone not in zones:
            return {
                "State": "unused",
                "Reason": "Target.NotInUse",
                "Description": (
                    "Target is in an Availability Zone that is not enabled for the "
                    "load balancer"
                ),
            }
        record = self.health.get((group.arn, target_id))
        if record is None:
            return {
                "State": "initial",
                "Reason": "Elb.RegistrationInProgress",
                "Description": "Target registration is in progress",
            }
        result: dict[str, Any] = {"State": record.state}
        if record.reason:
            result["Reason"] = record.reason
            result["Description"] = record.description
        return result

    # -- web traffic -------------------------------------------------------

    def balancer_by_host(self, host: str) -> tuple[str, Any, Any] | None:
        """(region, elbv2 backend, balancer) whose DNS name is `host`."""
        name = host_name(host)
        index = self._memoized("hosts", _balancers_by_name)
        return (index if index is not None else _balancers_by_name()).get(name)

    def request(
        self, host: str, method: str, path: str, client: str, agent: str
    ) -> tuple[int, dict[str, str], bytes] | None:
        """An HTTP request to a load balancer's DNS name, answered as it would
        be; None when no balancer has that name."""
        if getattr(self, "_memo", None) is not None:
            return self._request(host, method, path, client, agent)
        self._memo = self._standing
        try:
            return self._request(host, method, path, client, agent)
        finally:
            self._memo = None

    def _request(
        self, host: str, method: str, path: str, client: str, agent: str
    ) -> tuple[int, dict[str, str], bytes] | None:
        found = self.balancer_by_host(host)
        if found is None:
            return None
        region, elbv2, balancer = found
        now = self.clock.now()
        if balancer.state != "active":
            return _elb_page(503, "the load balancer is still provisioning")
        port = int(host.split(":", 1)[1]) if ":" in host else 80
        listener = next(
            (item for item in balancer.listeners.values() if int(item.port) == port),
            None,
        )
        if listener is None:
            return _elb_page(503, f"no listener on port {port}")
        action = listener.default_actions[0] if listener.default_actions else None
        data = getattr(action, "data", {}) if action is not None else {}
        if action is not None and action.type == "fixed-response":
            config = data.get("FixedResponseConfig", {})
            status = int(config.get("StatusCode", 200))
            body = config.get("MessageBody", "").encode()
            return (
                status,
                {"Content-Type": config.get("ContentType", "text/plain")},
                body,
            )
        arn = data.get("TargetGroupArn") or next(
            (
                tg.get("TargetGroupArn")
                for tg in data.get("ForwardConfig", {}).get("TargetGroups", [])
            ),
            None,
        )
        group = elbv2.target_groups.get(arn) if arn else None
        if group is None:
            return _elb_page(503, "no target group")

        candidates = [t for t in group.targets if t in self.guests]
        healthy = [
            t
            for t in candidates
            if self.target_health(elbv2, group, t)["State"] == "healthy"
        ]
        # With no healthy target an ALB fails open: it routes to all of them.
        pool = healthy or [
            t
            for t in candidates
            if self.target_health(elbv2, group, t)["State"] in ("unhealthy", "initial")
        ]
        if not pool:
            self._emit(region, balancer, group, "HTTPCode_ELB_5XX_Count", now)
            self._emit(region, balancer, group, "HTTPCode_ELB_503_Count", now)
            return _elb_page(503)
        turn = self.round_robin.get(group.arn, 0)
        self.round_robin[group.arn] = turn + 1
        target_id = pool[turn % len(pool)]
        guest = self.guests[target_id]
        instance = self.instance(target_id)
        self._emit(region, balancer, group, "RequestCount", now)

        if instance is None or not self.admits(
            instance, balancer, int(group.port or 80)
        ):
            self._emit(region, balancer, group, "HTTPCode_ELB_5XX_Count", now)
            self._emit(region, balancer, group, "HTTPCode_ELB_504_Count", now)
            return _elb_page(504)
        if guest.nginx_state(self.clock, now) not in ("running", "failing"):
            self._emit(region, balancer, group, "HTTPCode_ELB_5XX_Count", now)
            self._emit(region, balancer, group, "HTTPCode_ELB_502_Count", now)
            return _elb_page(502)
        status, body, problem = guest.serve(path, self.clock, now)
        address = _balancer_address(balancer, guest)
        guest.access(now, address, method, path, status, len(body), agent, client)
        self._shipping.add(guest.instance_id)
        if problem:
            guest.error(now, problem, address, f"{method} {path} HTTP/1.1", host)
        self._emit(
            region, balancer, group, f"HTTPCode_Target_{status // 100}XX_Count", now
        )
        headers = {
            "Content-Type": "text/html",
            "Server": f"nginx/{NGINX_VERSION}",
            "X-Sandbox-Target": target_id,
        }
        return status, headers, body.encode()

    def _emit(
        self, region: str, balancer: Any, group: Any, name: str, now: float
    ) -> None:
        suffix = balancer.arn.split(":loadbalancer/", 1)[-1]
        dimension_sets = [
            frozenset({("LoadBalancer", suffix)}),
            frozenset(
                {
                    ("LoadBalancer", suffix),
                    ("TargetGroup", group.arn.split(":", 5)[-1]),
                }
            ),
        ]
        self._served.add(suffix)
        cloudwatch = backend("cloudwatch", region)
        for dimensions in dimension_sets:
            self.metrics.append(Datum(now, "AWS/ApplicationELB", name, dimensions, 1.0))
            cloudwatch.put_metric_data(
                "AWS/ApplicationELB",
                [
                    {
                        "MetricName": name,
                        "Value": 1.0,
                        "Unit": "Count",
                        "Timestamp": datetime.fromtimestamp(now, UTC),
                        "Dimensions": [
                            {"Name": key, "Value": value}
                            for key, value in sorted(dimensions)
                        ],
                    }
                ],
            )
        # Keep a day of data (the alarm looks at minutes), dropping the oldest
        # a quarter at a time: a busy balancer adds data with every page.
        keep = max(86400 * self.clock.scale, 3600)
        if self.metrics and self.metrics[0].at < now - keep * 1.25:
            self.metrics = [d for d in self.metrics if d.at >= now - keep]

    # -- Systems Manager -----------------------------------------------------

    def ssm_reachable(self, instance: Any) -> tuple[bool, str]:
        """Whether the SSM agent on the instance can work, and if not, why."""
        if instance.state != "running":
            return False, f"the instance is {instance.state}"
        if not self.role_policies(instance) & set(SSM_POLICIES):
            return False, "the instance role lacks AmazonSSMManagedInstanceCore"
        ec2 = backend("ec2", self.guests[instance.id].region)
        return self.internet_path(instance, ec2)

    def _ssm(self, now: float) -> None:
        for guest in self.guests.values():
            instance = self.instance(guest.instance_id)
            if instance is None:
                continue
            online, _ = self.ssm_reachable(instance)
            if online and self.clock.passed(
                guest.launched, Timing.SSM_REGISTRATION, now
            ):
                guest.ssm_registered = guest.ssm_registered or now
                guest.ssm_last_ping = now

    def ping_status(self, guest: Guest, now: float) -> str | None:
        """`Online`, `ConnectionLost`, or None for an instance SSM never saw."""
        if guest.ssm_registered is None:
            return None
        instance = self.instance(guest.instance_id)
        if instance is None or instance.state == "terminated":
            return None
        online, _ = self.ssm_reachable(instance)
        if online or not self.clock.passed(
            guest.ssm_last_ping, Timing.SSM_PING_LOST, now
        ):
            return "Online"
        return "ConnectionLost"

    # -- CloudWatch Logs -----------------------------------------------------

    def _note_nginx_starts(self, now: float) -> None:
        """Writes nginx's start-up lines once it runs, before anything it
        serves in this tick, so that its error log stays in time order."""
        for guest in self.guests.values():
            if guest.nginx_noted or guest.started_at("nginx") is None:
                continue
            if guest.nginx_state(self.clock, now) == "running":
                guest.note_nginx_start(
                    guest.launched + self.clock.real(guest.boot.started["nginx"])
                )
                guest.nginx_noted = True

    def _ship_logs(self, now: float, guests: set[str] | None = None) -> None:
        """Ships what the agents tail: on every instance, or on `guests` only
        (those that served a page since)."""
        for guest in self.guests.values():
            if guests is not None and guest.instance_id not in guests:
                continue
            if not self._has_unshipped(guest):
                continue
            if not guest.agent_running(self.clock, now):
                continue
            instance = self.instance(guest.instance_id)
            if instance is None or instance.state != "running":
                continue
            if not self.role_policies(instance) & set(AGENT_POLICIES):
                continue
            ec2 = backend("ec2", guest.region)
            if not self.internet_path(instance, ec2)[0]:
                continue
            logs = backend("logs", guest.region)
            for source in guest.agent_sources:
                self._ship(logs, guest, source, now)

    @staticmethod
    def _entries(guest: Guest, source: LogSource) -> list[tuple[float, str]]:
        """The lines of the file an agent source tails, with their times."""
        if source.file_path == ACCESS_LOG:
            return guest.access_log
        if source.file_path == ERROR_LOG:
            return guest.error_log
        lines = guest.file(source.file_path) or []
        return [(guest.launched, line) for line in lines]

    def _has_unshipped(self, guest: Guest) -> bool:
        """Whether any file the agent tails has lines it has not shipped (a
        cheap test first: most guests have nothing new at most ticks)."""
        return any(
            len(self._entries(guest, source))
            > guest.shipped.get(source.file_path + "|" + source.log_group_name, 0)
            for source in guest.agent_sources
        )

    def _ship(self, logs: Any, guest: Guest, source: LogSource, now: float) -> None:
        entries = self._entries(guest, source)
        done = guest.shipped.get(source.file_path + "|" + source.log_group_name, 0)
        flush = self.clock.real(Timing.LOG_FLUSH)
        # The agent tails the file: lines in the order they were written, up
        # to the first one not yet flushed.
        ready: list[tuple[float, str]] = []
        for entry in entries[done:]:
            if entry[0] + flush > now:
                break
            ready.append(entry)
        if not ready:
            return
        stream = source.log_stream_name.replace("{instance_id}", guest.instance_id)
        stream = stream.replace("{hostname}", guest.hostname)
        if source.log_group_name not in logs.groups:
            logs.create_log_group(source.log_group_name, {})
        group = logs.groups[source.log_group_name]
        if stream not in group.streams:
            logs.create_log_stream(source.log_group_name, stream)
        logs.put_log_events(
            source.log_group_name,
            stream,
            # One PutLogEvents batch must be in time order, as the agent sends it.
            [
                {"timestamp": int(at * 1000), "message": line}
                for at, line in sorted(ready, key=lambda entry: entry[0])
            ],
        )
        guest.shipped[source.file_path + "|" + source.log_group_name] = done + len(
            ready
        )

    # -- SNS -------------------------------------------------------------------

    def _subscriptions(self) -> None:
        """E-mail subscriptions wait for the learner to confirm them."""
        for _, sns in backends("sns"):
            for arn, subscription in sns.subscriptions.items():
                if arn in self.seen_subscriptions:
                    continue
                self.seen_subscriptions.add(arn)
                if subscription.protocol in ("email", "email-json"):
                    token = f"{self.random.getrandbits(256):064x}"
                    self.pending_subscriptions[arn] = token
                    subscription.attributes["PendingConfirmation"] = "true"
                    subscription.attributes["ConfirmationWasAuthenticated"] = "false"
                    subscription.confirmed = False
                    self.outbox.append(
                        Email(
                            to=subscription.endpoint,
                            subject="AWS Notification - Subscription Confirmation",
                            body=(
                                "You have chosen to subscribe to the topic:\n"
                                f"{subscription.topic.arn}\n\nTo confirm this "
                                "subscription, run: labguide sandbox confirm-email"
                            ),
                            sent=self.clock.now(),
                            topic_arn=subscription.topic.arn,
                        )
                    )

    def confirm(
        self, topic_arn: str | None = None, endpoint: str | None = None
    ) -> list[str]:
        """Confirms pending e-mail subscriptions (as clicking the link would);
        returns the subscription ARNs confirmed."""
        confirmed = []
        for _, sns in backends("sns"):
            for arn, subscription in sns.subscriptions.items():
                if arn not in self.pending_subscriptions:
                    continue
                if topic_arn and subscription.topic.arn != topic_arn:
                    continue
                if endpoint and subscription.endpoint != endpoint:
                    continue
                del self.pending_subscriptions[arn]
                subscription.attributes["PendingConfirmation"] = "false"
                subscription.attributes["ConfirmationWasAuthenticated"] = "true"
                subscription.confirmed = True
                confirmed.append(arn)
        return confirmed

    def forget_subscription(self, arn: str) -> None:
        """Drops what the world knew of an unsubscribed subscription."""
        self.pending_subscriptions.pop(arn, None)
        self.seen_subscriptions.discard(arn)

    # -- alarms ------------------------------------------------------------------

    def _alarms(self, now: float, balancers: set[str] | None = None) -> None:
        """Evaluates the alarms: all of them, or only those watching one of
        `balancers` (the only metrics a served page adds to)."""
        for region, cloudwatch in backends("cloudwatch"):
            for alarm in list(cloudwatch.alarms.values()):
                if not alarm.metric_name or not alarm.namespace:
                    continue
                if balancers is not None and not any(
                    d.name == "LoadBalancer" and d.value in balancers
                    for d in alarm.dimensions
                ):
                    continue
                state, reason = self._evaluate(alarm, now)
                if state is None or state == alarm.state_value:
                    continue
                data = json.dumps({"version": "1.0", "evaluatedDatapoints": []})
                cloudwatch.set_alarm_state(alarm.name, reason, data, state)
                if alarm.actions_enabled:
                    actions = {
                        "ALARM": alarm.alarm_actions,
                        "OK": alarm.ok_actions,
                        "INSUFFICIENT_DATA": alarm.insufficient_data_actions,
                    }[state] or []
                    for action in actions:
                        self._notify(region, action, alarm, state, reason, now)

    def _series(self) -> Series:
        """The data points by metric (namespace, name, dimensions): an index
        brought up to date with the points added since it was last asked
        for, and built afresh only when old points were dropped."""
        index: tuple[list[Datum], int, Series] | None = getattr(self, "_index", None)
        if index is None or index[0] is not self.metrics:
            index = (self.metrics, 0, {})
        metrics, counted, series = index
        for datum in metrics[counted:]:
            key = (datum.namespace, datum.name, datum.dimensions)
            series.setdefault(key, []).append(datum)
        self._index = (metrics, len(metrics), series)
        return series

    def _evaluate(self, alarm: Any, now: float) -> tuple[str | None, str]:
        period = float(alarm.period or 60)
        periods = int(alarm.evaluation_periods or 1)
        window = max(self.clock.real(period * periods), Timing.ALARM_MIN_WINDOW)
        wanted = frozenset((d.name, d.value) for d in alarm.dimensions)
        key = (alarm.namespace, alarm.metric_name, wanted)
        data = [d for d in self._series().get(key, []) if d.at >= now - window]
        values = [d.value for d in data]
        if data:
            # The evaluation may change once the oldest of these ages out.
            leaves = min(d.at for d in data) + window
            self.wake_at = min(self.wake_at or leaves, leaves)
        if not values:
            treat = alarm.treat_missing_data or "missing"
            if treat == "notBreaching":
                return "OK", (
                    f"Threshold Crossed: no datapoints were received for {periods} "
                    f"period{'s' if periods > 1 else ''} and {periods} missing "
                    "datapoint was treated as [NonBreaching]."
                )
            if treat == "breaching":
                return "ALARM", (
                    f"Threshold Crossed: no datapoints were received for {periods} "
                    "period and 1 missing datapoint was treated as [Breaching]."
                )
            return None, ""
        statistic = alarm.statistic or "Sum"
        value = {
            "Sum": sum(values),
            "Average": sum(values) / len(values),
            "Maximum": max(values),
            "Minimum": min(values),
            "SampleCount": float(len(values)),
        }.get(statistic, sum(values))
        threshold = float(alarm.threshold)
        breaching = {
            "GreaterThanThreshold": value > threshold,
            "GreaterThanOrEqualToThreshold": value >= threshold,
            "LessThanThreshold": value < threshold,
            "LessThanOrEqualToThreshold": value <= threshold,
        }.get(alarm.comparison_operator, False)
        word = "greater than" if "Greater" in alarm.comparison_operator else "less than"
        relation = word if breaching else f"not {word}"
        if "OrEqual" in alarm.comparison_operator:
            relation += " or equal to"
        reason = (
            f"Threshold Crossed: 1 datapoint [{value:g} ({_iso(now)})] was {relation} "
            f"the threshold ({threshold:g})."
        )
        return ("ALARM" if breaching else "OK"), reason

    def _notify(
        self,
        region: str,
        topic_arn: str,
        alarm: Any,
        state: str,
        reason: str,
        now: float,
    ) -> None:
        sns = backend("sns", region)
        for arn, subscription in list(sns.subscriptions.items()):
            if subscription.topic.arn != topic_arn:
                continue
            if subscription.protocol not in ("email", "email-json"):
                continue
            if arn in self.pending_subscriptions:
                continue
            self.outbox.append(
                Email(
                    to=subscription.endpoint,
                    subject=f'{state}: "{alarm.name}" in {_region_title(region)}',
                    body=(
                        f"You are receiving this email because your Amazon CloudWatch "
                        f'Alarm "{alarm.name}" in the {_region_title(region)} region has '  # noqa: E501
                        f'entered the {state} state, because "{reason}" at '
                        f'"{_iso(now)}".\n\nMonitored Metric:\n'
                        f"- MetricNamespace: {alarm.namespace}\n"
                        f"- MetricName: {alarm.metric_name}\n"
                        f"- Period: {alarm.period} seconds\n"
                        f"- Statistic: {alarm.statistic}\n"
                        f"- Threshold: The alarm is in the ALARM state when the metric "
                        f"is {alarm.comparison_operator} {alarm.threshold} for at least "  # noqa: E501
                        f"{alarm.evaluation_periods} of the last "
                        f"{alarm.evaluation_periods} period(s) of {alarm.period} seconds."  # noqa: E501
                    ),
                    sent=now,
                    topic_arn=topic_arn,
                )
            )

    # -- status --------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """A short account of the world for `labguide sandbox status`."""
        now = self.clock.now()
        instances = []
        for guest in self.guests.values():
            instance = self.instance(guest.instance_id)
            instances.append(
                {
                    "id": guest.instance_id,
                    "state": instance.state if instance else "gone",
                    "boot": guest.boot.failure or "ok",
                    "nginx": guest.nginx_state(self.clock, now),
                    "ssm": self.ping_status(guest, now) or "unregistered",
                }
            )
        return {
            "instances": instances,
            "pending_emails": len(self.pending_subscriptions),
            "outbox": len(self.outbox),
        }


def _groups(ec2: Any) -> dict[str, Any]:
    """Security groups by id, in every VPC of an EC2 backend."""
    return {
        group_id: group
        for groups in ec2.groups.values()
        for group_id, group in groups.items()
    }


def _vpc_networks(ec2: Any) -> dict[str, tuple[set[str], list[Any]]]:
    """For each VPC: the services it has endpoints for, and its route tables."""
    found: dict[str, tuple[set[str], list[Any]]] = {}
    for endpoint in ec2.vpc_end_points.values():
        found.setdefault(endpoint.vpc_id, (set(), []))[0].add(
            endpoint.service_name.rsplit(".", 1)[-1]
        )
    for table in ec2.route_tables.values():
        found.setdefault(table.vpc_id, (set(), []))[1].append(table)
    return found


def host_name(host: str) -> str:
    """The name in an HTTP Host header, as DNS compares it (no port, lower
    case, no trailing dot)."""
    return host.split(":", 1)[0].lower().rstrip(".")


def _balancers_by_name() -> dict[str, tuple[str, Any, Any]]:
    """DNS name (lower case) -> (region, elbv2 backend, balancer)."""
    return {
        balancer.dns_name.lower(): (region, elbv2, balancer)
        for region, elbv2 in backends("elbv2")
        for balancer in elbv2.load_balancers.values()
    }


def _forwarding(elbv2: Any) -> dict[str, Any]:
    """Target group ARN -> the first load balancer whose listener forwards
    to it (by default action or by rule)."""
    found: dict[str, Any] = {}
    for balancer in elbv2.load_balancers.values():
        for listener in balancer.listeners.values():
            actions = list(listener.default_actions)
            for rule in getattr(listener, "_rules", {}).values():
                actions.extend(getattr(rule, "actions", []))
            for action in actions:
                data = getattr(action, "data", {}) or {}
                arns = [data.get("TargetGroupArn")] + [
                    tg.get("TargetGroupArn")
                    for tg in data.get("ForwardConfig", {}).get("TargetGroups", [])
                ]
                for arn in arns:
                    if arn:
                        found.setdefault(arn, balancer)
    return found


def _profile_policies() -> dict[str, list[str]]:
    """Instance profile ARN -> the managed policies of its roles, by name."""
    return {
        profile.arn: [
            policy.name
            for role in profile.roles
            for policy in role.managed_policies.values()
        ]
        for profile in iam().instance_profiles.values()
    }


def _balancer_address(balancer: Any, guest: Guest) -> str:
    """The load balancer node's private address in the target's subnet."""
    network = next(
        (
            _network(s.cidr_block)
            for s in balancer.subnets
            if guest.private_ip and _address(guest.private_ip) in _network(s.cidr_block)
        ),
        _network(balancer.subnets[0].cidr_block) if balancer.subnets else None,
    )
    if network is None:
        return "10.0.0.10"
    # The 201st host (hosts start after the network address), computed rather
    # than enumerated: this runs for every target on every tick.
    if network.num_addresses - 2 > 200:
        return str(network.network_address + 201)
    return str(network.network_address)


def _code_matches(status: int, matcher: str) -> bool:
    for part in str(matcher).split(","):
        low, _, high = part.strip().partition("-")
        if low and low.isdigit() and int(low) <= status <= int(high or low):
            return True
    return False


def _elb_page(
    status: int, note: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    title = ELB_PAGES[status]
    body = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n</body>\r\n</html>\r\n"
    )
    headers = {"Content-Type": "text/html", "Server": "awselb/2.0"}
    if note:
        headers["X-Sandbox-Note"] = note
    return status, headers, body.encode()


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%A %d %B, %Y %H:%M:%S UTC")


_REGION_TITLES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "eu-west-1": "Europe (Ireland)",
    "eu-central-1": "Europe (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
}


def _region_title(region: str) -> str:
    return _REGION_TITLES.get(region, region)
