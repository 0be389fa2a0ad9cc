"""Headless lab commands: run, verify, status, teardown, report.

Exit codes: 0 success; 1 a step failed, a goal failed, or teardown left
something; 2 bad input or credentials; 3 (verify) goals still pending.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from labguide.commands.options import (
    add_target_options,
    announce_identity,
    open_session,
    progress_printer,
)

EXIT_FAILED = 1
EXIT_PENDING = 3


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds run, verify, status, teardown and report."""
    run = subparsers.add_parser("run", help="perform steps (by number or id), or --all")
    run.add_argument("steps", nargs="*", help="step numbers or ids, e.g. 1 2 alb")
    run.add_argument("--all", action="store_true", help="every step of the lab")
    add_target_options(run)
    run.set_defaults(handler=run_steps)

    verify = subparsers.add_parser("verify", help="check the seven goals")
    verify.add_argument("--watch", action="store_true", help="re-check while pending")
    verify.add_argument(
        "--timeout", type=float, default=900.0, help="seconds to watch (default 900)"
    )
    verify.add_argument("--goal", action="append", help="only this goal (repeatable)")
    add_target_options(verify)
    verify.set_defaults(handler=verify_goals)

    status = subparsers.add_parser("status", help="each step's state and the goals")
    add_target_options(status)
    status.set_defaults(handler=show_status)

    teardown = subparsers.add_parser(
        "teardown", help="delete the lab (a dry run unless --yes)"
    )
    teardown.add_argument("--yes", action="store_true", help="really delete")
    add_target_options(teardown)
    teardown.set_defaults(handler=tear_down)

    report = subparsers.add_parser("report", help="the goals and their evidence")
    report.add_argument(
        "--format", choices=("md", "html", "json"), default="md", help="output format"
    )
    report.add_argument("--language", choices=("ja", "en"), default="en")
    report.add_argument("--output", help="write to this file instead of stdout")
    add_target_options(report)
    report.set_defaults(handler=write_report)


def run_steps(args: argparse.Namespace) -> int:
    """Performs the steps named, or all of them."""
    from labguide.errors import LabguideError

    if not args.all and not args.steps:
        raise LabguideError(
            "Name the steps to run.", "e.g. `labguide run 1 2` or `--all`."
        )
    if args.all and args.steps:
        raise LabguideError("Give step names or --all, not both.")
    from labguide.commands.options import load_catalog_for
    from labguide.engine.session import TEARDOWN_ACTION, check_user_data, resolve_steps

    catalog = load_catalog_for(args)
    steps = (
        [s for s in catalog.steps if s.action != TEARDOWN_ACTION]
        if args.all
        else resolve_steps(catalog, args.steps)
    )
    # Before the session opens: bad input leaves the session file as it was.
    check_user_data(catalog, steps, getattr(args, "participant", None))
    with open_session(args, progress_printer(False)) as session:
        announce_identity(session, "Creating the lab's resources")
        result = session.run_all() if args.all else session.run(args.steps)
        summary = {
            "done": result.done,
            "failed": result.failed,
            "skipped": result.skipped,
            "created": result.created,
            "warnings": result.warnings,
            "calls": session.clients.total_calls,
        }
        if args.json:
            print(json.dumps(summary, indent=2))
        else:
            print(
                f"{len(result.done)} step(s) done, {result.created} resource(s) created"
                + (f", {len(result.failed)} failed" if result.failed else "")
                + (f", {len(result.skipped)} skipped" if result.skipped else "")
            )
            for step, message in result.failed.items():
                print(f"  {step}: {message}")
            nxt = session.next_step()
            if result.ok and nxt is None:
                print("Next: `labguide verify --watch` to see the goals pass.")
        return 0 if result.ok else EXIT_FAILED


def _print_goals(results: Any, language: str = "en") -> None:
    marks = {"passed": "✔", "pending": "…", "failed": "✘"}
    for result in results:
        print(
            f"{marks[result.status]} {result.goal.title.get(language)}: {result.status}"
        )
        for check in result.checks:
            print(f"    {check.check}: {check.summary}")
            if check.waiting_for:
                print(
                    f"      waiting for {check.waiting_for} (usually "
                    f"{check.typical_wait})"
                )
            if check.tip:
                print(f"      troubleshooting: {check.tip}")
            for line in check.evidence[:6]:
                print(f"      · {line}")


def verify_goals(args: argparse.Namespace) -> int:
    """Checks the goals once, or while pending with --watch."""
    if args.goal:
        from labguide.commands.options import load_catalog_for
        from labguide.engine.session import goals_named

        # Before the session opens: a mistyped goal changes nothing.
        goals_named(load_catalog_for(args), args.goal)
    with open_session(args, progress_printer(True)) as session:
        if args.watch:

            def on_round(results: Any) -> None:
                done = sum(1 for r in results if r.status == "passed")
                print(
                    f"{done}/{len(results)} goals passed", file=sys.stderr, flush=True
                )

            results = session.watch(args.timeout, args.goal, on_round)
        else:
            results = session.verify(args.goal)
        if args.json:
            print(json.dumps({"goals": [r.to_dict() for r in results]}, indent=2))
        else:
            _print_goals(results)
        statuses = {r.status for r in results}
        if "failed" in statuses:
            return EXIT_FAILED
        return EXIT_PENDING if "pending" in statuses else 0


def show_status(args: argparse.Namespace) -> int:
    """Each step's state, the goals as last checked, and the running cost."""
    from labguide.engine.costs import hourly_cost

    with open_session(args, None) as session:
        steps = [
            {
                "number": step.number,
                "id": step.id,
                "title": step.title.en,
                "status": session.step_status(step.id),
                "resources": session.state.steps[step.id].resources
                if step.id in session.state.steps
                else [],
            }
            for step in session.catalog.steps
        ]
        goals = [
            {"id": goal.id, **session.state.goals.get(goal.id, {"status": "unchecked"})}
            for goal in session.catalog.goals
        ]
        cost = hourly_cost(session.catalog, session.state)
        nxt = session.next_step()
        data = {
            "account": session.state.account,
            "region": session.state.region,
            "participant": session.state.participant,
            "steps": steps,
            "goals": goals,
            "hourly_cost_usd": round(cost, 4),
            "next_step": nxt.id if nxt else None,
        }
        if args.json:
            print(json.dumps(data, indent=2))
            return 0
        print(
            f"{data['account']} {data['region']} {data['participant'] or ''}".rstrip()
        )
        for step in steps:
            print(f"  {step['number']:>2}. {step['id']:<16} {step['status']}")
        for goal in goals:
            print(f"  goal {goal['id']:<20} {goal.get('status')}")
        print(f"  running cost estimate: ${cost:.3f}/h")
        if nxt is not None:
            print(f"Next: `labguide run {nxt.id}`")
        return 0


def tear_down(args: argparse.Namespace) -> int:
    """Lists what would be deleted; with --yes, deletes it."""
    with open_session(args, progress_printer(args.json)) as session:
        plan = session.teardown_plan()
        if not args.yes:
            if args.json:
                print(
                    json.dumps(
                        {"dry_run": True, "would_delete": [r.to_dict() for r in plan]},
                        indent=2,
                    )
                )
            else:
                print(f"Dry run: {len(plan)} resource(s) of the lab would be deleted:")
                for resource in plan:
                    print(
                        f"  {resource.kind:<20} {resource.name or '':<28} {resource.id}"
                    )
                print("Run again with --yes to delete them.")
            return 0
        announce_identity(session, f"Deleting {len(plan)} resource(s)")
        result = session.teardown()
        from labguide.engine.teardown import billable_left

        billable = billable_left(session.ctx)
        if args.json:
            print(
                json.dumps(
                    {
                        "deleted": [r.to_dict() for r in result.deleted],
                        "errors": result.errors,
                        "left": [r.to_dict() for r in result.left],
                        "billable_left": [r.to_dict() for r in billable],
                    },
                    indent=2,
                )
            )
        else:
            print(f"Deleted {len(result.deleted)} resource(s).")
            for error in result.errors:
                print(f"  could not delete: {error}")
            if billable:
                print("Still billing:")
                for resource in billable:
                    print(f"  {resource.kind} {resource.id}")
            else:
                print("Nothing of the lab is left billing.")
        return 0 if result.clean and not billable else EXIT_FAILED


def write_report(args: argparse.Namespace) -> int:
    """Writes the goals and their evidence."""
    from pathlib import Path

    from labguide.engine.report import html_report, json_report, markdown
    from labguide.errors import LabguideError

    output = Path(args.output) if args.output else None
    # Before the session opens: a report with nowhere to go changes nothing.
    if output is not None and not output.parent.is_dir():
        raise LabguideError(
            f"Cannot write the report to {output}: {output.parent} is not a folder."
        )
    with open_session(args, None) as session:
        results = session.verify()
        if args.format == "md":
            text = markdown(session.catalog, session.state, results, args.language)
        elif args.format == "html":
            text = html_report(session.catalog, session.state, results, args.language)
        else:
            text = json_report(session.catalog, session.state, results)
        if output is not None:
            try:
                output.write_text(text, encoding="utf-8")
            except OSError as error:
                raise LabguideError(
                    f"Cannot write the report to {output}: {error.strerror}."
                ) from None
            print(f"Report written to {output}", file=sys.stderr)
        else:
            print(text)
        return 0
