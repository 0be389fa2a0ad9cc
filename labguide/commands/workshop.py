"""`labguide class`: the instructor's view of a workshop.

    labguide class                    the class in the terminal, refreshing
    labguide class --json             one refresh, as JSON
    labguide class --watch            refresh on a timer without the TUI
    labguide class drill NAME --participant P | --all   (sandbox only)
    labguide class teardown --participant P | --all [--yes]
    labguide class export [--format md|html|json] [--output DIR]

Exit codes: 0 success; 1 a drill did not start or a teardown left something;
2 bad input or credentials.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labguide.commands.options import add_target_options
from labguide.errors import LabguideError

if TYPE_CHECKING:
    from labguide.engine.classroom import ClassReport, ClassView

EXIT_FAILED = 1
ACTIONS = ("show", "drill", "teardown", "export")
DEFAULT_INTERVAL = 10.0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `labguide class`."""
    parser = subparsers.add_parser(
        "class",
        help="the instructor's view: every participant's steps and goals",
        description=(
            "Every participant found in the account (or the sandbox) and region, "
            "with each step's state and each goal's status. A refresh costs the "
            "same few AWS calls however many participants there are. Actions: "
            "show (default), drill NAME, teardown, export."
        ),
    )
    parser.add_argument(
        "action", nargs="?", choices=ACTIONS, default="show", help="what to do"
    )
    parser.add_argument("drill", nargs="?", help="the drill's name (with `drill`)")
    parser.add_argument(
        "--all", action="store_true", help="every participant (drill, teardown)"
    )
    parser.add_argument(
        "--yes", action="store_true", help="really delete (teardown; a dry run else)"
    )
    parser.add_argument(
        "--watch", action="store_true", help="refresh on a timer, without the TUI"
    )
    parser.add_argument(
        "--interval",
        type=float,
        default=DEFAULT_INTERVAL,
        help=f"seconds between refreshes (default {DEFAULT_INTERVAL:g})",
    )
    parser.add_argument(
        "--count", type=int, help="stop watching after this many refreshes"
    )
    parser.add_argument(
        "--format", choices=("md", "html", "json"), default="md", help="export format"
    )
    parser.add_argument("--output", help="export folder (default: class-reports)")
    parser.add_argument("--language", choices=("ja", "en"), default="en")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    add_target_options(
        parser,
        title="where the class runs",
        participant_help="the participant to drill or tear down (`_solo`: a single "
        "learner)",
        lab_options=False,
    )
    parser.set_defaults(handler=run_class)


def run_class(args: argparse.Namespace) -> int:
    """Dispatches `labguide class ACTION`."""
    if args.interval <= 0:
        raise LabguideError("--interval must be a positive number of seconds.")
    if args.drill and args.action != "drill":
        raise LabguideError(f"Unexpected argument {args.drill!r}.")
    view = open_class(args)
    if args.action == "drill":
        return start_drill(args, view)
    if args.action == "teardown":
        return tear_down(args, view)
    if args.action == "export":
        return export(args, view)
    if args.json and not args.watch:
        print(json.dumps(view.refresh().to_dict(), indent=2, default=str))
        return 0
    if args.watch:
        return watch(args, view)
    from labguide.tui.class_screen import ClassApp

    ClassApp(view.catalog, view, interval=args.interval, language=args.language).run()
    return 0


def open_class(args: argparse.Namespace) -> ClassView:
    """The class view the options describe."""
    from labguide.commands.options import load_catalog_for, resolve_target, settings_for
    from labguide.engine.classroom import ClassView

    catalog = load_catalog_for(args)
    target = resolve_target(args, catalog)
    settings = settings_for(target)
    return ClassView.open(
        catalog,
        target,
        poll_seconds=settings.poll_seconds,
        wait_seconds=settings.wait_seconds,
    )


def _chosen(args: argparse.Namespace, doing: str) -> list[str] | None:
    """The participant named, or None for everyone (--all)."""
    if bool(args.participant) == bool(args.all):
        raise LabguideError(
            f"Name whom to {doing}: --participant NAME, or --all.",
            "`labguide class` lists the participants (`_solo` is a single "
            "learner's lab).",
        )
    return [args.participant] if args.participant else None


def table(report: ClassReport, catalog: Any) -> str:
    """The class as text: one line per participant."""
    from labguide.engine.classroom import step_marks

    marks = {"passed": "✔", "pending": "…", "failed": "✘"}
    lines = [
        f"{report.account_label} {report.region}: "
        f"{len(report.participants)} participant(s), "
        f"{report.total_calls} AWS calls in {report.seconds:.1f} s",
        f"{'participant':<17} {'steps 1-' + str(len(catalog.steps)):<16} "
        f"{'goals':<9} passed",
    ]
    for progress in report.participants:
        goals = "".join(marks[g.status] for g in progress.goals)
        lines.append(
            f"{progress.tag:<17} {step_marks(progress, catalog):<16} {goals:<9} "
            f"{progress.passed}/{len(progress.goals)}"
        )
    return "\n".join(lines)


def watch(args: argparse.Namespace, view: ClassView) -> int:
    """Refreshes every --interval seconds until interrupted (or --count)."""
    done = 0
    while True:
        report = view.refresh()
        if args.json:
            print(json.dumps(report.to_dict(), default=str), flush=True)
        else:
            print(table(report, view.catalog), end="\n\n", flush=True)
        done += 1
        if args.count is not None and done >= args.count:
            return 0
        time.sleep(args.interval)


def start_drill(args: argparse.Namespace, view: ClassView) -> int:
    """Starts a drill for one participant or everyone (sandbox only)."""
    if not args.drill:
        from labguide.sandbox.drills import DRILLS

        raise LabguideError(
            "Name the drill.", "Drills: " + ", ".join(sorted(DRILLS)) + "."
        )
    outcome = view.start_drill(args.drill, _chosen(args, "drill"))
    if args.json:
        print(json.dumps({"drill": args.drill, "participants": outcome}, indent=2))
    else:
        for tag, what in outcome.items():
            print(f"{tag}: {what}")
    missed = [tag for tag, what in outcome.items() if what.startswith("not started")]
    return EXIT_FAILED if missed else 0


def tear_down(args: argparse.Namespace, view: ClassView) -> int:
    """Lists what would go (the dry run); with --yes, deletes it."""
    chosen = _chosen(args, "tear down")
    plans = view.teardown_plan(chosen)
    count = sum(len(plan) for plan in plans.values())
    where = view.where()
    if not args.yes:
        if args.json:
            print(
                json.dumps(
                    {
                        "dry_run": True,
                        "account": view.identity.account,
                        "region": view.region,
                        "would_delete": {
                            tag: [r.to_dict() for r in plan]
                            for tag, plan in plans.items()
                        },
                    },
                    indent=2,
                )
            )
        else:
            print(f"Dry run in {where}: {count} resource(s) would be deleted:")
            for tag, plan in plans.items():
                print(f"  {tag}: {len(plan)} resource(s)")
            print("Run again with --yes to delete them.")
        return 0
    print(
        f"Deleting {count} resource(s) of {len(plans)} lab(s) in {where} "
        f"as {view.identity.caller}",
        file=sys.stderr,
        flush=True,
    )
    results = view.tear_down(list(plans))
    clean = all(r.clean for r in results.values())
    if args.json:
        print(
            json.dumps(
                {
                    "account": view.identity.account,
                    "region": view.region,
                    "participants": {
                        tag: {
                            "deleted": len(r.deleted),
                            "errors": r.errors,
                            "left": [x.to_dict() for x in r.left],
                        }
                        for tag, r in results.items()
                    },
                },
                indent=2,
            )
        )
    else:
        for tag, result in results.items():
            state = "clean" if result.clean else f"{len(result.left)} left"
            print(f"  {tag}: {len(result.deleted)} deleted, {state}")
            for error in result.errors:
                print(f"    could not delete: {error}")
    return 0 if clean else EXIT_FAILED


def export(args: argparse.Namespace, view: ClassView) -> int:
    """Writes every participant's report into a folder, with an index."""
    report = view.refresh()
    folder = Path(args.output or "class-reports")
    written = view.export(report, folder, args.format, args.language)
    if args.json:
        print(json.dumps({"files": [str(p) for p in written]}, indent=2))
    else:
        print(
            f"{len(written) - 1} report(s) and an index written to {folder}",
            file=sys.stderr,
        )
    return 0
