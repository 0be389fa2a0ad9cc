"""Every check labguide implements, by the id the catalog uses."""

from __future__ import annotations

from collections.abc import Callable

from labguide.engine.checks import goals, infrastructure
from labguide.engine.checks.result import CheckResult, Status, failed, passed, pending
from labguide.engine.context import LabContext
from labguide.engine.teardown import nothing_left

Check = Callable[[LabContext], CheckResult]

CHECKS: dict[str, Check] = {
    "network-ready": infrastructure.network_ready,
    "instance-role-ready": infrastructure.instance_role_ready,
    "security-groups-ready": infrastructure.security_groups_ready,
    "launch-template-ready": infrastructure.launch_template_ready,
    "target-group-ready": infrastructure.target_group_ready,
    "load-balancer-active": infrastructure.load_balancer_active,
    "auto-scaling-group-ready": infrastructure.auto_scaling_group_ready,
    "alb-serves-page": goals.alb_serves_page,
    "targets-healthy": goals.targets_healthy,
    "managed-nodes-online": goals.managed_nodes_online,
    "alarm-configured": goals.alarm_configured,
    "alarm-subscription-confirmed": goals.alarm_subscription_confirmed,
    "nginx-logs-collected": goals.nginx_logs_collected,
    "cloudtrail-history": goals.cloudtrail_history,
    "backup-plan-ready": goals.backup_plan_ready,
    "backup-job-recorded": goals.backup_job_recorded,
    "nothing-left": nothing_left,
}

__all__ = ["CHECKS", "Check", "CheckResult", "Status", "failed", "passed", "pending"]
