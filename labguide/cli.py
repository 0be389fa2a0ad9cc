"""The `labguide` command: the guide by default, plus headless subcommands."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from labguide import __version__

# Each module registers its own subcommands; see labguide/commands/__init__.py.
COMMAND_MODULES = ("lab", "catalog", "userdata", "sandbox", "tui", "workshop")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="labguide",
        description=(
            "A guide through the ALB + ASG + SSM + CloudWatch + Backup hands-on "
            "lab. Runs in a local sandbox unless --aws is given."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"labguide {__version__}"
    )
    from labguide.commands.tui import add_guide_options

    add_guide_options(parser)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"labguide.commands.{name}")
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs labguide; returns the exit code."""
    from labguide.errors import LabguideError

    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None and args.command is None:
        from labguide.commands.tui import open_guide

        handler = open_guide
    if handler is None:
        parser.print_help()
        return 0
    import logging

    from labguide.logfile import setup_logging

    log_file = setup_logging()
    log = logging.getLogger("labguide.cli")
    log.info("labguide %s: %s", __version__, args.command)
    try:
        return int(handler(args))
    except LabguideError as error:
        log.info("refused: %s", error)
        print(f"labguide: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("labguide: interrupted.", file=sys.stderr)
        return 130
    except Exception as error:  # a defect: one line here, the traceback in the log
        log.exception("unexpected error")
        where = f" (details in {log_file})" if log_file else ""
        print(f"labguide: unexpected error: {error!r}{where}", file=sys.stderr)
        return 1


def run() -> None:
    """Console entry point."""
    sys.exit(main())


if __name__ == "__main__":
    run()
