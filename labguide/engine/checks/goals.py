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
    Words,
    failed,
    passed,
    pending,
)
from labguide.engine.checks.userdata import broken_user_data
from labguide.engine.context import LabContext
from labguide.engine.web import WebError, fetch

WAITING_REASONS = ("Elb.RegistrationInProgress", "Elb.InitialHealthChecking")


def _unavailable(check: str, what: Words) -> CheckResult:
    summary = Words(f"{what.en} is {UNAVAILABLE.en}", f"{what.ja}は{UNAVAILABLE.ja}")
    return failed(check, summary, "endpoint-lacks-api")


def _age_seconds(launched: Any) -> float:
    if not isinstance(launched, dt.datetime):
        return 1e9
    return (dt.datetime.now(dt.UTC) - launched).total_seconds()


def alb_serves_page(ctx: LabContext) -> CheckResult:
    """GET http://<ALB DNS>/ returns the page the user data wrote."""
    check = "alb-serves-page"
    balancer = find_load_balancer(ctx)
    if balancer is None:
        return failed(
            check, Words("the ALB does not exist", "ALB が存在しない"), "alb-missing"
        )
    dns = str(balancer["DNSName"])
    if balancer["State"]["Code"] == "provisioning":
        return pending(
            check,
            Words("the ALB is provisioning", "ALB を準備中（provisioning）"),
            Words("the ALB to become active", "ALB が active になること"),
            Words("2-4 minutes", "2〜4 分"),
            [dns],
        )
    try:
        page = fetch(dns, "/", ctx.clients.target.web_route)
    except WebError as error:
        return pending(
            check,
            Words(f"no answer from {dns}", f"{dns} から応答がない"),
            Words(
                "the ALB's DNS name to resolve and answer",
                "ALB の DNS 名が引けて応答すること",
            ),
            Words("a few minutes", "数分"),
            [str(error)],
        )
    title = ctx.params(LaunchTemplateParams).page_title
    text = re.sub(r"<[^>]+>", " ", html.unescape(page.body))
    excerpt = " ".join(text.split())[:160]
    evidence = [f"GET http://{dns}/ → {page.status}", excerpt]
    if page.status in (502, 503, 504):
        # The ALB has no healthy target: the target check knows why.
        targets = targets_healthy(ctx)
        summary = Words(
            f"the ALB answers {page.status}: {targets.summary}",
            f"ALB が {page.status} を返す：{targets.text('summary', 'ja')}",
        )
        evidence += targets.evidence
        # Before step 7 there is nothing to be healthy yet: that is waiting.
        if targets.status != "failed" or targets.condition == "missing":
            waiting_for = Words(
                targets.waiting_for or "a healthy target",
                targets.text("waiting_for", "ja") or "healthy なターゲット",
            )
            typical_wait = Words(
                targets.typical_wait or "3-5 minutes",
                targets.text("typical_wait", "ja") or "3〜5 分",
            )
            return pending(check, summary, waiting_for, typical_wait, evidence)
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
            Words(
                f"the ALB answers {page.status} without the lab's page",
                f"ALB は {page.status} を返すが、ラボのページではない",
            ),
            "page-content",
            tip="cloud-init-logs",
            evidence=evidence,
        )
    host = re.search(r"host:\s*([\w.-]+)", text)
    served_by = f" served by {host.group(1)}" if host else ""
    answered = f"（{host.group(1)} が応答）" if host else ""
    summary = Words(
        f"the page shows through the ALB{served_by}",
        f"ALB 経由でページが表示される{answered}",
    )
    return passed(check, summary, evidence)


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
            Words(
                "the Auto Scaling group or the target group does not exist",
                "ASG または Target Group が存在しない",
            ),
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
        return passed(
            check,
            Words(
                f"{len(healthy)} healthy targets",
                f"healthy なターゲットが {len(healthy)} 台",
            ),
            evidence,
        )

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
            Words(
                f"{len(healthy)} of {params.desired_capacity} targets healthy",
                f"ターゲット {params.desired_capacity} 台中 {len(healthy)} 台が "
                "healthy",
            ),
            Words("health checks to pass", "ヘルスチェックの合格"),
            Words(
                f"about {wait // 60} min {wait % 60} s after nginx starts",
                f"nginx の起動後 約 {wait // 60} 分 {wait % 60} 秒",
            ),
            evidence,
        )
    reasons = {reason for state, reason, _ in states.values() if state != "healthy"}
    listed = ", ".join(sorted(reasons))
    summary = Words(
        f"{len(healthy)} of {params.desired_capacity} targets healthy: {listed}",
        f"ターゲット {params.desired_capacity} 台中 {len(healthy)} 台が healthy："
        f"{listed}",
    )
    instances = described_instances(ctx, group)
    broken = broken_user_data(ctx, instances)
    if broken is not None:
        tip, finding = broken
        both = Words(f"{summary.en}; {finding.en}", f"{summary.ja}。{finding.ja}")
        return failed(check, both, "user-data", tip, evidence)
    tip, condition = _triage(ctx, reasons)
    if condition != "nginx":
        return failed(check, summary, condition, tip=tip, evidence=evidence)

    unhealthy = [t for t, (state, _, _) in states.items() if state != "healthy"]
    launched = {i["InstanceId"]: i.get("LaunchTime") for i in instances}
    grace = params.health_check_grace_period_seconds
    if all(_booting(launched, t, healthy, grace) for t in unhealthy):
        return pending(
            check,
            Words(
                f"targets unhealthy while instances boot: {listed}",
                f"インスタンスの起動中のためターゲットが unhealthy：{listed}",
            ),
            Words("nginx to install and start", "nginx のインストールと起動"),
            Words("2-5 minutes", "2〜5 分"),
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
        return failed(
            check,
            Words("the Auto Scaling group does not exist", "ASG が存在しない"),
            "missing",
        )
    instances = _instances(ctx, group)
    ids = [i["InstanceId"] for i in instances if i["State"]["Name"] == "running"]
    if not ids:
        return pending(
            check,
            Words("no running instance yet", "running のインスタンスがまだない"),
            Words("instances to start", "インスタンスの起動"),
            Words("1-2 minutes", "1〜2 分"),
        )
    try:
        answer = ctx.clients.ssm.describe_instance_information(
            Filters=[{"Key": "InstanceIds", "Values": ids}]
        )
    except ClientError as error:
        if endpoint_lacks_api(error):
            return _unavailable(
                check, Words("Session Manager's inventory", "マネージドノードの一覧")
            )
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
            check,
            Words(
                f"{len(online)} instances online in Session Manager",
                f"{len(online)} 台のインスタンスが Session Manager で Online",
            ),
            evidence,
        )

    offline = [i for i in instances if i["InstanceId"] not in online]
    no_ip = [i["InstanceId"] for i in offline if not i.get("PublicIpAddress")]
    if no_ip:
        return failed(
            check,
            Words(
                "no public IP (subnet auto-assign off), so no path to the SSM "
                f"endpoints: {', '.join(no_ip)}",
                "public IP がない（Subnet の自動割り当て OFF）ため、SSM "
                f"エンドポイントに届かない：{', '.join(no_ip)}",
            ),
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
            Words(f"the role lacks {required}", f"ロールに {required} がない"),
            "role-policy",
            tip="role-missing-ssm-policy",
            evidence=evidence,
        )
    summary = Words(
        f"{len(online)} of {params.desired_capacity} online",
        f"{params.desired_capacity} 台中 {len(online)} 台が Online",
    )
    if any(_age_seconds(i.get("LaunchTime")) < 600 for i in offline):
        return pending(
            check,
            summary,
            Words("the SSM agent to register", "SSM Agent の登録"),
            Words("1-3 minutes after boot", "起動後 1〜3 分"),
            evidence,
        )
    return failed(
        check,
        summary,
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
        return failed(
            check,
            Words(
                f"alarm {params.alarm_name} not found",
                f"アラーム {params.alarm_name} が見つからない",
            ),
            "alarm-missing",
        )
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
            Words(
                f"differs from the article: {', '.join(wrong)}",
                f"記事の設定と違う：{', '.join(wrong)}",
            ),
            "settings",
            evidence=evidence,
        )
    dimensions = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
    if balancer is None or dimensions.get("LoadBalancer") != load_balancer_dimension(
        balancer["LoadBalancerArn"]
    ):
        return failed(
            check,
            Words(
                "the alarm does not watch the lab's ALB",
                "アラームがラボの ALB を監視していない",
            ),
            "dimension",
            evidence=evidence,
        )
    if topic is None or topic not in alarm.get("AlarmActions", []):
        return failed(
            check,
            Words(
                "the alarm does not notify the lab's SNS topic",
                "アラームの通知先がラボの SNS トピックではない",
            ),
            "action",
            evidence=evidence,
        )
    evidence.append(f"notifies {topic}")
    return passed(
        check,
        Words(
            "the 5XX alarm is set as the article says",
            "5XX アラームが記事どおりに設定されている",
        ),
        evidence,
    )


def alarm_subscription_confirmed(ctx: LabContext) -> CheckResult:
    """The topic has a confirmed email subscription."""
    check = "alarm-subscription-confirmed"
    params = ctx.params(AlarmParams)
    topic = find_topic(ctx)
    if topic is None:
        return failed(
            check,
            Words(
                f"topic {params.topic_name} not found",
                f"SNS トピック {params.topic_name} が見つからない",
            ),
            "topic-missing",
        )
    subscriptions = ctx.clients.sns.list_subscriptions_by_topic(TopicArn=topic)[
        "Subscriptions"
    ]
    emails = [s for s in subscriptions if s["Protocol"] == params.subscription_protocol]
    evidence = [f"{s['Endpoint']}: {_subscription_state(s)}" for s in emails]
    if any(s["SubscriptionArn"] != "PendingConfirmation" for s in emails):
        return passed(
            check,
            Words("the email subscription is confirmed", "メール購読が確認済み"),
            evidence,
        )
    if emails:
        return pending(
            check,
            Words(
                "the email subscription waits for confirmation",
                "メール購読が確認待ち（PendingConfirmation）",
            ),
            Words(
                "you to click 'Confirm subscription' in the email from AWS",
                "AWS から届いたメールの 'Confirm subscription' を押すこと",
            ),
            Words("the link is valid for 3 days", "リンクは 3 日間有効"),
            evidence,
        )
    return failed(
        check,
        Words("the topic has no email subscription", "トピックにメール購読がない"),
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
                Words(
                    f"log group {name} not found", f"ロググループ {name} が見つからない"
                ),
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
        return passed(
            check,
            Words(
                "nginx access and error events arrive",
                "nginx の access/error イベントが届いている",
            ),
            evidence,
        )
    balancer = find_load_balancer(ctx)
    if balancer is None:
        return pending(
            check,
            Words("no events yet", "イベントがまだない"),
            Words("traffic through the ALB", "ALB を通るトラフィック"),
            Words("after step 6", "手順 6 のあと"),
            evidence,
        )
    return pending(
        check,
        Words(
            f"no events yet in {', '.join(empty)}",
            f"{', '.join(empty)} にイベントがまだない",
        ),
        Words(
            "nginx to log a request and the agent to ship it (run step 10 to send "
            "test traffic)",
            "nginx がリクエストを記録し、エージェントがそれを送ること"
            "（手順 10 を実行するとテスト用のトラフィックを送ります）",
        ),
        Words("about a minute after traffic", "トラフィックの約 1 分後"),
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
                return _unavailable(
                    check,
                    Words("CloudTrail event history", "CloudTrail のイベント履歴"),
                )
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
            check,
            Words(
                f"all {len(found)} of the article's events are in history",
                f"記事のイベント {len(found)} 件すべてが履歴にある",
            ),
            evidence,
        )
    return pending(
        check,
        Words(
            f"{len(found)} of {len(params.events)} events in history",
            f"イベント {len(params.events)} 件中 {len(found)} 件が履歴にある",
        ),
        Words("CloudTrail to deliver the events", "CloudTrail によるイベントの配信"),
        Words("about 5 minutes (up to 15)", "約 5 分（最大 15 分）"),
        evidence,
    )


def backup_plan_ready(ctx: LabContext) -> CheckResult:
    """The daily plan with 7-day retention, and its selection."""
    check = "backup-plan-ready"
    params = ctx.params(BackupParams)
    plan = find_plan(ctx)
    if plan is None:
        return failed(
            check,
            Words(
                f"backup plan {params.plan_name} not found",
                f"バックアッププラン {params.plan_name} が見つからない",
            ),
            "plan-missing",
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
            Words(
                "no daily rule with the article's retention",
                "記事どおりの保持期間を持つ毎日のルールがない",
            ),
            "rule",
            evidence=evidence,
        )
    try:
        selections = backup.list_backup_selections(
            BackupPlanId=plan["BackupPlanId"]
        ).get("BackupSelectionsList", [])
    except ClientError as error:
        if endpoint_lacks_api(error):
            return _unavailable(
                check, Words("AWS Backup's selections", "AWS Backup の選択")
            )
        raise
    if not any(s["SelectionName"] == params.selection_name for s in selections):
        return failed(
            check,
            Words(
                f"selection {params.selection_name} not found",
                f"バックアップの選択 {params.selection_name} が見つからない",
            ),
            "selection",
            evidence=evidence,
        )
    evidence.append(f"selection {params.selection_name}: the lab's volumes, by tag")
    return passed(
        check,
        Words(
            "daily plan with 7-day retention and a tag selection",
            "毎日・7 日保持のプランと、タグによる選択がある",
        ),
        evidence,
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
            return _unavailable(
                check, Words("AWS Backup's job history", "AWS Backup のジョブ履歴")
            )
        raise
    evidence = [
        f"{j['BackupJobId']}: {j['State']} {j.get('ResourceArn', '')}".rstrip()
        for j in jobs[:5]
    ]
    states = {j["State"] for j in jobs}
    if "COMPLETED" in states:
        return passed(
            check,
            Words(
                f"{len(jobs)} backup job(s), at least one completed",
                f"バックアップジョブ {len(jobs)} 件、少なくとも 1 件が完了",
            ),
            evidence,
        )
    if states & {"CREATED", "PENDING", "RUNNING"}:
        return pending(
            check,
            Words("the backup job is running", "バックアップジョブを実行中"),
            Words("the job to complete", "ジョブの完了"),
            Words("a few minutes", "数分"),
            evidence,
        )
    if jobs:
        ended = ", ".join(sorted(states))
        return failed(
            check,
            Words(f"backup jobs ended {ended}", f"バックアップジョブが {ended} で終了"),
            "job-failed",
            tip="backup-job-failed",
            evidence=evidence,
        )
    return failed(
        check,
        Words("no backup job on record", "バックアップジョブの履歴がない"),
        "no-job",
        tip="backup-job-failed",
        evidence=["run `labguide run backup` to start one on demand"],
    )
