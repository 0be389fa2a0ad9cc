"""Options every lab command shares, and how they become a session."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labguide.errors import LabguideError

if TYPE_CHECKING:
    from labguide.aws.target import Target
    from labguide.catalog.models import Catalog
    from labguide.engine.events import Event
    from labguide.engine.session import LabSession


def add_target_options(
    parser: argparse.ArgumentParser,
    *,
    title: str = "where the lab runs",
    participant_help: str = "your name in a workshop: it goes into every resource name",
    lab_options: bool = True,
) -> None:
    """Adds --aws, --profile, --region, --participant and --catalog; with
    `lab_options`, also --email and --json (a single lab's commands)."""
    where = parser.add_argument_group(title)
    where.add_argument(
        "--aws",
        action="store_true",
        help="use AWS (the credential chain, AWS_* variables and AWS_ENDPOINT_URL) "
        "instead of the built-in sandbox",
    )
    where.add_argument("--profile", help="AWS profile name (with --aws)")
    where.add_argument("--region", help="region (default: the lab's, or the profile's)")
    where.add_argument("--participant", help=participant_help)
    if lab_options:
        where.add_argument("--email", help="address the alarm notifies (step 9)")
    where.add_argument("--catalog", help="a catalog other than the bundled steps.yaml")
    if lab_options:
        parser.add_argument(
            "--json", action="store_true", help="machine-readable output"
        )


@dataclass(frozen=True)
class Settings:
    """Poll and wait times suited to the target (the sandbox settles fast)."""

    poll_seconds: float
    wait_seconds: float


def load_catalog_for(args: argparse.Namespace) -> Catalog:
    """The catalog named by --catalog, or the bundled one; mistakes become one
    message."""
    from labguide.catalog import CatalogError, load_catalog

    try:
        return load_catalog(getattr(args, "catalog", None))
    except CatalogError as error:
        first = error.problems[0]
        more = len(error.problems) - 1
        extra = f" (and {more} more; run `labguide catalog check`)" if more else ""
        raise LabguideError(f"The catalog has a mistake: {first}{extra}.") from None


def resolve_target(args: argparse.Namespace, catalog: Catalog) -> Target:
    """The sandbox (default) or AWS, in an allowed region."""
    from labguide.aws.target import Target

    lab = catalog.lab
    if getattr(args, "aws", False):
        region = args.region or _profile_region(args.profile) or lab.default_region
        _check_region(catalog, region)
        from labguide.sandbox.daemon import web_route_of

        # AWS_ENDPOINT_URL may name a `labguide sandbox serve`: its load
        # balancers' pages are reached through it, not through DNS.
        route = web_route_of(os.environ.get("AWS_ENDPOINT_URL"))
        return Target(kind="aws", region=region, profile=args.profile, web_route=route)
    if getattr(args, "profile", None):
        raise LabguideError(
            "--profile applies to AWS only.", "Add --aws to run in your AWS account."
        )
    region = args.region or lab.default_region
    _check_region(catalog, region)
    from labguide.sandbox import ensure_running

    return ensure_running(region=region)


def _profile_region(profile: str | None) -> str | None:
    import boto3
    from botocore.exceptions import BotoCoreError

    from labguide.aws.errors import explain

    try:
        return boto3.Session(profile_name=profile).region_name
    except BotoCoreError as error:
        raise explain(error, profile) or LabguideError(str(error)) from None


def _check_region(catalog: Catalog, region: str) -> None:
    allowed = catalog.lab.allowed_regions
    if region not in allowed:
        raise LabguideError(
            f"The region {region!r} is not one this lab allows.",
            "Use one of: " + ", ".join(allowed) + ".",
        )


def settings_for(target: Target) -> Settings:
    """How often to poll and how long to wait: short for the sandbox, AWS's
    pace otherwise; LABGUIDE_POLL_SECONDS and LABGUIDE_WAIT_SECONDS override
    (for slow networks, or for endpoints that never settle)."""
    if target.is_sandbox:
        settings = Settings(poll_seconds=0.2, wait_seconds=180.0)
    else:
        settings = Settings(poll_seconds=5.0, wait_seconds=900.0)
    return Settings(
        poll_seconds=_seconds("LABGUIDE_POLL_SECONDS", settings.poll_seconds),
        wait_seconds=_seconds("LABGUIDE_WAIT_SECONDS", settings.wait_seconds),
    )


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise LabguideError(
            f"{name}={value!r} is not a number of seconds.", f"Unset {name} or fix it."
        ) from None
    if seconds < 0:
        raise LabguideError(f"{name} cannot be negative.", f"Unset {name} or fix it.")
    return seconds


def progress_printer(quiet: bool) -> Any:
    """A reporter printing each event to stderr (so --json stdout stays clean)."""

    def report(event: Event) -> None:
        if not quiet:
            print(event.line(), file=sys.stderr, flush=True)

    return report


def open_session(
    args: argparse.Namespace, reporter: Any = None, reconcile: bool = True
) -> LabSession:
    """Opens the session the options describe (and locks it)."""
    from labguide.aws.clients import Clients
    from labguide.engine.session import LabSession, validate_participant
    from labguide.locations import state_dir

    catalog = load_catalog_for(args)
    # A bad name is refused before anything starts (the sandbox included).
    validate_participant(catalog, getattr(args, "participant", None))
    target = resolve_target(args, catalog)
    settings = settings_for(target)
    clients = Clients(target)
    return LabSession.open(
        catalog,
        clients,
        state_dir(),
        participant=getattr(args, "participant", None),
        email=getattr(args, "email", None),
        reporter=reporter,
        poll_seconds=settings.poll_seconds,
        wait_seconds=settings.wait_seconds,
        account_label="sandbox" if target.is_sandbox else None,
        reconcile=reconcile,
    )


def announce_identity(session: LabSession, doing: str) -> None:
    """Shows the account and caller before anything is created or deleted."""
    target = session.clients.target
    where = (
        "the sandbox"
        if target.is_sandbox
        else f"AWS account {session.identity.account}"
    )
    print(
        f"{doing} in {where} as {session.identity.caller}, region {target.region}"
        + (
            f", participant {session.ctx.participant}"
            if session.ctx.participant
            else ""
        ),
        file=sys.stderr,
        flush=True,
    )


def env_flag(name: str) -> bool:
    """Whether an environment variable is set to a true value."""
    return os.environ.get(name, "").lower() in ("1", "true", "yes")
