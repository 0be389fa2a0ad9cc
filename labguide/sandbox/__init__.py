"""The embedded sandbox: an AWS for this lab on loopback, with no account.

moto in server mode is the control plane; around it, a lab world (`world`)
supplies the data plane AWS has and moto lacks (instances that boot from
their user data, health checks, the load balancer's web traffic, the SSM
and CloudWatch agents, alarms), and the sandbox answers itself the API
actions moto lacks or gets wrong for the lab (`services`). The engine
reaches it exactly as it reaches AWS: boto3 with an endpoint URL, a region
and fixed, non-secret keys (a `labguide.aws.target.Target`).

Two ways to run it:

- `Sandbox`: in this process, in a background thread (tests, scripts);
- `ensure_running()`: the user's sandbox, a detached `labguide sandbox
  serve` process found through a file in `labguide.locations.sandbox_dir()`,
  started when none runs.

How the lab survives restarts: the user's sandbox is a process of its own,
so quitting labguide leaves it running and the next labguide finds it where
it was, timers and all. When that process itself ends (`labguide sandbox
stop`, a reboot), it has kept its whole state on disk: the sandbox pickles
every moto backend together with the world, as one object graph, after each
change (at most every two seconds) and when it stops, and loads it back when
it starts. We chose this over moto's request recorder: a replay re-runs every
call and only reproduces identifiers if nothing else drew from moto's random
generator in between, while the world also changes with time and with
drills, none of which is a request; a snapshot restores exactly what was
there, in milliseconds, whatever made it.

The control API, under `/_sandbox` on the same endpoint (JSON):

- `GET /status`: endpoint, pid, time scale, faults, a summary of the world;
- `GET|POST /faults`: the fault rates (`throttle`, `error`, `drop`,
  `profile_delay`, `latency`, `seed`);
- `POST /time-scale` `{"scale": 0.1}`;
- `POST /confirm-email` `{"topic_arn"?, "endpoint"?}`: as clicking the link;
- `GET /outbox`: the e-mails the sandbox would have sent;
- `GET|POST /instances/ID/nginx` `{"state": "running|stopped|failing"}`;
- `GET /instances/ID/file?path=/var/log/cloud-init-output.log`;
- `POST /tick`: advance the world now; `POST /stop`: stop the sandbox.
"""

from __future__ import annotations

from labguide.sandbox.config import ACCESS_KEY_ID, DEFAULT_TIME_SCALE, SECRET_ACCESS_KEY
from labguide.sandbox.daemon import (
    SandboxInfo,
    control,
    ensure_running,
    running_sandbox,
    stop_running,
)
from labguide.sandbox.faults import Faults
from labguide.sandbox.server import Sandbox, SandboxError, sandbox_target

__all__ = [
    "ACCESS_KEY_ID",
    "DEFAULT_TIME_SCALE",
    "SECRET_ACCESS_KEY",
    "Faults",
    "Sandbox",
    "SandboxError",
    "SandboxInfo",
    "control",
    "ensure_running",
    "running_sandbox",
    "sandbox_target",
    "stop_running",
]
