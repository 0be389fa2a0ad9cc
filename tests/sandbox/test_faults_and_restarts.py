"""Faults at a seeded rate, and a lab that outlives its sandbox."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
)
from conftest import REGION, build_lab, clients

from labguide.catalog.models import Catalog
from labguide.sandbox import Faults, Sandbox


def bare_client(sandbox: Sandbox, service: str) -> object:
    target = sandbox.target(REGION)
    return boto3.client(
        service,  # type: ignore[call-overload]
        region_name=REGION,
        endpoint_url=target.endpoint_url,
        aws_access_key_id=target.access_key_id,
        aws_secret_access_key=target.secret_access_key,
        config=Config(retries={"total_max_attempts": 1}),
    )


def outcomes(sandbox: Sandbox, calls: int) -> list[str]:
    ec2, ssm = bare_client(sandbox, "ec2"), bare_client(sandbox, "ssm")
    seen = []
    for index in range(calls):
        try:
            if index % 2:
                ec2.describe_vpcs()  # type: ignore[attr-defined]
            else:
                ssm.describe_instance_information()  # type: ignore[attr-defined]
            seen.append("ok")
        except ClientError as failure:
            seen.append(failure.response["Error"]["Code"])
        except (ConnectionClosedError, EndpointConnectionError):
            seen.append("dropped")
    return seen


def test_faults_strike_at_their_rate_with_the_protocols_error_shapes() -> None:
    faults = Faults(throttle=0.2, error=0.1, drop=0.1, seed=11)
    with Sandbox(time_scale=0, faults=faults) as sandbox:
        first = outcomes(sandbox, 200)
        sandbox.set_faults(faults)  # the same seed strikes the same calls
        again = outcomes(sandbox, 200)

    assert first == again
    assert {
        "ok",
        "RequestLimitExceeded",
        "ThrottlingException",
        "InternalError",
        "InternalFailure",
        "dropped",
    } <= set(first)
    struck = sum(1 for outcome in first if outcome != "ok") / len(first)
    assert 0.3 <= struck <= 0.5


def test_fault_settings_are_read_and_bounded() -> None:
    faults = Faults.parse("throttle=0.1, latency=0.08, profile-delay=10, seed=3")

    assert (faults.throttle, faults.latency, faults.profile_delay, faults.seed) == (
        0.1,
        0.08,
        10.0,
        3,
    )
    for wrong, words in (
        ("latency=-1", "latency must be between 0 and 3600 seconds"),
        ("latency=7200", "latency must be between 0 and 3600 seconds"),
        ("latency=soon", "fault latency needs a number, not 'soon'"),
        ("throttle=2", "fault throttle is a rate between 0 and 1"),
        ("lag=1", "unknown fault 'lag'"),
    ):
        with pytest.raises(ValueError, match=re.escape(words)):
            Faults.parse(wrong)


def test_latency_holds_each_call_without_holding_the_sandbox() -> None:
    with Sandbox(time_scale=0) as sandbox:
        ec2 = bare_client(sandbox, "ec2")
        sandbox.set_faults(Faults(latency=4))
        answers: list[object] = []
        call = threading.Thread(
            target=lambda: answers.append(ec2.describe_vpcs())  # type: ignore[attr-defined]
        )
        call.start()
        # While that call waits out its latency, the sandbox answers others.
        url = f"{sandbox.endpoint_url}/_sandbox/status"
        with urllib.request.urlopen(url, timeout=10) as response:
            status = json.load(response)
        still_waiting = call.is_alive()
        call.join(timeout=30)

    assert status["faults"]["latency"] == 4
    assert still_waiting
    assert not call.is_alive() and len(answers) == 1


def test_a_fresh_instance_profile_is_refused_until_it_propagates(
    catalog: Catalog,
) -> None:
    with Sandbox(time_scale=0, faults=Faults(profile_delay=60)) as sandbox:
        with pytest.raises(ClientError) as refused:
            build_lab(sandbox.target(REGION), catalog)
    assert refused.value.response["Error"]["Code"] == "ValidationError"
    assert "Invalid IAM Instance Profile name" in str(refused.value)


def test_the_lab_survives_a_sandbox_restart(tmp_path: Path, catalog: Catalog) -> None:
    with Sandbox(time_scale=0, state_dir=tmp_path) as sandbox:
        lab = build_lab(sandbox.target(REGION), catalog)
        before = sorted(i["InstanceId"] for i in lab.group_instances())
        dns = lab.client("elbv2").describe_load_balancers()["LoadBalancers"][0][
            "DNSName"
        ]
    assert (tmp_path / "world.pickle").is_file()

    with Sandbox(time_scale=0, state_dir=tmp_path) as sandbox:
        client = clients(sandbox.target(REGION))
        group = client("autoscaling").describe_auto_scaling_groups()[
            "AutoScalingGroups"
        ]
        assert sorted(i["InstanceId"] for i in group[0]["Instances"]) == before
        balancer = client("elbv2").describe_load_balancers()["LoadBalancers"][0]
        assert balancer["DNSName"] == dns and balancer["State"]["Code"] == "active"
        health = client("elbv2").describe_target_health(
            TargetGroupArn=lab.ids["target_group"]
        )["TargetHealthDescriptions"]
        assert {h["TargetHealth"]["State"] for h in health} == {"healthy"}
        assert client("cloudtrail").lookup_events(
            LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "CreateLoadBalancer"}
            ]
        )["Events"]
        assert (
            client("sns").list_subscriptions()["Subscriptions"][0]["SubscriptionArn"]
            == "PendingConfirmation"
        )


def test_ensure_running_reuses_the_background_sandbox_and_restarts_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog: Catalog
) -> None:
    from labguide.sandbox import ensure_running, running_sandbox, stop_running

    monkeypatch.setenv("LABGUIDE_HOME", str(tmp_path))
    try:
        target = ensure_running(time_scale=0, region=REGION)
        client = clients(target)
        vpc = client("ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        assert ensure_running(region=REGION).endpoint_url == target.endpoint_url

        first = running_sandbox()
        assert first is not None
        assert stop_running()
        assert running_sandbox() is None

        again = ensure_running(time_scale=0, region=REGION)
        assert running_sandbox() is not None and running_sandbox() != first
        vpcs = clients(again)("ec2").describe_vpcs()["Vpcs"]
        assert vpc in {v["VpcId"] for v in vpcs}
    finally:
        stop_running()


def test_serve_prints_the_environment_for_the_aws_cli(tmp_path: Path) -> None:
    env = {**os.environ, "LABGUIDE_HOME": str(tmp_path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "labguide",
            "sandbox",
            "serve",
            "--time-scale",
            "0",
            "--state-dir",
            str(tmp_path / "serve"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        exports = dict(
            line.removeprefix("export ").strip().split("=", 1)
            for line in lines
            if line.startswith("export ")
        )
        assert set(exports) == {
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
        }
        done = subprocess.run(
            ["aws", "ec2", "describe-vpcs", "--output", "json"],
            env={
                **env,
                **exports,
                "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            },
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_kms_keys_survive_a_restart(tmp_path: Path) -> None:
    """moto's KMS keys hold a private key object (EC2 makes the default EBS
    key on its own): the world must still be saved, and such keys work after
    a restart."""
    with Sandbox(time_scale=0, state_dir=tmp_path) as sandbox:
        kms = clients(sandbox.target(REGION))("kms")
        plain = kms.create_key(Description="plain")["KeyMetadata"]["KeyId"]
        signing = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")[
            "KeyMetadata"
        ]["KeyId"]
        curve = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")[
            "KeyMetadata"
        ]["KeyId"]
    assert (tmp_path / "world.pickle").is_file()
    assert not (tmp_path / "world.pickle.tmp").exists()

    with Sandbox(time_scale=0, state_dir=tmp_path) as sandbox:
        kms = clients(sandbox.target(REGION))("kms")
        assert kms.describe_key(KeyId=plain)["KeyMetadata"]["Description"] == "plain"
        for key, algorithm in (
            (signing, "RSASSA_PSS_SHA_256"),
            (curve, "ECDSA_SHA_256"),
        ):
            signature = kms.sign(KeyId=key, Message=b"lab", SigningAlgorithm=algorithm)[
                "Signature"
            ]
            assert kms.verify(
                KeyId=key,
                Message=b"lab",
                Signature=signature,
                SigningAlgorithm=algorithm,
            )["SignatureValid"]


def test_a_listing_left_half_read_does_not_stop_the_world_being_saved(
    tmp_path: Path,
) -> None:
    """moto's tagging API keeps a live generator for each open pagination
    token (the class view pages through it): the world is saved anyway, and
    the token expires with the restart."""
    with Sandbox(time_scale=0, state_dir=tmp_path) as sandbox:
        client = clients(sandbox.target(REGION))
        for index in range(3):
            client("ec2").create_vpc(
                CidrBlock=f"10.{index}.0.0/16",
                TagSpecifications=[
                    {"ResourceType": "vpc", "Tags": [{"Key": "k", "Value": "v"}]}
                ],
            )
        first = client("resourcegroupstaggingapi").get_resources(ResourcesPerPage=1)
        assert first["PaginationToken"]
    assert not (tmp_path / "world.pickle.tmp").exists()

    with Sandbox(time_scale=0, state_dir=tmp_path) as sandbox:
        client = clients(sandbox.target(REGION))
        assert len(client("ec2").describe_vpcs()["Vpcs"]) >= 3
        tagged = client("resourcegroupstaggingapi").get_resources(
            TagFilters=[{"Key": "k", "Values": ["v"]}]
        )["ResourceTagMappingList"]
        assert len(tagged) == 3
