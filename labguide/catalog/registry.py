"""The names of the actions and checks labguide implements.

The catalog may refer only to these; the engine implements exactly these (a
test holds the two together). They live here, below the engine, so that the
catalog can be validated without importing boto3.
"""

from labguide.catalog.parameters import ACTION_PARAMETERS

KNOWN_ACTIONS: frozenset[str] = frozenset(ACTION_PARAMETERS)
"""Every action a step may name."""

KNOWN_CHECKS: frozenset[str] = frozenset(
    {
        "network-ready",
        "instance-role-ready",
        "security-groups-ready",
        "launch-template-ready",
        "target-group-ready",
        "load-balancer-active",
        "auto-scaling-group-ready",
        "alb-serves-page",
        "targets-healthy",
        "managed-nodes-online",
        "alarm-configured",
        "alarm-subscription-confirmed",
        "nginx-logs-collected",
        "cloudtrail-history",
        "backup-plan-ready",
        "backup-job-recorded",
        "nothing-left",
    }
)
"""Every check a step or goal may name."""
