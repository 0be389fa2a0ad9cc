"""Step 9: the SNS topic with an email subscription, and the ALB 5XX alarm."""

from __future__ import annotations

from typing import Any

from labguide.aws.errors import is_error
from labguide.catalog.parameters import AlarmParams
from labguide.engine.actions.load_balancing import find_load_balancer
from labguide.engine.context import LabContext
from labguide.engine.events import Event
from labguide.engine.resources import Outcome, Resource
from labguide.errors import LabguideError

STEP = "alarm"


def load_balancer_dimension(arn: str) -> str:
    """The LoadBalancer dimension of ALB metrics: the ARN after
    `loadbalancer/`, e.g. `app/ops-case-alb/50dc6c495c0c9188`."""
    return arn.split(":loadbalancer/", 1)[-1]


def find_topic(ctx: LabContext) -> str | None:
    """The ARN of the lab's topic, or None."""
    params = ctx.params(AlarmParams)
    sns = ctx.clients.sns
    paginator = sns.get_paginator("list_topics")
    for page in paginator.paginate():
        for topic in page.get("Topics", []):
            arn = str(topic["TopicArn"])
            if arn.rsplit(":", 1)[-1] == params.topic_name:
                return arn
    return None


def find_alarm(ctx: LabContext) -> dict[str, Any] | None:
    """The lab's alarm, or None."""
    params = ctx.params(AlarmParams)
    alarms = ctx.clients.cloudwatch.describe_alarms(AlarmNames=[params.alarm_name])
    found = alarms.get("MetricAlarms", [])
    return dict(found[0]) if found else None


def find(ctx: LabContext) -> list[Resource]:
    """The topic and the alarm, if they exist."""
    params = ctx.params(AlarmParams)
    found = []
    topic = find_topic(ctx)
    if topic:
        found.append(Resource("sns-topic", topic, params.topic_name))
    alarm = find_alarm(ctx)
    if alarm:
        found.append(
            Resource("alarm", alarm["AlarmArn"], params.alarm_name, billable=True)
        )
    return found


def ensure(ctx: LabContext) -> Outcome:
    """Creates the topic, subscribes the learner's email, and puts the alarm
    (PutMetricAlarm replaces an alarm of the same name, so it is idempotent)."""
    params = ctx.params(AlarmParams)
    balancer = find_load_balancer(ctx)
    if balancer is None:
        raise LabguideError(
            "The ALB does not exist yet; the alarm watches its metric.",
            "Run step 6 (alb) first.",
        )
    sns = ctx.clients.sns
    outcome = Outcome()

    existing = find_topic(ctx)
    topic_arn = str(
        sns.create_topic(Name=params.topic_name, Tags=ctx.tags(STEP))["TopicArn"]
    )
    ctx.report(Event(STEP, "found" if existing else "created", "SNS topic", topic_arn))
    outcome.add(Resource("sns-topic", topic_arn, params.topic_name), existing is None)

    if ctx.email:
        subscriptions = sns.list_subscriptions_by_topic(TopicArn=topic_arn)[
            "Subscriptions"
        ]
        mine = [
            s
            for s in subscriptions
            if s["Protocol"] == params.subscription_protocol
            and s["Endpoint"] == ctx.email
        ]
        if mine:
            state = (
                "pending confirmation"
                if mine[0]["SubscriptionArn"] == "PendingConfirmation"
                else "confirmed"
            )
            ctx.report(Event(STEP, "found", f"email subscription ({state})", ctx.email))
        else:
            sns.subscribe(
                TopicArn=topic_arn,
                Protocol=params.subscription_protocol,
                Endpoint=ctx.email,
            )
            ctx.report(
                Event(
                    STEP,
                    "created",
                    "email subscription: open the email from AWS and click "
                    "'Confirm subscription'",
                    ctx.email,
                )
            )
    else:
        outcome.warnings.append(
            "no email subscription: run the step again with --email ADDRESS to be "
            "notified"
        )

    alarm_existed = find_alarm(ctx) is not None
    request: dict[str, Any] = {
        "AlarmName": params.alarm_name,
        "AlarmDescription": "Targets behind the lab's ALB answered with 5XX",
        "Namespace": params.namespace,
        "MetricName": params.metric_name,
        "Dimensions": [
            {
                "Name": "LoadBalancer",
                "Value": load_balancer_dimension(balancer["LoadBalancerArn"]),
            }
        ],
        "Statistic": params.statistic,
        "Period": params.period_seconds,
        "EvaluationPeriods": params.evaluation_periods,
        "Threshold": params.threshold,
        "ComparisonOperator": params.comparison,
        "TreatMissingData": params.treat_missing_data,
        "AlarmActions": [topic_arn],
        "OKActions": [topic_arn],
    }
    if not alarm_existed:
        # Tags are taken only when the alarm is created.
        request["Tags"] = ctx.tags(STEP)
    try:
        ctx.clients.cloudwatch.put_metric_alarm(**request)
    except Exception as error:
        if not is_error(error, "LimitExceeded"):
            raise
        raise LabguideError(
            "The account's alarm quota is used up.", "Delete an unused alarm first."
        ) from None
    alarm = find_alarm(ctx)
    alarm_arn = str(alarm["AlarmArn"]) if alarm else params.alarm_name
    ctx.report(
        Event(
            STEP,
            "updated" if alarm_existed else "created",
            f"alarm {params.metric_name} {params.comparison} {params.threshold:g} "
            f"over {params.period_seconds // 60} min",
            alarm_arn,
        )
    )
    outcome.add(
        Resource("alarm", alarm_arn, params.alarm_name, billable=True),
        not alarm_existed,
    )
    return outcome
