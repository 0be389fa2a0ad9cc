"""The lab world over real HTTP: what the learner configured decides what
happens, through the same API calls a learner makes."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from typing import Any

import pytest
from conftest import EMAIL, REGION, Lab, build_lab, wait_for

from labguide.catalog.models import Catalog
from labguide.catalog.parameters import BackupParams, LogGroupsParams
from labguide.sandbox import Sandbox, control
from labguide.sandbox.daemon import SandboxInfo


def dns_name(lab: Lab) -> str:
    return lab.client("elbv2").describe_load_balancers(
        LoadBalancerArns=[lab.ids["balancer"]]
    )["LoadBalancers"][0]["DNSName"]


def get(sandbox: Sandbox, host: str, path: str = "/") -> tuple[int, str]:
    request = urllib.request.Request(
        f"{sandbox.endpoint_url}{path}", headers={"Host": host}
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as failure:
        return failure.code, failure.read().decode()


def info(sandbox: Sandbox) -> SandboxInfo:
    import os

    return SandboxInfo(os.getpid(), "127.0.0.1", sandbox.port, "")


def run_command(lab: Lab, instance: str, *commands: str) -> dict[str, Any]:
    ssm = lab.client("ssm")
    command = ssm.send_command(
        InstanceIds=[instance],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": list(commands)},
    )["Command"]["CommandId"]
    return wait_for(
        lambda: (
            result
            if (
                result := ssm.get_command_invocation(
                    CommandId=command, InstanceId=instance
                )
            )["Status"]
            not in ("Pending", "InProgress")
            else None
        )
    )


def test_the_group_spreads_over_both_subnets_with_the_templates_profile(
    lab: Lab,
) -> None:
    instances = lab.group_instances()

    assert {i["SubnetId"] for i in instances} == set(lab.ids["subnets"])
    assert len({i["Placement"]["AvailabilityZone"] for i in instances}) == 2
    for instance in instances:
        assert instance["IamInstanceProfile"]["Arn"].endswith("/ops-case-ec2-role")
        assert instance.get("PublicIpAddress")


def test_a_subnet_without_public_ip_gives_none_and_session_manager_misses_it(
    lab: Lab,
) -> None:
    ec2, autoscaling = lab.client("ec2"), lab.client("autoscaling")
    second = lab.ids["subnets"][1]
    ec2.modify_subnet_attribute(SubnetId=second, MapPublicIpOnLaunch={"Value": False})
    old = next(i for i in lab.group_instances() if i["SubnetId"] == second)
    autoscaling.terminate_instance_in_auto_scaling_group(
        InstanceId=old["InstanceId"], ShouldDecrementDesiredCapacity=False
    )

    fresh = wait_for(
        lambda: [
            i
            for i in lab.group_instances()
            if i["SubnetId"] == second and i["InstanceId"] != old["InstanceId"]
        ]
    )[0]
    assert "PublicIpAddress" not in fresh
    listed = {
        i["InstanceId"]: i["PingStatus"]
        for i in lab.client("ssm").describe_instance_information()[
            "InstanceInformationList"
        ]
    }
    assert fresh["InstanceId"] not in listed
    assert list(listed.values()) == ["Online"]
    with pytest.raises(lab.client("ssm").exceptions.InvalidInstanceId):
        run_command(lab, fresh["InstanceId"], "hostname")


def test_targets_are_healthy_and_the_page_comes_through_the_host_header(
    lab: Lab, sandbox: Sandbox
) -> None:
    assert {d["TargetHealth"]["State"] for d in lab.health()} == {"healthy"}
    host = dns_name(lab)

    hosts = set()
    for _ in range(4):
        status, page = get(sandbox, host)
        assert status == 200 and "<h1>ops-case web</h1>" in page
        hosts.add(page.split("host: ", 1)[1].split("<", 1)[0])
    names = {i["PrivateDnsName"] for i in lab.group_instances()}
    assert hosts == names  # round robin over both instances, each its own name


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_connect_to_reaches_the_load_balancer(lab: Lab, sandbox: Sandbox) -> None:
    host = dns_name(lab)
    done = subprocess.run(
        [
            "curl",
            "-s",
            "--connect-to",
            f"{host}:80:127.0.0.1:{sandbox.port}",
            f"http://{host}/",
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert "<h1>ops-case web</h1>" in done.stdout


@pytest.mark.parametrize(
    ("breakage", "reason", "description"),
    [
        ("security-group", "Target.Timeout", "Request timed out"),
        (
            "health-check-path",
            "Target.ResponseCodeMismatch",
            "Health checks failed with these codes: [404]",
        ),
        ("nginx", "Target.FailedHealthChecks", "Health checks failed"),
    ],
)
def test_health_reason_codes_follow_what_broke(
    lab: Lab, sandbox: Sandbox, breakage: str, reason: str, description: str
) -> None:
    elbv2, ec2 = lab.client("elbv2"), lab.client("ec2")
    if breakage == "security-group":
        group = ec2.describe_security_groups(
            GroupIds=[lab.ids["groups"]["ops-case-sg-ec2"]]
        )
        ec2.revoke_security_group_ingress(
            GroupId=lab.ids["groups"]["ops-case-sg-ec2"],
            IpPermissions=group["SecurityGroups"][0]["IpPermissions"],
        )
    elif breakage == "health-check-path":
        elbv2.modify_target_group(
            TargetGroupArn=lab.ids["target_group"], HealthCheckPath="/healthz"
        )
    else:
        for instance in lab.group_instances():
            control(
                info(sandbox),
                f"/instances/{instance['InstanceId']}/nginx",
                {"state": "stopped"},
            )

    health = [d["TargetHealth"] for d in lab.health()]
    assert {h["State"] for h in health} == {"unhealthy"}
    assert {h["Reason"] for h in health} == {reason}
    assert {h["Description"] for h in health} == {description}


def test_unused_and_invalid_state_targets(lab: Lab) -> None:
    elbv2, ec2 = lab.client("elbv2"), lab.client("ec2")
    spare = elbv2.create_target_group(
        Name="ops-case-spare", Protocol="HTTP", Port=80, VpcId=lab.ids["vpc"]
    )["TargetGroups"][0]["TargetGroupArn"]
    instance = lab.group_instances()[0]["InstanceId"]
    elbv2.register_targets(TargetGroupArn=spare, Targets=[{"Id": instance}])
    health = elbv2.describe_target_health(TargetGroupArn=spare)[
        "TargetHealthDescriptions"
    ]
    assert health[0]["TargetHealth"]["Reason"] == "Target.NotInUse"

    ec2.stop_instances(InstanceIds=[instance])
    health = elbv2.describe_target_health(TargetGroupArn=spare)[
        "TargetHealthDescriptions"
    ]
    assert health[0]["TargetHealth"]["Reason"] == "Target.InvalidState"


def test_time_follows_aws_scaled(catalog: Catalog) -> None:
    with Sandbox(time_scale=0.01) as sandbox:
        lab = build_lab(sandbox.target(REGION), catalog)
        elbv2 = lab.client("elbv2")
        first = lab.health()[0]["TargetHealth"]
        assert first["State"] == "initial"
        assert first["Reason"] in (
            "Elb.RegistrationInProgress",
            "Elb.InitialHealthChecking",
        )
        state = elbv2.describe_load_balancers()["LoadBalancers"][0]["State"]["Code"]
        assert state == "provisioning"

        assert wait_for(
            lambda: {d["TargetHealth"]["State"] for d in lab.health()} == {"healthy"},
            timeout=15,
        )
        assert wait_for(
            lambda: (
                elbv2.describe_load_balancers()["LoadBalancers"][0]["State"]["Code"]
                == "active"
            ),
            timeout=15,
        )


def test_nginx_logs_reach_cloudwatch_logs_per_instance(
    lab: Lab, sandbox: Sandbox
) -> None:
    get(sandbox, dns_name(lab), "/no-such-page")
    logs = lab.client("logs")
    names = lab.params(LogGroupsParams)
    instances = {i["InstanceId"] for i in lab.group_instances()}

    def events(group: str) -> list[dict[str, Any]]:
        return logs.filter_log_events(logGroupName=group)["events"]

    access = wait_for(
        lambda: [
            e for e in events(names.access_log_group) if "/no-such-page" in e["message"]
        ]
    )
    assert access and '"GET /no-such-page HTTP/1.1" 404' in access[0]["message"]
    assert {e["logStreamName"] for e in events(names.access_log_group)} == instances
    errors = wait_for(
        lambda: [e for e in events(names.error_log_group) if "open()" in e["message"]]
    )
    assert (
        'open() "/usr/share/nginx/html/no-such-page" failed (2: No such file or '
        "directory)" in errors[0]["message"]
    )


def test_lines_written_out_of_time_order_still_ship_and_the_world_goes_on(
    lab: Lab, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    """PutLogEvents refuses a batch out of time order: a line nginx wrote
    after a later-stamped one (a request served before a tick noted nginx's
    start) must neither stop the world's tick nor the shipping."""
    logs = lab.client("logs")
    group = lab.params(LogGroupsParams).error_log_group
    instance = lab.group_instances()[0]["InstanceId"]
    wait_for(lambda: logs.filter_log_events(logGroupName=group)["events"])
    with sandbox.app.lock:
        guest = sandbox.app.world.guests[instance]
        now = time.time()
        guest.error(now, "later", "10.0.1.5", "GET /later HTTP/1.1", "lab")
        guest.error(now - 5, "sooner", "10.0.1.5", "GET /sooner HTTP/1.1", "lab")
        sandbox.app.changed()

    def shipped(*words: str) -> dict[str, int]:
        events = logs.filter_log_events(logGroupName=group, logStreamNames=[instance])
        return {
            word: e["timestamp"]
            for e in events["events"]
            for word in words
            if f"{word}, client" in e["message"]
        }

    stamps = wait_for(lambda: len(found := shipped("later", "sooner")) == 2 and found)
    assert stamps, "the two lines never reached CloudWatch Logs"
    assert stamps["sooner"] == stamps["later"] - 5000
    assert "failed to advance" not in caplog.text
    # The world still ticks: lines written afterwards ship too.
    with sandbox.app.lock:
        guest.error(time.time(), "after", "10.0.1.5", "GET /after HTTP/1.1", "lab")
        sandbox.app.changed()
    assert wait_for(lambda: shipped("after"))


def test_run_command_answers_the_troubleshooting_commands(lab: Lab) -> None:
    instance = lab.group_instances()[0]
    result = run_command(
        lab,
        instance["InstanceId"],
        "systemctl status nginx",
        "ss -lntp",
        "curl -s http://localhost/",
        "sudo tail -n 3 /var/log/cloud-init-output.log",
        "sudo cat /opt/aws/amazon-cloudwatch-agent/bin/config.json | grep log_group_name",  # noqa: E501
        "sudo /opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a status",  # noqa: E501
    )
    out = result["StandardOutputContent"]
    assert result["Status"] == "Success" and result["ResponseCode"] == 0
    assert "Active: active (running)" in out
    assert "0.0.0.0:80" in out and '"nginx"' in out
    assert f"host: {instance['PrivateDnsName']}" in out
    assert "Cloud-init v. 22.2.2 finished" in out
    assert "ops-case-nginx-access" in out
    assert '"status": "running"' in out

    stopped = run_command(
        lab,
        instance["InstanceId"],
        "sudo systemctl stop nginx",
        "systemctl status nginx",
    )
    assert (
        stopped["Status"] == "Failed"
        and "inactive (dead)" in stopped["StandardOutputContent"]
    )
    refused = run_command(lab, instance["InstanceId"], "curl http://localhost/")
    assert "Failed to connect to localhost port 80" in refused["StandardErrorContent"]
    unknown = run_command(lab, instance["InstanceId"], "nginxctl")
    assert "nginxctl: command not found" in unknown["StandardErrorContent"]
    assert unknown["ResponseCode"] == 127


def test_a_broken_first_line_leaves_the_articles_messages(
    sandbox: Sandbox, catalog: Catalog
) -> None:
    from labguide.userdata import render

    script = render(catalog).replace("#!/bin/bash\n", "#!/bin/bash", 1)
    lab = build_lab(sandbox.target(REGION), catalog, user_data=script)

    health = [d["TargetHealth"] for d in lab.health()]
    assert {h["Reason"] for h in health} == {"Target.FailedHealthChecks"}
    status, _ = get(sandbox, dns_name(lab))
    assert status == 502
    result = run_command(
        lab,
        lab.group_instances()[0]["InstanceId"],
        "sudo tail -n 30 /var/log/cloud-init-output.log",
        "sudo grep -n 'scripts-user' /var/log/cloud-init.log",
        "systemctl status nginx",
    )
    out = result["StandardOutputContent"]
    assert "Failed to run module scripts-user" in out
    assert "part-001" in out and "No such file or directory" in out
    assert "Unit nginx.service could not be found." in result["StandardErrorContent"]


def test_cloudtrail_keeps_the_calls_that_reached_the_sandbox(lab: Lab) -> None:
    trail = lab.client("cloudtrail")
    found = trail.lookup_events(
        LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "CreateLoadBalancer"}
        ]
    )["Events"]
    assert len(found) == 1
    event = found[0]
    assert event["EventSource"] == "elasticloadbalancing.amazonaws.com"
    assert event["Username"] == "learner"
    assert {
        "ResourceType": "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "ResourceName": "ops-case-alb",
    } in event["Resources"]
    detail = json.loads(event["CloudTrailEvent"])
    assert detail["requestParameters"]["name"] == "ops-case-alb"
    for name in (
        "CreateAutoScalingGroup",
        "CreateLaunchTemplate",
        "PutMetricAlarm",
        "CreateBackupPlan",
    ):
        assert trail.lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": name}]
        )["Events"], name

    first = trail.lookup_events(MaxResults=5)
    assert len(first["Events"]) == 5 and "NextToken" in first
    second = trail.lookup_events(MaxResults=5, NextToken=first["NextToken"])
    assert not {e["EventId"] for e in first["Events"]} & {
        e["EventId"] for e in second["Events"]
    }
    times = [e["EventTime"] for e in first["Events"] + second["Events"]]
    assert times == sorted(times, reverse=True)


@pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")
def test_the_aws_cli_sees_the_lab_and_lands_in_cloudtrail(
    lab: Lab, sandbox: Sandbox
) -> None:
    import os

    target = sandbox.target(REGION)
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": target.endpoint_url or "",
        "AWS_ACCESS_KEY_ID": target.access_key_id or "",
        "AWS_SECRET_ACCESS_KEY": target.secret_access_key or "",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    }
    done = subprocess.run(
        [
            "aws",
            "elbv2",
            "describe-target-groups",
            "--names",
            "ops-case-tg",
            "--query",
            "TargetGroups[].HealthCheckPath",
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    assert json.loads(done.stdout) == ["/"]
    events = lab.client("cloudtrail").lookup_events(
        LookupAttributes=[
            {"AttributeKey": "EventName", "AttributeValue": "DescribeTargetGroups"}
        ]
    )["Events"]
    assert any(
        "aws-cli" in json.loads(e["CloudTrailEvent"])["userAgent"] for e in events
    )


def test_backup_jobs_make_recovery_points_from_real_snapshots(lab: Lab) -> None:
    backup, ec2 = lab.client("backup"), lab.client("ec2")
    names = lab.params(BackupParams)
    volume = ec2.describe_volumes()["Volumes"][0]["VolumeId"]
    job = backup.start_backup_job(
        BackupVaultName=names.vault_name,
        ResourceArn=f"arn:aws:ec2:{REGION}:123456789012:volume/{volume}",
        IamRoleArn=lab.ids["backup_role"],
    )
    described = backup.describe_backup_job(BackupJobId=job["BackupJobId"])
    assert described["State"] == "COMPLETED" and described["ResourceType"] == "EBS"
    assert backup.list_backup_jobs(ByBackupVaultName=names.vault_name)["BackupJobs"]
    snapshot = job["RecoveryPointArn"].rsplit("/", 1)[1]
    assert ec2.describe_snapshots(SnapshotIds=[snapshot])["Snapshots"]
    points = backup.list_recovery_points_by_backup_vault(
        BackupVaultName=names.vault_name
    )["RecoveryPoints"]
    assert [p["RecoveryPointArn"] for p in points] == [job["RecoveryPointArn"]]

    selections = backup.list_backup_selections(BackupPlanId=lab.ids["plan"])
    selection = selections["BackupSelectionsList"][0]
    assert selection["SelectionName"] == names.selection_name
    with pytest.raises(backup.exceptions.InvalidRequestException):
        backup.delete_backup_plan(BackupPlanId=lab.ids["plan"])
    backup.delete_backup_selection(
        BackupPlanId=lab.ids["plan"], SelectionId=selection["SelectionId"]
    )
    backup.delete_backup_plan(BackupPlanId=lab.ids["plan"])
    backup.delete_recovery_point(
        BackupVaultName=names.vault_name, RecoveryPointArn=job["RecoveryPointArn"]
    )
    assert not ec2.describe_snapshots(
        Filters=[{"Name": "snapshot-id", "Values": [snapshot]}]
    )["Snapshots"]


def test_backup_jobs_move_through_their_states(catalog: Catalog) -> None:
    with Sandbox(time_scale=0.005) as sandbox:
        lab = build_lab(sandbox.target(REGION), catalog)
        backup = lab.client("backup")
        volume = lab.client("ec2").describe_volumes()["Volumes"][0]["VolumeId"]
        job = backup.start_backup_job(
            BackupVaultName=lab.params(BackupParams).vault_name,
            ResourceArn=f"arn:aws:ec2:{REGION}:123456789012:volume/{volume}",
            IamRoleArn=lab.ids["backup_role"],
        )["BackupJobId"]
        seen = [backup.describe_backup_job(BackupJobId=job)["State"]]
        deadline = time.monotonic() + 5
        while seen[-1] != "COMPLETED" and time.monotonic() < deadline:
            state = backup.describe_backup_job(BackupJobId=job)["State"]
            if state != seen[-1]:
                seen.append(state)
            time.sleep(0.02)
        assert seen == ["CREATED", "RUNNING", "COMPLETED"]


def test_email_waits_for_confirmation_and_the_alarm_mails_only_then(
    lab: Lab, sandbox: Sandbox
) -> None:
    sns, cloudwatch = lab.client("sns"), lab.client("cloudwatch")
    subscription = sns.list_subscriptions_by_topic(TopicArn=lab.ids["topic"])[
        "Subscriptions"
    ]
    assert subscription[0]["SubscriptionArn"] == "PendingConfirmation"
    alarm = cloudwatch.describe_alarms()["MetricAlarms"][0]
    assert alarm["StateValue"] == "OK"

    instance = lab.group_instances()[0]["InstanceId"]
    for each in lab.group_instances():
        control(
            info(sandbox),
            f"/instances/{each['InstanceId']}/nginx",
            {"state": "failing"},
        )
    status, _ = get(sandbox, dns_name(lab))
    assert status == 500
    assert cloudwatch.describe_alarms()["MetricAlarms"][0]["StateValue"] == "ALARM"
    outbox = control(info(sandbox), "/outbox")["emails"]
    assert [e["subject"] for e in outbox] == [
        "AWS Notification - Subscription Confirmation"
    ]

    confirmed = control(info(sandbox), "/confirm-email", {})["confirmed"]
    assert len(confirmed) == 1
    assert (
        sns.list_subscriptions()["Subscriptions"][0]["SubscriptionArn"] == confirmed[0]
    )
    wait_for(
        lambda: cloudwatch.describe_alarms()["MetricAlarms"][0]["StateValue"] == "OK",
        timeout=5,
    )
    get(sandbox, dns_name(lab))
    assert cloudwatch.describe_alarms()["MetricAlarms"][0]["StateValue"] == "ALARM"
    mails = control(info(sandbox), "/outbox")["emails"]
    assert mails[-1]["to"] == EMAIL
    assert mails[-1]["subject"] == 'ALARM: "ops-case-alb-5xx" in US East (N. Virginia)'
    assert instance


def test_cloudtrail_lookups_from_a_start_time_see_only_the_later_calls(
    lab: Lab,
) -> None:
    ec2, trail = lab.client("ec2"), lab.client("cloudtrail")
    ec2.describe_key_pairs()
    time.sleep(1.1)
    between = time.time()
    time.sleep(0.1)
    ec2.describe_key_pairs()
    name = [{"AttributeKey": "EventName", "AttributeValue": "DescribeKeyPairs"}]

    later = trail.lookup_events(LookupAttributes=name, StartTime=between)["Events"]
    both = trail.lookup_events(LookupAttributes=name, StartTime=between - 60)["Events"]
    assert len(later) == 1
    assert len(both) == 2
    assert later[0]["EventId"] == both[0]["EventId"]


def test_the_alarms_metric_index_follows_new_and_dropped_points(
    catalog: Catalog,
) -> None:
    from labguide.sandbox.clock import Clock
    from labguide.sandbox.world import Datum, World

    world = World(Clock(0))
    here = frozenset({("LoadBalancer", "app/a/1")})
    there = frozenset({("LoadBalancer", "app/b/2")})
    key = ("AWS/ApplicationELB", "RequestCount", here)

    def datum(at: float, dimensions: frozenset[tuple[str, str]]) -> Datum:
        return Datum(at, "AWS/ApplicationELB", "RequestCount", dimensions, 1.0)

    world.metrics.extend([datum(1, here), datum(2, there)])
    assert [d.at for d in world._series()[key]] == [1]
    world.metrics.append(datum(3, here))
    assert [d.at for d in world._series()[key]] == [1, 3]
    # Old points dropped: the index is built afresh, without them.
    world.metrics = [d for d in world.metrics if d.at > 1]
    assert [d.at for d in world._series()[key]] == [3]


def test_pages_follow_changes_made_between_them(lab: Lab, sandbox: Sandbox) -> None:
    # Pages share the indexes they are answered from until the account
    # changes: a balancer made, a target group pointed elsewhere, a balancer
    # deleted, each shows in the very next page (the spare balancer has the
    # ALB's security group: the instances take HTTP from it alone).
    elbv2 = lab.client("elbv2")
    assert get(sandbox, dns_name(lab))[0] == 200
    subnets = [
        s["SubnetId"]
        for s in lab.client("ec2").describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [lab.ids["vpc"]]}]
        )["Subnets"]
    ]
    spare = elbv2.create_load_balancer(
        Name="ops-case-spare",
        Subnets=subnets[:2],
        SecurityGroups=[lab.ids["groups"]["ops-case-sg-alb"]],
    )["LoadBalancers"][0]
    listener = elbv2.create_listener(
        LoadBalancerArn=spare["LoadBalancerArn"],
        Protocol="HTTP",
        Port=80,
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {"StatusCode": "418", "MessageBody": "spare"},
            }
        ],
    )["Listeners"][0]
    spare_name = elbv2.describe_load_balancers(
        LoadBalancerArns=[spare["LoadBalancerArn"]]
    )["LoadBalancers"][0]["DNSName"]
    assert get(sandbox, spare_name) == (418, "spare")

    elbv2.modify_listener(
        ListenerArn=listener["ListenerArn"],
        DefaultActions=[{"Type": "forward", "TargetGroupArn": lab.ids["target_group"]}],
    )
    status, page = get(sandbox, spare_name)
    assert status == 200 and "<h1>ops-case web</h1>" in page

    elbv2.delete_load_balancer(LoadBalancerArn=spare["LoadBalancerArn"])
    # As a name that no longer resolves: no answer at all.
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        get(sandbox, spare_name)
    assert get(sandbox, dns_name(lab))[0] == 200
