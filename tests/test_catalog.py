"""The catalog: the bundled one is whole and faithful to the article, and a
broken one is reported precisely (message, line and field path)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from labguide.catalog import Catalog, CatalogError, Text, load_catalog, parse_catalog
from labguide.catalog.models import Strict
from labguide.catalog.naming import all_names, parameters_of
from labguide.catalog.parameters import (
    AlarmParams,
    AutoScalingParams,
    BackupParams,
    CloudTrailParams,
    LaunchTemplateParams,
    LoadBalancerParams,
    LogGroupsParams,
    NetworkParams,
    RoleParams,
    SecurityGroupsParams,
    TargetGroupParams,
)
from labguide.catalog.registry import KNOWN_ACTIONS, KNOWN_CHECKS
from labguide.locations import bundled_catalog_path, userdata_dir

# The article's step headings ("# Step N. ..."), in its order.
ARTICLE_STEPS = [
    ("network", "VPC / Subnet を作成"),
    ("iam-role", "IAM：EC2 用のロールを作成"),
    ("security-groups", "Security Group を作成"),
    ("launch-template", "Launch Template を作成（ここが重要）"),
    ("target-group", "Target Group を作成"),
    ("alb", "ALB を作成"),
    ("asg", "Auto Scaling Group を作成"),
    ("session-manager", "SSM（Session Manager）で SSH なしログイン"),
    ("alarm", "CloudWatch Alarm（ALB 5XX）"),
    ("logs", "CloudWatch Logs（nginx access/error）"),
    ("cloudtrail", "CloudTrail（操作ログ確認）"),
    ("backup", "AWS Backup（EBS スナップショット）"),
]

# The article's final checklist (最終チェック), word for word.
ARTICLE_GOALS = [
    "ALB DNS で Web が表示される",
    "Target Group に 2 台 Healthy",
    "Session Manager でログインできる",
    "Alarm 作成成功、SNS メール通知が届く",
    "Logs に nginx access/error が入る",
    "CloudTrail に操作履歴が残る",
    "AWS Backup の Plan と実行履歴が確認できる",
]

# Every resource name issue 2 asks the catalog to hold, as the article writes it.
ARTICLE_NAMES = {
    "ops-case-ec2-role",
    "ops-case-sg-alb",
    "ops-case-sg-ec2",
    "ops-case-lt-web",
    "ops-case-tg",
    "ops-case-alb",
    "ops-case-asg",
    "ops-case-nginx-access",
    "ops-case-nginx-error",
    "ops-case-backup-plan",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def source() -> str:
    return bundled_catalog_path().read_text(encoding="utf-8")


# --- the bundled catalog ------------------------------------------------------


def test_the_article_steps_come_in_order_then_cleanup(catalog: Catalog) -> None:
    article = [step for step in catalog.steps if step.article]

    assert [(step.id, step.title.ja) for step in article] == ARTICLE_STEPS
    assert [step.number for step in article] == list(range(1, 13))
    assert len(catalog.steps) == 13
    cleanup = catalog.steps[-1]
    assert (cleanup.article, cleanup.action, cleanup.number) == (False, "tear-down", 13)


def test_the_seven_goals_are_the_articles_checklist(catalog: Catalog) -> None:
    assert [goal.title.ja for goal in catalog.goals] == ARTICLE_GOALS
    step_ids = {step.id for step in catalog.steps}
    assert all(goal.step in step_ids for goal in catalog.goals)


def test_every_text_is_written_in_both_languages(catalog: Catalog) -> None:
    texts = list(_texts(catalog))

    assert len(texts) > 150
    for path, text in texts:
        assert text.ja.strip(), path
        assert text.en.strip(), path
    # Japanese texts are Japanese where the article is: every step's title and
    # explanation holds kana or kanji, not a copy of the English.
    for step in catalog.steps:
        assert any(ord(char) > 0x3000 for char in step.why.ja), step.id


def test_every_step_teaches_and_says_where_it_is(catalog: Catalog) -> None:
    for step in catalog.steps:
        assert step.console_path.ja and step.console_path.en, step.id
        assert step.checks, step.id
        assert step.troubleshooting, step.id
        for tip in step.troubleshooting:
            assert tip.run or tip.where == "console", tip.id


def test_every_name_the_article_gives_is_a_parameter(catalog: Catalog) -> None:
    names = set(all_names(catalog, None).values())

    assert names >= ARTICLE_NAMES
    role = parameters_of(catalog, RoleParams, None)
    assert role.role_name == "ops-case-ec2-role"
    assert role.trusted_service == "ec2.amazonaws.com"
    assert role.managed_policies == [
        "AmazonSSMManagedInstanceCore",
        "CloudWatchAgentServerPolicy",
    ]


def test_the_lab_carries_its_prefix_region_and_tags(catalog: Catalog) -> None:
    lab = catalog.lab

    assert lab.name_prefix == "ops-case"
    assert lab.default_region == "us-east-1"
    assert lab.default_region in lab.allowed_regions
    assert "t3.micro" in lab.allowed_instance_types
    assert lab.tags and lab.tag_keys.lab


def test_network_spans_two_zones_with_public_ips(catalog: Catalog) -> None:
    network = parameters_of(catalog, NetworkParams, None)

    assert len({subnet.zone_index for subnet in network.subnets}) >= 2
    # The article's second pitfall is a subnet with this off.
    assert all(subnet.map_public_ip for subnet in network.subnets)


def test_security_groups_admit_the_alb_only_and_no_ssh(catalog: Catalog) -> None:
    params = parameters_of(catalog, SecurityGroupsParams, None)
    groups = {group.name: group for group in params.groups}
    alb, ec2 = groups["ops-case-sg-alb"], groups["ops-case-sg-ec2"]

    assert params.load_balancer_group == "ops-case-sg-alb"
    assert params.instance_group == "ops-case-sg-ec2"
    assert [(r.protocol, r.port, r.cidr) for r in alb.ingress] == [
        ("tcp", 80, "0.0.0.0/0")
    ]
    assert [(r.protocol, r.port, r.group, r.cidr) for r in ec2.ingress] == [
        ("tcp", 80, "ops-case-sg-alb", None)
    ]
    for group in (alb, ec2):
        assert [(r.protocol, r.cidr) for r in group.egress] == [("all", "0.0.0.0/0")]
        assert all(rule.port != 22 for rule in group.ingress)


def test_launch_template_is_the_articles(catalog: Catalog) -> None:
    template = parameters_of(catalog, LaunchTemplateParams, None)

    assert template.name == "ops-case-lt-web"
    assert "al2023" in template.ami_parameter  # Amazon Linux 2023
    assert template.instance_type == "t3.micro"
    assert template.key_pair is None
    assert template.instance_profile == "ops-case-ec2-role"
    assert template.security_group == "ops-case-sg-ec2"
    assert template.http_tokens == "required"  # IMDSv2
    assert (userdata_dir() / template.user_data).is_file()


def test_target_group_alb_and_asg_are_the_articles(catalog: Catalog) -> None:
    target_group = parameters_of(catalog, TargetGroupParams, None)
    alb = parameters_of(catalog, LoadBalancerParams, None)
    asg = parameters_of(catalog, AutoScalingParams, None)

    assert (target_group.name, target_group.target_type) == ("ops-case-tg", "instance")
    assert (target_group.protocol, target_group.port) == ("HTTP", 80)
    assert target_group.health_check_path == "/"
    assert (alb.name, alb.scheme, alb.ip_address_type) == (
        "ops-case-alb",
        "internet-facing",
        "ipv4",
    )
    assert (alb.security_group, alb.target_group) == ("ops-case-sg-alb", "ops-case-tg")
    assert (alb.listener_protocol, alb.listener_port) == ("HTTP", 80)
    assert (asg.name, asg.launch_template, asg.target_group) == (
        "ops-case-asg",
        "ops-case-lt-web",
        "ops-case-tg",
    )
    assert (asg.desired_capacity, asg.min_size, asg.max_size) == (2, 2, 4)
    assert asg.health_check_type == "ELB"
    assert asg.health_check_grace_period_seconds > 0


def test_alarm_logs_trail_and_backup_are_the_articles(catalog: Catalog) -> None:
    alarm = parameters_of(catalog, AlarmParams, None)
    logs = parameters_of(catalog, LogGroupsParams, None)
    trail = parameters_of(catalog, CloudTrailParams, None)
    backup = parameters_of(catalog, BackupParams, None)

    assert (alarm.namespace, alarm.metric_name) == (
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
    )
    # "Threshold: 5分間で > 0"
    assert (alarm.period_seconds, alarm.comparison, alarm.threshold) == (
        300,
        "GreaterThanThreshold",
        0,
    )
    assert alarm.subscription_protocol == "email"
    assert (logs.access_log_group, logs.error_log_group) == (
        "ops-case-nginx-access",
        "ops-case-nginx-error",
    )
    assert {"CreateLoadBalancer", "CreateAutoScalingGroup", "CreateBackupPlan"} <= set(
        trail.events
    )
    assert backup.plan_name == "ops-case-backup-plan"
    assert backup.schedule.startswith("cron(0 ") and backup.schedule.endswith("* *)")
    assert backup.retention_days == 7


def test_troubleshooting_covers_the_articles_pitfalls(catalog: Catalog) -> None:
    tips = catalog.tips()
    commands = {command for tip in tips.values() for command in tip.run}
    texts = " ".join(
        f"{tip.symptom.en} {tip.cause.en} {tip.expect.en}" for tip in tips.values()
    )

    assert {"systemctl status nginx", "ss -lntp", "curl http://localhost/"} <= commands
    assert any("/var/log/cloud-init-output.log" in c for c in commands)
    assert any("/var/log/cloud-init.log" in c for c in commands)
    assert "Failed to run module scripts-user" in texts
    assert "#!/bin/bashdnf update -y" in tips["userdata-shebang"].cause.en
    assert "auto-assign public IPv4" in tips["subnet-no-public-ip"].cause.en


def test_catalog_and_registry_agree_on_checks(catalog: Catalog) -> None:
    assert {check.id for check in catalog.checks} == KNOWN_CHECKS
    assert {step.action for step in catalog.steps} == KNOWN_ACTIONS


def test_the_goal_count_is_not_the_loaders_business(source: str) -> None:
    start = source.index("  - id: backup-history")
    end = source.index("\nsteps:")

    catalog = parse_catalog(source[:start] + source[end:])

    assert len(catalog.goals) == 6


def _texts(model: Strict, path: str = "") -> list[tuple[str, Text]]:
    found: list[tuple[str, Text]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        items = value if isinstance(value, list) else [value]
        for index, item in enumerate(items):
            where = f"{path}.{name}[{index}]"
            if isinstance(item, Text):
                found.append((where, item))
            elif isinstance(item, Strict):
                found += _texts(item, where)
    return found


# --- broken catalogs ----------------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """A small mutation of the real steps.yaml and the one problem it makes."""

    old: str
    """Text that occurs exactly once in steps.yaml."""
    new: str
    """What it becomes."""
    marker: str
    """Text on the line the problem is reported on, once in the broken text."""
    field: str
    """The field path the problem names."""
    message: str
    """The message, exactly."""
    also: tuple[tuple[str, str], ...] = ()
    """Further replacements (of every occurrence) that keep the rest sound."""


ACTIONS = ", ".join(sorted(KNOWN_ACTIONS))

BROKEN = {
    "unknown action": Broken(
        "action: create-network",
        "action: create-netwrk",
        "action: create-netwrk",
        "steps[0].action",
        "unknown action 'create-netwrk' (did you mean 'create-network'?); "
        f"known actions: {ACTIONS}",
    ),
    "unknown check in a step": Broken(
        "checks: [network-ready]\n",
        "checks: [network-redy]\n",
        "checks: [network-redy]",
        "steps[0].checks[0]",
        "unknown check 'network-redy' (did you mean 'network-ready'?); declare it "
        "under checks",
    ),
    "unknown check in a goal": Broken(
        "checks: [alb-serves-page]\n    step: alb",
        "checks: [alb-serves-pages]\n    step: alb",
        "checks: [alb-serves-pages]",
        "goals[0].checks[0]",
        "unknown check 'alb-serves-pages' (did you mean 'alb-serves-page'?); "
        "declare it under checks",
    ),
    "unknown goal step": Broken(
        "    step: alb\n",
        "    step: load-balancer\n",
        "step: load-balancer",
        "goals[0].step",
        "unknown step 'load-balancer'",
    ),
    "unknown dependency": Broken(
        "depends_on: [network]\n    troubleshooting:\n      - id: sg-blocks-alb",
        "depends_on: [netwrk]\n    troubleshooting:\n      - id: sg-blocks-alb",
        "depends_on: [netwrk]",
        "steps[2].depends_on[0]",
        "unknown step 'netwrk' (did you mean 'network'?)",
    ),
    "dependency on a later step": Broken(
        "depends_on: [asg]\n    troubleshooting:\n      - id: ssm-offline",
        "depends_on: [alarm]\n    troubleshooting:\n      - id: ssm-offline",
        "depends_on: [alarm]",
        "steps[7].depends_on[0]",
        "step 'alarm' comes after 'session-manager'; a step can only depend on "
        "earlier steps",
    ),
    "missing translation": Broken(
        'title: {ja: "VPC / Subnet を作成", en: "Create the VPC and subnets"}',
        'title: {ja: "VPC / Subnet を作成"}',
        'title: {ja: "VPC / Subnet を作成"}',
        "steps[0].title.en",
        "missing translation (en)",
    ),
    "empty translation": Broken(
        'title: {ja: "VPC / Subnet を作成", en: "Create the VPC and subnets"}',
        'title: {ja: "", en: "Create the VPC and subnets"}',
        'title: {ja: "", en: "Create the VPC and subnets"}',
        "steps[0].title.ja",
        "empty translation (ja)",
    ),
    "blank translation": Broken(
        'title: {ja: "VPC / Subnet を作成", en: "Create the VPC and subnets"}',
        'title: {ja: "VPC / Subnet を作成", en: "   "}',
        'en: "   "}',
        "steps[0].title.en",
        "blank translation (en)",
    ),
    "a text that is not in two languages": Broken(
        'title: {ja: "VPC / Subnet を作成", en: "Create the VPC and subnets"}',
        'title: "Create the VPC and subnets"',
        'title: "Create the VPC and subnets"',
        "steps[0].title",
        "needs a text in each language (ja and en), not 'Create the VPC and subnets'",
    ),
    "duplicate goal id": Broken(
        '  - id: cloudtrail\n    title: {ja: "CloudTrail に',
        '  - id: nginx-logs\n    title: {ja: "CloudTrail に',
        '  - id: nginx-logs\n    title: {ja: "CloudTrail に',
        "goals[5].id",
        "duplicate goal id 'nginx-logs' (also goals[4])",
    ),
    "duplicate tip id": Broken(
        "      - id: nginx-stopped\n",
        "      - id: target-unhealthy\n",
        '      - id: target-unhealthy\n        symptom:\n          ja: "1 台だけ',
        "steps[6].troubleshooting[1].id",
        "duplicate tip id 'target-unhealthy' (also steps[6].troubleshooting[0])",
    ),
    "duplicate YAML key": Broken(
        "\nversion: 1\n",
        "\nversion: 1\nversion: 1  # again\n",
        "version: 1  # again",
        "version",
        "duplicate key 'version' (also on line 4); YAML keeps only the last one",
    ),
    "a name without the prefix": Broken(
        "vpc_name: ops-case-vpc",
        "vpc_name: lab-vpc",
        "vpc_name: lab-vpc",
        "steps[0].parameters.vpc_name",
        "name 'lab-vpc' must start with the lab's prefix 'ops-case-'",
    ),
    "an instance type outside the guardrail": Broken(
        "instance_type: t3.micro",
        "instance_type: m5.large",
        "instance_type: m5.large",
        "steps[3].parameters.instance_type",
        "instance type 'm5.large' is not among lab.allowed_instance_types "
        "(t3.micro, t3.small, t2.micro)",
    ),
    "a rule naming an undeclared group": Broken(
        "group: ops-case-sg-alb,",
        "group: ops-case-sg-lb,",
        "group: ops-case-sg-lb,",
        "steps[2].parameters.groups[1].ingress[0].group",
        "source group 'ops-case-sg-lb' is not declared in this step's groups "
        "(ops-case-sg-alb, ops-case-sg-ec2) (did you mean 'ops-case-sg-alb'?)",
    ),
    "a rule opening SSH": Broken(
        '{protocol: tcp, port: 80, cidr: 0.0.0.0/0, description: "HTTP from anywhere"}',
        '{protocol: tcp, port: 22, cidr: 0.0.0.0/0, description: "SSH"}',
        'port: 22, cidr: 0.0.0.0/0, description: "SSH"',
        "steps[2].parameters.groups[0].ingress[0].port",
        "the lab opens no SSH port: Session Manager replaces SSH",
    ),
    "an unknown instance profile": Broken(
        "instance_profile: ops-case-ec2-role",
        "instance_profile: ops-case-ec2-profile",
        "instance_profile: ops-case-ec2-profile",
        "steps[3].parameters.instance_profile",
        "instance profile 'ops-case-ec2-profile' is not created by any step; the "
        "steps create ops-case-ec2-role (did you mean 'ops-case-ec2-role'?)",
    ),
    "the instances in the ALB's security group": Broken(
        "security_group: ops-case-sg-ec2",
        "security_group: ops-case-sg-alb",
        "security_group: ops-case-sg-alb\n      user_data",
        "steps[3].parameters.security_group",
        "security group 'ops-case-sg-alb' is not the one meant for it: the "
        "security groups step names 'ops-case-sg-ec2' as its instance_group",
    ),
    "an unknown target group": Broken(
        "      target_group: ops-case-tg\n    checks: [load",
        "      target_group: ops-case-tgt\n    checks: [load",
        "target_group: ops-case-tgt",
        "steps[5].parameters.target_group",
        "target group 'ops-case-tgt' is not created by any step; the steps create "
        "ops-case-tg (did you mean 'ops-case-tg'?)",
    ),
    "a launch template from a step not depended on": Broken(
        "depends_on: [network, launch-template, target-group]",
        "depends_on: [network, target-group]",
        "launch_template: ops-case-lt-web",
        "steps[6].parameters.launch_template",
        "launch template 'ops-case-lt-web' is created by step 'launch-template', "
        "which 'asg' does not depend on; add 'launch-template' to "
        "steps[6].depends_on",
    ),
    "a target group name too long for a participant": Broken(
        "      name: ops-case-tg\n",
        "      name: ops-case-tg-nginx\n",
        "name: ops-case-tg-nginx",
        "steps[4].parameters.name",
        "name 'ops-case-tg-nginx' becomes 34 characters for a participant with the "
        "longest name lab.participant_pattern allows (16 characters); AWS allows "
        "at most 32 for a target group: shorten the name or the pattern's limit",
        also=(("target_group: ops-case-tg\n", "target_group: ops-case-tg-nginx\n"),),
    ),
    "a load balancer name over 32 characters": Broken(
        "      name: ops-case-alb\n",
        "      name: ops-case-application-load-balancer\n",
        "name: ops-case-application-load-balancer",
        "steps[5].parameters.name",
        "name 'ops-case-application-load-balancer' is 34 characters; AWS allows at "
        "most 32 for a load balancer",
    ),
    "a missing user data file": Broken(
        "user_data: web.sh",
        "user_data: web2.sh",
        "user_data: web2.sh",
        "steps[3].parameters.user_data",
        f"user data file 'web2.sh' does not exist in {userdata_dir()} "
        "(did you mean 'web.sh'?)",
    ),
    "a user data path": Broken(
        "user_data: web.sh",
        "user_data: ../steps.yaml",
        "user_data: ../steps.yaml",
        "steps[3].parameters.user_data",
        "'../steps.yaml' must be a file name under userdata/, not a path",
    ),
    "a misspelt parameter": Broken(
        "      health_check_path: /\n",
        "      health_check_pth: /\n",
        "health_check_pth: /",
        "steps[4].parameters.health_check_pth",
        "unknown field 'health_check_pth' (did you mean 'health_check_path'?)",
    ),
    "a key pair": Broken(
        "key_pair: null",
        "key_pair: my-key",
        "key_pair: my-key",
        "steps[3].parameters.key_pair",
        "must be null, not 'my-key': the lab launches instances without a key "
        "pair, since Session Manager replaces SSH",
    ),
    "IMDSv2 misspelt": Broken(
        "http_tokens: required",
        "http_tokens: require",
        "http_tokens: require",
        "steps[3].parameters.http_tokens",
        "must be 'required' or 'optional', not 'require'",
    ),
    "capacity above the maximum": Broken(
        "      desired_capacity: 2\n",
        "      desired_capacity: 5\n",
        "desired_capacity: 5",
        "steps[6].parameters.desired_capacity",
        "desired_capacity 5 is outside min_size 2 and max_size 4",
    ),
    "a group above the workshop guardrail": Broken(
        "      max_size: 4\n",
        "      max_size: 6\n",
        "max_size: 6",
        "steps[6].parameters.max_size",
        "max_size 6 is above lab.max_group_size (4), the workshop guardrail",
    ),
    "a log retention CloudWatch refuses": Broken(
        "      retention_days: 7\n      access_log_path",
        "      retention_days: 10\n      access_log_path",
        "retention_days: 10",
        "steps[9].parameters.retention_days",
        "CloudWatch Logs does not accept 10 days; use one of 1, 3, 5, 7, 14, 30, "
        "60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
        "2922, 3288, 3653",
    ),
    "a threshold that is not a number": Broken(
        "      healthy_threshold: 5\n",
        "      healthy_threshold: five\n",
        "healthy_threshold: five",
        "steps[4].parameters.healthy_threshold",
        "Input should be a valid integer, unable to parse string as an integer "
        "(got 'five')",
    ),
    "a default region outside the allowed ones": Broken(
        "default_region: us-east-1",
        "default_region: us-east1",
        "default_region: us-east1",
        "lab.default_region",
        "'us-east1' is not among lab.allowed_regions (did you mean 'us-east-1'?)",
    ),
    "an unbounded participant name": Broken(
        '"^[a-z0-9]([a-z0-9-]{0,14}[a-z0-9])?$"',
        '"^[a-z0-9-]+$"',
        'participant_pattern: "^[a-z0-9-]+$"',
        "lab.participant_pattern",
        "allows names of any length; bound it (as in {0,14}) so that "
        "participant-scoped names keep within AWS's name limits",
    ),
    "a repeated step number": Broken(
        "    number: 5\n",
        "    number: 4\n",
        'number: 4\n    title: {ja: "Target Group を作成"',
        "steps[4].number",
        "step number 4 is repeated (also step 'launch-template')",
    ),
    "a missing required field": Broken(
        "    action: tear-down\n",
        "",
        "  - id: cleanup",
        "steps[12].action",
        "required field is missing",
    ),
    "an unknown check id": Broken(
        "  - id: nothing-left\n    title",
        "  - id: nothing-left-behind\n    title",
        "id: nothing-left-behind",
        "checks[16].id",
        "unknown check 'nothing-left-behind' (did you mean 'nothing-left'?); "
        "labguide implements: " + ", ".join(sorted(KNOWN_CHECKS)),
        also=(("checks: [nothing-left]", "checks: [nothing-left-behind]"),),
    ),
}


def _line_of(text: str, marker: str) -> int:
    assert text.count(marker) == 1, f"{marker!r} is not unique in the broken text"
    return text[: text.index(marker)].count("\n") + 1


def _mutate(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, f"{old!r} is not once in steps.yaml"
    return source.replace(old, new)


@pytest.mark.parametrize("case", list(BROKEN.values()), ids=list(BROKEN))
def test_a_broken_catalog_names_its_mistake(source: str, case: Broken) -> None:
    broken = _mutate(source, case.old, case.new)
    for old, new in case.also:
        broken = broken.replace(old, new)

    with pytest.raises(CatalogError) as caught:
        parse_catalog(broken, "steps.yaml")

    found = [(p.line, p.field, p.message) for p in caught.value.problems]
    assert found == [(_line_of(broken, case.marker), case.field, case.message)]
    assert str(caught.value.problems[0]).startswith(f"steps.yaml:{found[0][0]}:")


def test_every_mistake_is_reported_at_once(source: str) -> None:
    broken = source
    cases = ("unknown action", "a misspelt parameter", "duplicate goal id")
    for name in cases:
        broken = _mutate(broken, BROKEN[name].old, BROKEN[name].new)

    with pytest.raises(CatalogError) as caught:
        parse_catalog(broken, "steps.yaml")

    problems = caught.value.problems
    assert [p.field for p in problems] == [
        "goals[5].id",
        "steps[0].action",
        "steps[4].parameters.health_check_pth",
    ]
    assert [p.line for p in problems] == sorted(p.line for p in problems)


def test_yaml_that_does_not_parse_is_reported_where_it_breaks(source: str) -> None:
    broken = _mutate(source, "checks: [network-ready]\n", "checks: [network-ready\n")

    with pytest.raises(CatalogError) as caught:
        parse_catalog(broken, "steps.yaml")

    (problem,) = caught.value.problems
    assert problem.message.startswith("not valid YAML: ")
    assert problem.line > _line_of(broken, "checks: [network-ready\n")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the catalog is empty; it needs version, lab, checks, goals and steps"),
        (
            b"# nothing yet\n",
            "the catalog is empty; it needs version, lab, checks, goals and steps",
        ),
        (
            b"- network\n- alb\n",
            "the catalog must be a mapping of version, lab, "
            "checks, goals and steps, not a list",
        ),
        (
            b"version: 1\nlab: \xff\n",
            "not UTF-8: byte 0xff cannot be decoded; save the catalog as UTF-8",
        ),
    ],
    ids=["empty", "comments only", "a list", "not UTF-8"],
)
def test_files_that_are_no_catalog(
    tmp_path: Path, content: bytes, message: str
) -> None:
    file = tmp_path / "steps.yaml"
    file.write_bytes(content)

    with pytest.raises(CatalogError) as caught:
        load_catalog(file)

    assert [p.message for p in caught.value.problems] == [message]


def test_a_directory_or_a_missing_file_is_no_catalog(tmp_path: Path) -> None:
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}: is a directory; give the path of a catalog file such as "
        "steps.yaml"
    )

    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path / "nope.yaml")
    assert str(caught.value) == (
        f"{tmp_path / 'nope.yaml'}: no such file; give the path of a catalog"
    )


def test_user_data_is_looked_up_beside_the_catalog(tmp_path: Path, source: str) -> None:
    (tmp_path / "userdata").mkdir()
    file = tmp_path / "steps.yaml"
    file.write_text(source, encoding="utf-8")

    with pytest.raises(CatalogError) as caught:
        load_catalog(file)
    assert [p.field for p in caught.value.problems] == ["steps[3].parameters.user_data"]

    (tmp_path / "userdata" / "web.sh").write_text("#!/bin/bash\n", encoding="utf-8")
    assert load_catalog(file).lab.name_prefix == "ops-case"


def _damaged(source: str) -> list[str]:
    """Catalogs with one line dropped or one value retyped, all over the file."""
    lines = source.split("\n")
    dropped = ["\n".join(lines[:i] + lines[i + 1 :]) for i in range(0, len(lines), 3)]
    values = ["[]", "{}", "1", "null", "true", "[a, b]", "{a: 1}", "-1", "ops-case-x"]
    retyped = []
    for i, line in enumerate(lines):
        if ":" in line and not line.lstrip().startswith("#"):
            key = line.partition(":")[0]
            changed = f"{key}: {values[i % len(values)]}"
            retyped.append("\n".join([*lines[:i], changed, *lines[i + 1 :]]))
    return dropped + retyped[::2]


def test_no_damage_makes_the_loader_crash(source: str) -> None:
    outcomes = set()
    for text in _damaged(source):
        try:
            parse_catalog(text)
        except CatalogError as error:
            assert error.problems
            assert all(p.line >= 1 and p.message for p in error.problems)
            outcomes.add("problems")
        else:
            outcomes.add("loaded")
    assert "problems" in outcomes
