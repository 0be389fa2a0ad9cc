"""`labguide sandbox serve|status|stop|confirm-email` and `labguide drill
list|start`: the embedded sandbox and its drills."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `sandbox` and `drill` commands."""
    parser = subparsers.add_parser("sandbox", help="run and control the local sandbox")
    actions = parser.add_subparsers(dest="sandbox_command", required=True)

    serve = actions.add_parser(
        "serve", help="run the sandbox in the foreground for the AWS CLI and others"
    )
    serve.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    serve.add_argument(
        "--time-scale",
        type=float,
        default=None,
        help="real seconds per AWS second (default 0.1; 0 makes waits instant)",
    )
    serve.add_argument(
        "--faults",
        default="",
        help="API faults, e.g. throttle=0.1,error=0.05,drop=0.02,profile-delay=10,"
        "latency=0.08,seed=7 (latency: seconds each call waits, as on AWS)",
    )
    serve.add_argument("--state-dir", help="where the world is kept (default: yours)")
    serve.add_argument("--quiet", action="store_true", help="print nothing")
    serve.add_argument(
        "--idle-exit",
        type=float,
        metavar="SECONDS",
        help="save and stop after this long without a request (the lab is "
        "kept and comes back on the next start)",
    )
    serve.set_defaults(handler=serve_sandbox)

    status = actions.add_parser(
        "status", help="whether the sandbox runs, and its world"
    )
    status.add_argument("--json", action="store_true", help="machine-readable output")
    status.set_defaults(handler=show_status)

    stop = actions.add_parser(
        "stop", help="stop the background sandbox (it keeps its world)"
    )
    stop.set_defaults(handler=stop_sandbox)

    confirm = actions.add_parser(
        "confirm-email",
        help="confirm the alarm's e-mail subscription (the link's click)",
    )
    confirm.add_argument("--participant", help="the participant whose lab it is")
    confirm.add_argument("--email", help="only this address")
    confirm.set_defaults(handler=confirm_email)

    drill = subparsers.add_parser(
        "drill", help="put a known fault into the sandbox lab"
    )
    drills = drill.add_subparsers(dest="drill_command", required=True)
    listing = drills.add_parser("list", help="the drills and what they break")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=list_drills)
    start = drills.add_parser("start", help="break the lab in a known way")
    start.add_argument("name", help="the drill (see `labguide drill list`)")
    start.add_argument("--participant", help="the participant whose lab it is")
    start.add_argument("--region", help="the lab's region (default: the lab's)")
    start.set_defaults(handler=start_drill)


def serve_sandbox(args: argparse.Namespace) -> int:
    """Runs the sandbox until interrupted, printing how to reach it."""
    from labguide.errors import LabguideError
    from labguide.locations import sandbox_dir
    from labguide.sandbox import (
        ACCESS_KEY_ID,
        DEFAULT_TIME_SCALE,
        SECRET_ACCESS_KEY,
        Faults,
        Sandbox,
        SandboxError,
    )
    from labguide.sandbox.daemon import (
        SandboxInfo,
        remove_server_file,
        running_sandbox,
        write_server_file,
    )

    directory = Path(args.state_dir) if args.state_dir else sandbox_dir()
    default_dir = directory.resolve() == sandbox_dir().resolve()
    if default_dir:
        other = running_sandbox()
        if other is not None:
            raise LabguideError(
                f"A sandbox already runs on {other.endpoint_url} (pid {other.pid}).",
                "Use it, or stop it with `labguide sandbox stop`.",
            )
    try:
        faults = Faults.parse(args.faults) if args.faults else None
    except ValueError as problem:
        raise LabguideError(f"--faults: {problem}.") from None
    scale = DEFAULT_TIME_SCALE if args.time_scale is None else args.time_scale
    if scale < 0:
        raise LabguideError("--time-scale must be 0 or more.")

    sandbox = Sandbox(
        port=args.port, time_scale=scale, state_dir=directory, faults=faults
    )
    try:
        sandbox.start()
    except SandboxError as problem:
        raise LabguideError(f"The sandbox cannot start: {problem}.") from None
    info = SandboxInfo(os.getpid(), "127.0.0.1", sandbox.port, str(directory))
    write_server_file(directory, info)

    def stop(signum: int, frame: Any) -> None:
        sandbox.stop()

    signal.signal(signal.SIGTERM, stop)
    if not args.quiet:
        from labguide.catalog import load_catalog

        region = load_catalog().lab.default_region
        print(f"# labguide sandbox on {sandbox.endpoint_url} (Ctrl-C stops it)")
        print(f"export AWS_ENDPOINT_URL={sandbox.endpoint_url}")
        print(f"export AWS_ACCESS_KEY_ID={ACCESS_KEY_ID}")
        print(f"export AWS_SECRET_ACCESS_KEY={SECRET_ACCESS_KEY}")
        print(f"export AWS_DEFAULT_REGION={region}")
        sys.stdout.flush()
    try:
        sandbox.wait(args.idle_exit)
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
        remove_server_file(directory, os.getpid())
    return 0


def show_status(args: argparse.Namespace) -> int:
    """Says whether the user's sandbox runs, and what its world holds."""
    from labguide.sandbox import control, running_sandbox

    info = running_sandbox()
    if info is None:
        if args.json:
            print(json.dumps({"running": False}))
        else:
            print("The sandbox is not running (labguide starts it when needed).")
        return 1
    status = control(info, "/status")
    if args.json:
        print(json.dumps({"running": True, **status}, indent=2, default=str))
        return 0
    print(
        f"The sandbox runs on {info.endpoint_url} (pid {info.pid}), "
        f"time scale {status['time_scale']}."
    )
    active = {k: v for k, v in status["faults"].items() if v and k != "seed"}
    if active:
        print("Faults: " + ", ".join(f"{k}={v}" for k, v in active.items()))
    for instance in status["world"]["instances"]:
        print(
            f"  {instance['id']}: {instance['state']}, boot {instance['boot']}, "
            f"nginx {instance['nginx']}, Session Manager {instance['ssm']}"
        )
    pending = status["world"]["pending_emails"]
    if pending:
        print(
            f"{pending} e-mail subscription(s) wait: `labguide sandbox confirm-email`."
        )
    return 0


def stop_sandbox(args: argparse.Namespace) -> int:
    """Stops the background sandbox; its world is kept for the next start."""
    from labguide.sandbox import stop_running

    if stop_running():
        print("The sandbox stopped; its lab is kept for the next start.")
    else:
        print("The sandbox was not running.")
    return 0


def confirm_email(args: argparse.Namespace) -> int:
    """Confirms the lab's pending e-mail subscriptions, as the link would."""
    from labguide.catalog import load_catalog
    from labguide.catalog.naming import parameters_of
    from labguide.catalog.parameters import AlarmParams
    from labguide.errors import LabguideError
    from labguide.sandbox import control, running_sandbox

    info = running_sandbox()
    if info is None:
        raise LabguideError("The sandbox is not running.", "Start the lab first.")
    catalog = load_catalog()
    topic = parameters_of(catalog, AlarmParams, args.participant).topic_name
    status = control(info, "/confirm-email", {"endpoint": args.email})
    mine = [arn for arn in status["confirmed"] if f":{topic}:" in arn]
    others = len(status["confirmed"]) - len(mine)
    if not status["confirmed"]:
        print("No e-mail subscription was waiting for confirmation.")
    else:
        print(
            f"Confirmed {len(mine)} subscription(s) to {topic}"
            + (f" and {others} other(s)." if others else ".")
        )
    return 0


def list_drills(args: argparse.Namespace) -> int:
    """Lists the drills."""
    from labguide.sandbox.drills import DRILLS

    if args.json:
        print(
            json.dumps(
                [
                    {"name": d.name, "goal": d.goal, "summary": d.summary}
                    for d in DRILLS.values()
                ],
                indent=2,
            )
        )
        return 0
    width = max(len(name) for name in DRILLS)
    for drill in DRILLS.values():
        print(f"{drill.name:<{width}}  {drill.summary} (goal: {drill.goal})")
    return 0


def start_drill(args: argparse.Namespace) -> int:
    """Breaks the sandbox lab in a known way."""
    from labguide.catalog import load_catalog
    from labguide.errors import LabguideError
    from labguide.sandbox import running_sandbox
    from labguide.sandbox.drills import DRILLS
    from labguide.sandbox.drills import start_drill as apply

    if args.name not in DRILLS:
        raise LabguideError(
            f"There is no drill {args.name!r}.", f"Drills: {', '.join(DRILLS)}."
        )
    info = running_sandbox()
    if info is None:
        raise LabguideError("The sandbox is not running.", "Run the lab first.")
    catalog = load_catalog()
    region = args.region or catalog.lab.default_region
    done = apply(args.name, info.target(region), catalog, args.participant)
    print(f"Drill {args.name}: {done}.")
    print(
        f"Find the cause with the tip `{args.name}` (`labguide verify` shows the symptom)."  # noqa: E501
    )
    return 0
