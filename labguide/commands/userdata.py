"""`labguide userdata lint FILE` and `labguide userdata render`."""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labguide.catalog import Catalog


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds the `userdata` commands."""
    parser = subparsers.add_parser(
        "userdata", help="lint or render the launch template's user data"
    )
    actions = parser.add_subparsers(dest="userdata_command", required=True)

    lint = actions.add_parser(
        "lint",
        help="find the mistakes that stop a user data script at boot",
        description=(
            "Lints a user data script: the #! line, CRLF, a byte-order mark, "
            "the 16 KB limit, heredocs, placeholders and the CloudWatch agent's "
            "log group names. Exits 0 when clean, 2 with the findings."
        ),
    )
    lint.add_argument("file", help="the script to lint")
    _common_options(lint)
    lint.add_argument("--json", action="store_true", help="machine-readable output")
    lint.set_defaults(handler=lint_userdata)

    render = actions.add_parser(
        "render", help="print the user data the launch template carries"
    )
    _common_options(render)
    render.add_argument(
        "--base64",
        action="store_true",
        help="print it base64-encoded, as CreateLaunchTemplate takes it",
    )
    render.set_defaults(handler=render_userdata)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--participant",
        metavar="NAME",
        help="the workshop participant whose lab it is (scopes the names)",
    )
    parser.add_argument(
        "--catalog",
        metavar="PATH",
        help="the catalog to take names from (default: the bundled one)",
    )


def lint_userdata(args: argparse.Namespace) -> int:
    """Lints a script: exit 0 when clean, 2 with every finding listed."""
    from labguide.errors import LabguideError
    from labguide.userdata import lint

    catalog = _catalog(args.catalog)
    _check_participant(catalog, args.participant)
    try:
        with open(args.file, "rb") as file:
            data = file.read()
    except FileNotFoundError:
        raise LabguideError(f"{args.file}: no such file.") from None
    except IsADirectoryError:
        raise LabguideError(
            f"{args.file} is a directory.", "Give the path of a user data script."
        ) from None
    except OSError as error:
        raise LabguideError(f"cannot read {args.file}: {error.strerror}.") from None

    findings = lint(data, catalog, args.participant)
    if args.json:
        print(
            json.dumps(
                {
                    "file": args.file,
                    "ok": not findings,
                    "findings": [finding.as_dict() for finding in findings],
                },
                ensure_ascii=False,
            )
        )
    else:
        for finding in findings:
            print(f"{args.file}:{finding}")
        if findings:
            count = len(findings)
            print(f"{count} finding{'s' if count != 1 else ''}.", file=sys.stderr)
        else:
            print(f"{args.file}: no findings.")
    return 2 if findings else 0


def render_userdata(args: argparse.Namespace) -> int:
    """Prints the rendered user data script."""
    from labguide.errors import LabguideError
    from labguide.userdata import UserDataError, encode, render

    catalog = _catalog(args.catalog)
    _check_participant(catalog, args.participant)
    try:
        script = render(catalog, args.participant)
    except UserDataError as error:
        raise LabguideError(str(error)) from None
    if args.base64:
        print(encode(script))
    else:
        sys.stdout.write(script)
    return 0


def _catalog(path: str | None) -> Catalog:
    from labguide.catalog import CatalogError, load_catalog
    from labguide.errors import LabguideError

    try:
        return load_catalog(path)
    except CatalogError as error:
        first = error.problems[0]
        more = len(error.problems) - 1
        tail = f" (and {more} more)" if more else ""
        raise LabguideError(
            f"the catalog has mistakes: {first}{tail}.",
            "Run labguide catalog check to see them all.",
        ) from None


def _check_participant(catalog: Catalog, participant: str | None) -> None:
    from labguide.errors import LabguideError

    if participant is None:
        return
    pattern = catalog.lab.participant_pattern
    if not re.fullmatch(pattern, participant):
        raise LabguideError(
            f"{participant!r} is not a valid participant name.",
            f"Use lower-case letters, digits and dashes (it must match {pattern}).",
        )
