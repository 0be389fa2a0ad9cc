"""The sandbox's fixed settings: its credentials, AWS's timings, moto's switches.

Every duration here is what AWS typically takes, in AWS seconds; the sandbox's
clock scales them (see `labguide.sandbox.clock`). The figures come from AWS's
documentation and from watching the article's lab run (see AWS-NOTES.md).
"""

from __future__ import annotations

import os

ACCESS_KEY_ID = "AKIALABGUIDESANDBOX1"
"""The sandbox's fixed access key: not a secret, it opens nothing but loopback."""
SECRET_ACCESS_KEY = "labguide-sandbox-not-a-secret"
"""The sandbox's fixed secret key (moto does not check signatures)."""
LEARNER_NAME = "learner"
"""The user name CloudTrail shows for calls made with the sandbox's key."""
ACCOUNT_ID = "123456789012"
"""moto's default account, the only one the sandbox holds."""

DEFAULT_TIME_SCALE = 0.1
"""Real seconds per AWS second: the whole lab waits about a minute."""

CONTROL_PREFIX = "/_sandbox"
"""The reserved path of the control API (drills, faults, e-mail, status)."""


class Timing:
    """AWS's typical durations, in AWS seconds."""

    LOAD_BALANCER_ACTIVE = 150.0
    """An ALB from provisioning to active (2-4 minutes)."""
    TARGET_REGISTRATION = 15.0
    """A new target from Elb.RegistrationInProgress to its first check."""
    SSM_REGISTRATION = 30.0
    """The SSM agent registers this long after the instance starts."""
    SSM_PING_LOST = 60.0
    """An agent that loses its path shows ConnectionLost after this long."""
    COMMAND_START = 1.0
    """A Run Command invocation is picked up by the agent."""
    COMMAND_RUN = 2.0
    """A Run Command invocation of shell commands finishes."""
    CLOUDTRAIL_DELIVERY = 150.0
    """An API call shows in CloudTrail event history (about 5 min, up to 15)."""
    LOG_FLUSH = 5.0
    """The CloudWatch agent's force_flush_interval."""
    BACKUP_START = 20.0
    """An on-demand backup job leaves CREATED."""
    BACKUP_COMPLETE = 180.0
    """An on-demand EBS backup job completes (a few minutes for 8 GB)."""
    PROFILE_PROPAGATION = 10.0
    """A fresh instance profile becomes usable by EC2."""
    ALARM_MIN_WINDOW = 2.0
    """The shortest real window an alarm evaluates, so a scale of 0 still
    lets a breach be seen before it ages out."""


def prepare_environment() -> None:
    """Sets what moto reads when its modules load: call before importing moto.

    AWS managed policies (AmazonSSMManagedInstanceCore and the others the lab
    attaches) exist in IAM only when moto loads them at start.
    """
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    # moto's server answers unknown regions too; the lab's guardrails are the
    # catalog's, not moto's.
    os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "true")
    # The sandbox never calls out: no real credentials are needed or used.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
