"""Diagnostics on the lab's instances through Systems Manager Run Command.

The troubleshooting tips that run `where: instance` name shell commands
(`systemctl status nginx`, `ss -lntp`, the cloud-init logs). They reach an
instance the way the console's Run Command does: `ssm.send_command` with the
`AWS-RunShellScript` document, then `get_command_invocation` until the
command ends. No SSH and no open port are involved, only a managed node that
is online in Session Manager.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from labguide.aws.errors import endpoint_lacks_api, error_code, explain
from labguide.catalog.parameters import AutoScalingParams
from labguide.engine.context import Cancelled
from labguide.errors import LabguideError

if TYPE_CHECKING:
    from labguide.engine.session import LabSession

DOCUMENT = "AWS-RunShellScript"
COMMENT = "labguide diagnostic"
RUNNING = ("Pending", "InProgress", "Delayed")
"""Invocation states that have not ended yet."""
OUTPUT_LIMIT = 24000
"""Run Command returns at most 24,000 characters of output inline."""


@dataclass(frozen=True)
class Instance:
    """One instance of the lab's Auto Scaling group, as a learner picks it.

    Attributes:
        id: the instance id.
        zone: its Availability Zone.
        public_ip: its public IPv4 address, if it has one.
        state: its EC2 state (`pending`, `running`, ...).
        ping: its Session Manager ping status (`Online`, `ConnectionLost`,
            ...), `None` when it never registered, or `unknown` when the
            endpoint cannot say.
        health: its health as the group sees it (`Healthy`, `Unhealthy`).
    """

    id: str
    zone: str
    public_ip: str | None
    state: str
    ping: str | None
    health: str = ""

    @property
    def online(self) -> bool:
        """Whether Run Command and Session Manager can reach it."""
        return self.ping == "Online"

    def label(self) -> str:
        """A one-line description: id, zone, address, state, Session Manager."""
        address = self.public_ip or "no public IP"
        ping = self.ping or "not in Session Manager"
        return f"{self.id}  {self.zone}  {address}  {self.state}  {ping}"


@dataclass(frozen=True)
class CommandOutput:
    """What one diagnostic command printed on an instance.

    Attributes:
        command: the command line as run.
        status: the invocation's final status (`Success`, `Failed`,
            `TimedOut`, `Undeliverable`, ...).
        code: the exit status (-1 when the command never ran).
        stdout: what it printed.
        stderr: what it printed on standard error.
    """

    command: str
    status: str
    code: int
    stdout: str
    stderr: str

    def text(self) -> str:
        """The command and its output, as a terminal would show them."""
        lines = [f"$ {self.command}"]
        if self.stdout:
            lines.append(self.stdout.rstrip("\n"))
        if self.stderr:
            lines.append(self.stderr.rstrip("\n"))
        if self.status != "Success":
            lines.append(f"[{self.status}, exit status {self.code}]")
        return "\n".join(lines)


def instances(session: LabSession) -> list[Instance]:
    """The instances of the lab's Auto Scaling group, sorted by zone and id.

    Raises:
        LabguideError: the credentials fail (the group's absence is no error:
            the list is empty).
    """
    group_name = session.ctx.params(AutoScalingParams).name
    clients = session.clients
    try:
        groups = clients.autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[group_name]
        )["AutoScalingGroups"]
        members = {
            item["InstanceId"]: item.get("HealthStatus", "")
            for group in groups
            for item in group.get("Instances", [])
        }
        if not members:
            return []
        described = clients.ec2.describe_instances(InstanceIds=sorted(members))
        pings = _ping_statuses(session, sorted(members))
    except (ClientError, BotoCoreError) as error:
        raise _explained(session, error) from None

    found = []
    for reservation in described.get("Reservations", []):
        for item in reservation.get("Instances", []):
            instance_id = item["InstanceId"]
            found.append(
                Instance(
                    id=instance_id,
                    zone=item.get("Placement", {}).get("AvailabilityZone", ""),
                    public_ip=item.get("PublicIpAddress"),
                    state=item.get("State", {}).get("Name", ""),
                    ping=pings.get(instance_id) if pings is not None else "unknown",
                    health=members.get(instance_id, ""),
                )
            )
    return sorted(found, key=lambda i: (i.zone, i.id))


def _ping_statuses(session: LabSession, ids: list[str]) -> dict[str, str] | None:
    """Each registered instance's ping status; None when the endpoint lacks
    the API (an AWS-compatible endpoint without Systems Manager)."""
    ssm = session.clients.ssm
    statuses: dict[str, str] = {}
    token: str | None = None
    try:
        while True:
            page = ssm.describe_instance_information(
                Filters=[{"Key": "InstanceIds", "Values": ids}],
                MaxResults=50,
                **({"NextToken": token} if token else {}),
            )
            for row in page.get("InstanceInformationList", []):
                statuses[row["InstanceId"]] = row.get("PingStatus", "")
            token = page.get("NextToken")
            if not token:
                return statuses
    except ClientError as error:
        if endpoint_lacks_api(error):
            return None
        raise


def run_commands(
    session: LabSession,
    instance_id: str,
    commands: list[str],
    timeout: float = 120.0,
    cancel: threading.Event | None = None,
) -> list[CommandOutput]:
    """Runs each command on the instance through Run Command.

    Each command is its own invocation, all sent at once, so that each
    output stays apart (a script's outputs would run together) and a slow
    command does not hold up the others.

    Args:
        session: the lab session whose clients reach the account.
        instance_id: the instance to run on.
        commands: shell command lines, as the tip names them.
        timeout: the longest to wait for all of them, in seconds.
        cancel: stops waiting when set (the commands themselves keep running
            on the instance, as they would from the console).

    Returns:
        One output per command, in the order given.

    Raises:
        LabguideError: the instance is not a managed node online in Session
            Manager, the endpoint lacks Run Command, or the credentials fail.
        Cancelled: `cancel` was set while waiting.
    """
    ssm = session.clients.ssm
    sent: list[tuple[str, str]] = []
    try:
        for command in commands:
            answer = ssm.send_command(
                InstanceIds=[instance_id],
                DocumentName=DOCUMENT,
                Comment=COMMENT,
                Parameters={"commands": [command]},
                TimeoutSeconds=max(30, int(timeout)),
            )
            sent.append((command, answer["Command"]["CommandId"]))
    except (ClientError, BotoCoreError) as error:
        raise _send_failed(session, instance_id, error) from None

    deadline = time.monotonic() + timeout
    results: dict[str, CommandOutput] = {}
    poll = max(session.ctx.poll_seconds, 0.05)
    while True:
        for command, command_id in sent:
            if command_id in results:
                continue
            invocation = _invocation(session, command_id, instance_id)
            if invocation is not None and invocation["Status"] not in RUNNING:
                results[command_id] = CommandOutput(
                    command=command,
                    status=str(invocation["Status"]),
                    code=int(invocation.get("ResponseCode", -1)),
                    stdout=str(invocation.get("StandardOutputContent", "")),
                    stderr=str(invocation.get("StandardErrorContent", "")),
                )
        if len(results) == len(sent):
            break
        if time.monotonic() >= deadline:
            for command, command_id in sent:
                results.setdefault(
                    command_id,
                    CommandOutput(command, "still running", -1, "", ""),
                )
            break
        waiter = cancel or threading.Event()
        if waiter.wait(poll):
            raise Cancelled()
    return [results[command_id] for _, command_id in sent]


def run_diagnostic(
    session: LabSession,
    instance_id: str,
    commands: list[str],
    timeout: float = 120.0,
    cancel: threading.Event | None = None,
) -> str:
    """Runs a tip's commands on the instance; returns their output as text.

    Each command comes first on its own line after `$ `, then what it
    printed, then its status when it did not succeed. See `run_commands` for
    the arguments and errors.
    """
    outputs = run_commands(session, instance_id, commands, timeout, cancel)
    return "\n\n".join(output.text() for output in outputs)


def _invocation(
    session: LabSession, command_id: str, instance_id: str
) -> dict[str, Any] | None:
    """The invocation's state, or None while Systems Manager has not made it
    yet (right after sending, `InvocationDoesNotExist` is normal)."""
    try:
        answer: dict[str, Any] = session.clients.ssm.get_command_invocation(
            CommandId=command_id, InstanceId=instance_id
        )
        return answer
    except ClientError as error:
        if error_code(error) == "InvocationDoesNotExist":
            return None
        raise _explained(session, error) from None
    except BotoCoreError as error:
        raise _explained(session, error) from None


def _send_failed(
    session: LabSession, instance_id: str, error: BaseException
) -> LabguideError:
    code = error_code(error)
    if code == "InvalidInstanceId":
        return LabguideError(
            f"The instance {instance_id} is not online in Session Manager, so "
            "Run Command cannot reach it.",
            "It needs the SSM Agent running, a role with "
            "AmazonSSMManagedInstanceCore and a way out on 443 (a public IP in "
            "this lab); see the Session Manager step's troubleshooting.",
        )
    if isinstance(error, ClientError) and endpoint_lacks_api(error):
        return LabguideError(
            "This endpoint does not offer Systems Manager Run Command.",
            "Run the commands on the instance through Session Manager, or use "
            "the sandbox or AWS itself.",
        )
    return _explained(session, error)


def _explained(session: LabSession, error: BaseException) -> LabguideError:
    explained = explain(error, session.clients.target.profile)
    if explained is not None:
        return explained
    return LabguideError(f"Run Command failed: {error}")
