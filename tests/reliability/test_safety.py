"""Safety: teardown deletes only the lab's own resources, whatever else the
account holds; no credential reaches a file labguide writes; and a second
labguide on a session already in use is refused clearly."""

from __future__ import annotations

import secrets
import subprocess
from pathlib import Path

from labguide.catalog.models import Catalog
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import NetworkParams, SecurityGroupsParams
from labguide.sandbox import Sandbox

from .census import census, expected, fingerprint, leftovers, plain_clients
from .harness import (
    EMAIL,
    REGION,
    cli_env,
    confirm_email,
    labguide_command,
    open_session,
)


def build(sandbox: Sandbox, catalog: Catalog, home: Path, who: str | None) -> None:
    with open_session(sandbox, catalog, home / (who or "solo"), who) as session:
        result = session.run_all()
        assert result.ok, result.failed


def untagged_lookalikes(client: object, catalog: Catalog) -> dict[str, str]:
    """A VPC with the lab's Name but none of its tags, and in it security
    groups with the lab's group names: what another tool, or the learner by
    hand in the console, might have made."""
    ec2 = client("ec2")  # type: ignore[operator]
    network = parameters_of(catalog, NetworkParams, None)
    groups = parameters_of(catalog, SecurityGroupsParams, None)
    vpc = ec2.create_vpc(
        CidrBlock="10.20.0.0/16",
        TagSpecifications=[
            {
                "ResourceType": "vpc",
                "Tags": [{"Key": "Name", "Value": network.vpc_name}],
            }
        ],
    )["Vpc"]["VpcId"]
    made = {"vpc": vpc}
    for group in groups.groups:
        made[group.name] = ec2.create_security_group(
            GroupName=group.name, Description="made by hand", VpcId=vpc
        )["GroupId"]
    made["plain-vpc"] = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    return made


def test_teardown_spares_another_participants_lab_and_untagged_lookalikes(
    sandbox: Sandbox, catalog: Catalog, tmp_path: Path
) -> None:
    client = plain_clients(sandbox.target(REGION))
    build(sandbox, catalog, tmp_path, None)
    build(sandbox, catalog, tmp_path, "ana")
    foreign = untagged_lookalikes(client, catalog)
    ana = census(client, catalog, "ana")
    assert ana == expected(catalog)

    with open_session(sandbox, catalog, tmp_path / "solo", None) as session:
        planned = {resource.id for resource in session.teardown_plan()}
        assert not planned & set(foreign.values())
        outcome = session.teardown()
    assert outcome.clean, (outcome.errors, outcome.left)

    assert leftovers(census(client, catalog, None)) == {}
    assert census(client, catalog, "ana") == ana
    vpcs = {v["VpcId"] for v in client("ec2").describe_vpcs()["Vpcs"]}
    groups = {
        g["GroupId"] for g in client("ec2").describe_security_groups()["SecurityGroups"]
    }
    assert {foreign["vpc"], foreign["plain-vpc"]} <= vpcs
    assert {v for k, v in foreign.items() if "vpc" not in k} <= groups

    with open_session(sandbox, catalog, tmp_path / "ana", "ana") as session:
        assert session.teardown().clean
    assert leftovers(census(client, catalog, "ana")) == {}


def test_a_learners_own_group_in_the_lab_vpc_is_kept_and_reported(
    sandbox: Sandbox, catalog: Catalog, tmp_path: Path
) -> None:
    client = plain_clients(sandbox.target(REGION))
    build(sandbox, catalog, tmp_path, "ben")
    ec2 = client("ec2")
    network = parameters_of(catalog, NetworkParams, "ben")
    vpc = ec2.describe_vpcs(
        Filters=[{"Name": "tag:Name", "Values": [network.vpc_name]}]
    )["Vpcs"][0]["VpcId"]
    own = ec2.create_security_group(
        GroupName="bens-debugging", Description="made by hand", VpcId=vpc
    )["GroupId"]

    with open_session(sandbox, catalog, tmp_path, "ben") as session:
        outcome = session.teardown()

    # The VPC cannot go while the learner's group is in it: teardown says so
    # and leaves both, having deleted everything else of the lab.
    assert not outcome.clean
    assert [r.kind for r in outcome.left] == ["vpc"]
    assert any("vpc" in error for error in outcome.errors)
    assert own in {
        g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
    }
    assert leftovers(census(client, catalog, "ben")) == {"vpc": 1}
    ec2.delete_security_group(GroupId=own)
    with open_session(sandbox, catalog, tmp_path, "ben") as session:
        assert session.teardown().clean


def written_files(*folders: Path) -> list[Path]:
    return [p for folder in folders for p in folder.rglob("*") if p.is_file()]


def test_no_credential_reaches_a_file_labguide_writes(
    sandbox: Sandbox, catalog: Catalog, tmp_path: Path
) -> None:
    key = "AKIA" + secrets.token_hex(8).upper()
    secret = secrets.token_urlsafe(30)
    token = secrets.token_urlsafe(60)
    home = tmp_path / "home"
    env = cli_env(
        sandbox,
        home,
        AWS_ACCESS_KEY_ID=key,
        AWS_SECRET_ACCESS_KEY=secret,
        AWS_SESSION_TOKEN=token,
    )
    report = tmp_path / "report.html"
    commands = [
        ["run", "--all", "--aws", "--participant", "cred", "--email", EMAIL],
        ["verify", "--aws", "--participant", "cred", "--json"],
        ["status", "--aws", "--participant", "cred"],
        ["report", "--aws", "--participant", "cred", "--format", "html"],
        ["teardown", "--yes", "--aws", "--participant", "cred"],
        # A refusal and a failure are logged too.
        ["run", "--all", "--aws", "--participant", "Cred"],
        ["verify", "--aws", "--participant", "cred", "--goal", "nope"],
    ]
    for index, command in enumerate(commands):
        if command[0] == "report":
            command = [*command, "--output", str(report)]
        if index == 1:
            confirm_email(sandbox)
        subprocess.run(
            labguide_command(*command),
            env=env,
            capture_output=True,
            timeout=120,
            check=index < 5,
        )

    files = written_files(home, tmp_path / "home" / "logs") + [report]
    assert any(p.suffix == ".json" for p in files)
    assert any(p.suffix == ".log" for p in files)
    for path in files:
        data = path.read_bytes()
        for value in (key, secret, token):
            assert value.encode() not in data, f"{value[:6]}... in {path}"


def test_a_second_labguide_on_the_same_session_is_refused(
    sandbox: Sandbox, catalog: Catalog, tmp_path: Path
) -> None:
    env = cli_env(sandbox, tmp_path)
    base = ["--aws", "--participant", "twice"]
    first = subprocess.run(
        labguide_command("run", "--all", *base, "--email", EMAIL),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    state = next((tmp_path / "sessions").glob("*twice.json"))
    world = fingerprint(plain_clients(sandbox.target(REGION)))

    # The e-mail is not confirmed: `verify --watch` checks once, then waits
    # its 30 s poll holding the session, until it is stopped.
    holder = subprocess.Popen(
        labguide_command("verify", "--watch", "--timeout", "60", *base),
        env={**env, "LABGUIDE_POLL_SECONDS": "30"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stderr is not None
        assert "goals passed" in holder.stderr.readline()
        before = state.read_bytes()
        for command in (["run", "--all"], ["teardown", "--yes"], ["status"]):
            second = subprocess.run(
                labguide_command(*command, *base),
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            lines = second.stderr.splitlines()
            assert second.returncode == 2, second.stderr
            assert len(lines) == 1 and "Another labguide (pid " in lines[0]
            assert f"pid {holder.pid}" in lines[0]
        assert holder.poll() is None
        assert fingerprint(plain_clients(sandbox.target(REGION))) == world
        assert state.read_bytes() == before
    finally:
        holder.terminate()
        holder.wait(timeout=30)

    after = subprocess.run(
        labguide_command("teardown", "--yes", *base),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert after.returncode == 0, after.stderr
