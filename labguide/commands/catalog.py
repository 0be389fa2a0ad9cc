"""`labguide catalog check [PATH]`: validate a catalog."""

from __future__ import annotations

import argparse
import json
import sys


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `catalog` commands."""
    parser = subparsers.add_parser("catalog", help="validate the step catalog")
    actions = parser.add_subparsers(dest="catalog_command", required=True)
    check = actions.add_parser("check", help="validate a catalog and list mistakes")
    check.add_argument(
        "path", nargs="?", help="catalog file (default: the bundled one)"
    )
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(handler=check_catalog)


def check_catalog(args: argparse.Namespace) -> int:
    """Validates a catalog: exit 0 when sound, 2 with every mistake listed."""
    # A check always validates: it never answers from the catalog cache.
    from labguide.catalog.loader import CatalogError, load_catalog

    try:
        catalog = load_catalog(args.path)
    except CatalogError as error:
        if args.json:
            print(
                json.dumps({"ok": False, "problems": [vars(p) for p in error.problems]})
            )
        else:
            for problem in error.problems:
                print(problem, file=sys.stderr)
            count = len(error.problems)
            print(f"{count} mistake{'s' if count != 1 else ''} found.", file=sys.stderr)
        return 2
    summary = {
        "ok": True,
        "steps": len(catalog.steps),
        "goals": len(catalog.goals),
        "checks": len(catalog.checks),
    }
    if args.json:
        print(json.dumps(summary))
    else:
        print(
            f"catalog is sound: {summary['steps']} steps, {summary['goals']} goals, "
            f"{summary['checks']} checks"
        )
    return 0
