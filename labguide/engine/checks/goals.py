"""Checks behind the article's seven goals, each read-only."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from botocore.exceptions import ClientError

from labguide.aws.errors import endpoint_lacks_api
from labguide.catalog.parameters import (
    AlarmParams,
    AutoScalingParams,
    BackupParams,
    CloudTrailParams,
    LaunchTemplateParams,
    LogGroupsParams,
    SecurityGroupsParams,
    SessionManagerParams,
    TargetGroupParams,
)
from labguide.engine.actions.alarm import (
    find_alarm,
    find_topic,
    load_balancer_dimension,
)
from labguide.engine.actions.auto_scaling import (
    described_instances,
    find_group,
    live_instances,
)
from labguide.engine.actions.backup import find_plan
from labguide.engine.actions.iam import policy_arn
from labguide.engine.actions.load_balancing import find_load_balancer, find_target_group
from labguide.engine.actions.observe import lab_event, lab_names, mentioned
from labguide.engine.actions.security_groups import find_groups
from labguide.engine.checks.result import (
    UNAVAILABLE,
    CheckResult,
    failed,
    passed,
    pending,
)
from labguide.engine.checks.userdata import broken_user_data
from labguide.engine.context import LabContext
from labguide.engine.web import WebError, fetch

WAITING_REASONS = ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")


def _unavailable(check: str, what: str) -> CheckResult:
    return failed(check, f"{what} is {UNAVAILABLE}", "endpoint-lacks-api")


def _age_seconds(launched: Any) -> float:
    if not isinstance(launched, dt.datetime):
        return 1e9
    return (dt.datetime.now(dt.UTC) - launched).total_seconds()


def alb_serves_page(ctx: LabContext) -> CheckResult:
    """GET http://<ALB DNS>/ returns the page the user data wrote."""
    check = "alb-serves-page"
    balancer = find_load_balancer(ctx)
    if balancer is None:
        return failed(check, "the ALB does not exist", "alb-missing")
    dns = str(balancer["DNSName"])
    if balancer["State"]["Code"] == "provisioning":
        return pending(
            check,
            "the ALB is provisioning",
            "the ALB to become active",
            "2-4 minutes",
            [dns],
        )
    try:
        page = fetch(dns, "/", ctx.clients.target.web_route)
    except WebError as error:
        return pending(
            check,
            f"no answer from {dns}",
            "the ALB's DNS name to resolve and answer",
            "a few minutes",
            [str(error)],
        )
    title = ctx.params(LaunchTemplateParams).page_title
    text = re.sub(r"<[^>]+>", " ", html.unescape(page.body))
    excerpt = " ".join(text.split())[:160]
    evidence = [f"GET http://{dns}/ → {page.status}", excerpt]
    if page.status in (502, 503, 504):
        # The ALB has no healthy target: the target check knows why.
        targets = targets_healthy(ctx)
        summary = f"the ALB answers {page.status}: {targets.summary}"
        evidence += targets.evidence
        # Before step 7 there is nothing to be healthy yet: that is waiting.
        if targets.status != "failed" or targets.condition == "missing":
            return pending(
                check,
                summary,
                targets.waiting_for or "a healthy target",
                targets.typical_wait or "3-5 minutes",
                evidence,
            )
        return failed(
            check,
            summary,
            targets.condition or "no-healthy-target",
            tip=targets.tip or "alb-no-page",
            evidence=evidence,
        )
    if page.status != 200 or title not in page.body:
        return failed(
            check,
            f"the ALB answers {page.status} without the lab's page",
            "page-content",
            tip="cloud-init-logs",
            evidence=evidence,
        )
    host = re.search(r"host:\s*([\w.-]+)", text)
    served_by = f" served by {host.group(1)}" if host else ""
    return passed(check, f"the page shows through the ALB{served_by}", evidence)


def _instances(ctx: LabContext, group: dict[str, Any]) -> list[dict[str, Any]]:
    ids = [i["InstanceId"] for i in live_instances(group)]
    if not ids:
        return []
    reservations = ctx.clients.ec2.describe_instances(InstanceIds=ids)["Reservations"]
    return [i for r in reservations for i in r["Instances"]]


def targets_healthy(ctx: LabContext) -> CheckResult:
    """The group's current instances are healthy targets (reason codes shown)."""
    check = "targets-healthy"
    params = ctx.params(AutoScalingParams)
    group = find_group(ctx)
    target_group = find_target_group(ctx)
    if group is None or target_group is None:
        return failed(
            check,
            "the Auto Scaling group or the target group does not exist",
            "missing",
        )
    current = {i["InstanceId"] for i in live_instances(group)}
    descriptions = ctx.clients.elbv2.describe_target_health(
        TargetGroupArn=target_group["TargetGroupArn"]
    )["TargetHealthDescriptions"]
    states: dict[str, tuple[str, str, str]] = {}
    for item in descriptions:
        target_id = item["Target"]["Id"]
        if target_id in current:
            health = item["TargetHealth"]
            states[target_id] = (
                health.get("State", ""),
                health.get("Reason", ""),
                health.get("Description", ""),
            )
    evidence = [
        f"{target_id}: {state}" + (f" ({reason}: {description})" if reason else "")
        for target_id, (state, reason, description) in sorted(states.items())
    ]
    healthy = [t for t, (state, _, _) in states.items() if state == "healthy"]
    if len(healthy) >= params.desired_capacity:
        return passed(check, f"{len(healthy)} healthy targets", evidence)

    unregistered = current - set(states)
    waiting = [
        t
        for t, (state, reason, _) in states.items()
        if state == "initial" or reason in WAITING_REASONS
    ]
    if waiting or unregistered or len(current) < params.desired_capacity:
        tg = ctx.params(TargetGroupParams)
        wait = tg.health_check_interval_seconds * tg.healthy_threshold
        return pending(
            check,
            f"{len(healthy)} of {params.desired_capacity} targets healthy",
            "health checks to pass",
            f"about {wait // 60} min {wait % 60} s after nginx starts",
            evidence,
        )
    reasons = {reason for state, reason, _ in states.values() if state != "healthy"}
    summary = (
        f"{len(healthy)} of {params.desired_capacity} targets healthy: "
        + ", ".join(sorted(reasons))
    )
    instances = described_instances(ctx, group)
    broken = broken_user_data(ctx, instances)
    if broken is not None:
        tip, finding = broken
        return failed(check, f"{summary}; {finding}", "user-data", tip, evidence)
    tip, condition = _triage(ctx, reasons)
    if condition != "nginx":
        return failed(check, summary, condition, tip=tip, evidence=evidence)

    unhealthy = [t for t, (state, _, _) in states.items() if state != "healthy"]
    launched = {i["InstanceId"]: i.get("LaunchTime") for i in instances}
    grace = params.health_check_grace_period_seconds
    if all(_booting(launched, t, healthy, grace) for t in unhealthy):
        return pending(
            check,
            "targets unhealthy while instances boot: " + ", ".join(sorted(reasons)),
            "nginx to install and start",
            "2-5 minutes",
            evidence,
        )
    # Peers launched alongside are healthy, so this one is not just slow.
    tip = "nginx-stopped" if healthy else "target-unhealthy"
    return failed(check, summary, condition, tip=tip, evidence=evidence)


PEER_WINDOW_SECONDS = 120
"""Instances launched this close together boot together."""


def _booting(
    launched: dict[str, Any], target: str, healthy: list[str], grace: float
) -> bool:
    """Whether an unhealthy target may simply still be booting: it is within
    the group's grace period and no peer launched with it is healthy yet."""
    when = launched.get(target)
    if _age_seconds(when) >= grace:
        return False
    if not isinstance(when, dt.datetime):
        return True
    for peer in healthy:
        other = launched.get(peer)
        if isinstance(other, dt.datetime):
            if (other - when).total_seconds() >= -PEER_WINDOW_SECONDS:
                return False
    return True


def _triage(ctx: LabContext, reasons: set[str]) -> tuple[str, str]:
    """Which tip an unhealthy target's reason codes point to."""
    if "Target.ResponseCodeMismatch" in reasons:
        return "healthcheck-path", "health-check-path"
    if "Target.NotInUse" in reasons:
        return "alb-no-page", "not-in-use"
    if reasons & {"Target.Timeout", "Target.FailedHealthChecks"}:
        sgs = ctx.params(SecurityGroupsParams)
        groups = find_groups(ctx)
        alb = groups.get(sgs.load_balancer_group)
        ec2 = groups.get(sgs.instance_group)
        port = ctx.params(TargetGroupParams).port
        if alb and ec2:
            admitted = any(
                entry.get("FromPort") == port
                and alb["GroupId"]
                in [p["GroupId"] for p in entry.get("UserIdGroupPairs", [])]
                for entry in ec2.get("IpPermissions", [])
            )
            if not admitted:
                return "sg-blocks-alb", "security-group"
        return "target-unhealthy", "nginx"
    return "target-unhealthy", "unhealthy"


def managed_nodes_online(ctx: LabContext) -> CheckResult:
    """The group's instances are online in Session Manager."""
    check = "managed-nodes-online"
    params = ctx.params(AutoScalingParams)
    group = find_group(ctx)
    if group is None:
        return failed(check, "the Auto Scaling group does not exist", "missing")
    instances = _instances(ctx, group)
    ids = [i["InstanceId"] for i in instances if i["State"]["Name"] == "running"]
    if not ids:
        return pending(
            check, "no running instance yet", "instances to start", "1-2 minutes"
        )
    try:
        answer = ctx.clients.ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": ids}]
        )
    except ClientError as error:
        if endpoint_lacks_api(error):
            return _unavailable(check, "Session Manager's inventory")
        raise
    online = {
        i["InstanceId"]: i
        for i in answer.get("InstanceInformationList", [])
        if i.get("PingStatus") == "Online"
    }
    evidence = []
    for instance in instances:
        info = online.get(instance["InstanceId"])
        zone = instance.get("Placement", {}).get("AvailabilityZone")
        where = f"{zone}, public IP {instance.get('PublicIpAddress', 'none')}"
        state = (
            f"Online, agent {info.get('AgentVersion', '?')}" if info else "not online"
        )
        evidence.append(f"{instance['InstanceId']} ({where}): {state}")
    if len(online) >= params.desired_capacity:
        return passed(
            check, f"{len(online)} instances online in Session Manager", evidence
        )

    offline = [i for i in instances if i["InstanceId"] not in online]
    no_ip = [i["InstanceId"] for i in offline if not i.get("PublicIpAddress")]
    if no_ip:
        return failed(
            check,
            "no public IP (subnet auto-assign off), so no path to the SSM endpoints: "
            + ", ".join(no_ip),
            "network-path",
            tip="subnet-no-public-ip",
            evidence=evidence,
        )
    required = ctx.params(SessionManagerParams).required_policy
    role = ctx.params(LaunchTemplateParams).instance_profile
    try:
        attached = {
            p["PolicyArn"]
            for p in ctx.clients.iam.list_attached_role_policies(RoleName=role)[
                "AttachedPolicies"
            ]
        }
    except ClientError:
        attached = set()
    if policy_arn(required) not in attached:
        return failed(
            check,
            f"the role lacks {required}",
            "role-policy",
            tip="role-missing-ssm-policy",
            evidence=evidence,
        )
    if any(_age_seconds(i.get("LaunchTime")) < 600 for i in offline):
        return pending(
            check,
            f"{len(online)} of {params.desired_capacity} online",
            "the SSM agent to register",
            "1-3 minutes after boot",
            evidence,
        )
    return failed(
        check,
        f"{len(online)} of {params.desired_capacity} online",
        "agent",
        tip="ssm-offline",
        evidence=evidence,
    )


def alarm_configured(ctx: LabContext) -> CheckResult:
    """The 5XX alarm on the lab's ALB as the article specifies, notifying SNS."""
    check = "alarm-configured"
    params = ctx.params(AlarmParams)
    alarm = find_alarm(ctx)
    if alarm is None:
        return failed(check, f"alarm {params.alarm_name} not found", "alarm-missing")
    balancer = find_load_balancer(ctx)
    topic = find_topic(ctx)
    evidence = [
        f"{params.alarm_name}: {alarm['Namespace']} {alarm['MetricName']} "
        f"{alarm.get('Statistic')} "
        f"{alarm['ComparisonOperator']} {alarm['Threshold']:g} over {alarm['Period']} "
        "s, "
        f"missing data: {alarm.get('TreatMissingData', 'missing')}, state "
        f"{alarm.get('StateValue')}",
    ]
    expected = {
        "Namespace": params.namespace,
        "MetricName": params.metric_name,
        "Statistic": params.statistic,
        "Period": params.period_seconds,
        "EvaluationPeriods": params.evaluation_periods,
        "Threshold": params.threshold,
        "ComparisonOperator": params.comparison,
        "TreatMissingData": params.treat_missing_data,
    }
    wrong = [key for key, value in expected.items() if alarm.get(key) != value]
    if wrong:
        return failed(
            check,
            "differs from the article: " + ", ".join(wrong),
            "settings",
            evidence=evidence,
        )
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    if balancer is None or dimensions.get("LoadBalancer") != load_balancer_dimension(
        balancer["LoadBalancerArn"]
    ):
        return failed(
            check,
            "the alarm does not watch the lab's ALB",
            "dimension",
            evidence=evidence,
        )
    if topic is None or topic not in alarm.get("AlarmActions", []):
        return failed(
            check,
            "the alarm does not notify the lab's SNS topic",
            "action",
            evidence=evidence,
        )
    evidence.append(f"notifies {topic}")
    return passed(check, "the 5XX alarm is set as the article says", evidence)


def alarm_subscription_confirmed(ctx: LabContext) -> CheckResult:
    """The topic has a confirmed email subscription."""
    check = "alarm-subscription-confirmed"
    params = ctx.params(AlarmParams)
    topic = find_topic(ctx)
    if topic is None:
        return failed(check, f"topic {params.topic_name} not found", "topic-missing")
    subscriptions = ctx.clients.sns.list_subscriptions_by_topic(TopicArn=topic)[
        "Subscriptions"
    ]
    emails = [s for s in subscriptions if s["Protocol"] == params.subscription_protocol]
    evidence = [f"{s['Endpoint']}: {_subscription_state(s)}" for s in emails]
    if any(s["SubscriptionArn"] != "PendingConfirmation" for s in emails):
        return passed(check, "the email subscription is confirmed", evidence)
    if emails:
        return pending(
            check,
            "the email subscription waits for confirmation",
            "you to click 'Confirm subscription' in the email from AWS",
            "the link is valid for 3 days",
            evidence,
        )
    return failed(
        check,
        "the topic has no email subscription",
        "no-subscription",
        tip="sns-unconfirmed",
        evidence=["run `labguide run alarm --email ADDRESS`"],
    )


def _subscription_state(subscription: dict[str, Any]) -> str:
    if subscription["SubscriptionArn"] == "PendingConfirmation":
        return "pending confirmation"
    return "confirmed"


def nginx_logs_collected(ctx: LabContext) -> CheckResult:
    """Both log groups hold nginx events."""
    check = "nginx-logs-collected"
    params = ctx.params(LogGroupsParams)
    logs = ctx.clients.logs
    evidence = []
    empty = []
    for name in (params.access_log_group, params.error_log_group):
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        if not any(g["logGroupName"] == name for g in groups):
            return failed(
                check,
                f"log group {name} not found",
                "group-missing",
                tip="agent-not-shipping",
            )
        events = logs.filter_log_events(logGroupName=name, limit=5).get("events", [])
        if events:
            evidence.append(f"{name}: {events[-1]['message'][:140]}")
        else:
            empty.append(name)
            evidence.append(f"{name}: no events yet")
    if not empty:
        return passed(check, "nginx access and error events arrive", evidence)
    balancer = find_load_balancer(ctx)
    if balancer is None:
        return pending(
            check, "no events yet", "traffic through the ALB", "after step 6", evidence
        )
    return pending(
        check,
        "no events yet in " + ", ".join(empty),
        "nginx to log a request and the agent to ship it (run step 10 to send test "
        "traffic)",
        "about a minute after traffic",
        evidence,
    )


def cloudtrail_history(ctx: LabContext) -> CheckResult:
    """The article's events for this lab's resources are in event history."""
    check = "cloudtrail-history"
    params = ctx.params(CloudTrailParams)
    names = lab_names(ctx)
    found: dict[str, str] = {}
    for event_name in params.events:
        try:
            event = lab_event(ctx, event_name)
        except ClientError as error:
            if endpoint_lacks_api(error):
                return _unavailable(check, "CloudTrail event history")
            raise
        if event is not None:
            found[event_name] = (
                f"{event_name} {mentioned(event, names)} by "
                f"{event.get('Username', '?')} at {event['EventTime']}"
            )
    evidence = [
        found.get(name, f"{name}: not in history yet") for name in params.events
    ]
    if len(found) == len(params.events):
        return passed(
            check, f"all {len(found)} of the article's events are in history", evidence
        )
    return pending(
        check,
        f"{len(found)} of {len(params.events)} events in history",
        "CloudTrail to deliver the events",
        "about 5 minutes (up to 15)",
        evidence,
    )


def backup_plan_ready(ctx: LabContext) -> CheckResult:
    """The daily plan with 7-day retention, and its selection."""
    check = "backup-plan-ready"
    params = ctx.params(BackupParams)
    plan = find_plan(ctx)
    if plan is None:
        return failed(
            check, f"backup plan {params.plan_name} not found", "plan-missing"
        )
    backup = ctx.clients.backup
    body = backup.get_backup_plan(BackupPlanId=plan["BackupPlanId"])["BackupPlan"]
    rules = body.get("Rules", [])
    evidence = [
        f"{params.plan_name}: rule {r['RuleName']} {r['ScheduleExpression']} → "
        f"{r['TargetBackupVaultName']}, "
        f"kept {r.get('Lifecycle', {}).get('DeleteAfterDays')} days"
        for r in rules
    ]
    good = [
        r
        for r in rules
        if r["ScheduleExpression"] == params.schedule
        and r.get("Lifecycle", {}).get("DeleteAfterDays") == params.retention_days
    ]
    if not good:
        return failed(
            check,
            "no daily rule with the article's retention",
            "rule",
            evidence=evidence,
        )
    try:
        selections = backup.list_backup_selections(
            BackupPlanId=plan["BackupPlanId"]
        ).get("BackupSelectionsList", [])
    except ClientError as error:
        if endpoint_lacks_api(error):
            return _unavailable(check, "AWS Backup's selections")
        raise
    if not any(s["SelectionName"] == params.selection_name for s in selections):
        return failed(
            check,
            f"selection {params.selection_name} not found",
            "selection",
            evidence=evidence,
        )
    evidence.append(f"selection {params.selection_name}: the lab's volumes, by tag")
    return passed(
        check, "daily plan with 7-day retention and a tag selection", evidence
    )


def backup_job_recorded(ctx: LabContext) -> CheckResult:
    """At least one backup job is on record for the lab's vault."""
    check = "backup-job-recorded"
    params = ctx.params(BackupParams)
    try:
        jobs = ctx.clients.backup.list_backup_jobs(
            ByBackupVaultName=params.vault_name
        ).get("BackupJobs", [])
    except ClientError as error:
        if endpoint_lacks_api(error):
            return _unavailable(check, "AWS Backup's job history")
        raise
    evidence = [
        f"{j['BackupJobId']}: {j['State']} {j.get('ResourceArn', '')}".rstrip()
        for j in jobs[:5]
    ]
    states = {j["State"] for j in jobs}
    if "COMPLETED" in states:
        return passed(
            check, f"{len(jobs)} backup job(s), at least one completed", evidence
        )
    if states & {"CREATED", "PENDING", "RUNNING"}:
        return pending(
            check,
            "the backup job is running",
            "the job to complete",
            "a few minutes",
            evidence,
        )
    if jobs:
        return failed(
            check,
            "backup jobs ended " + ", ".join(sorted(states)),
            "job-failed",
            tip="backup-job-failed",
            evidence=evidence,
        )
    return failed(
        check,
        "no backup job on record",
        "no-job",
        tip="backup-job-failed",
        evidence=["run `labguide run backup` to start one on demand"],
    )
