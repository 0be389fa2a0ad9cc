"""The guide itself: `labguide` with no command opens it in the terminal, and
`labguide web` serves it to browsers (for workshops short of good terminals).
"""

from __future__ import annotations

import argparse
import shlex
import sys

from labguide.errors import LabguideError


def add_guide_options(parser: argparse.ArgumentParser) -> None:
    """Adds the guide's starting choices; the start screen can change them."""
    start = parser.add_argument_group("the guide (when no command is given)")
    start.add_argument(
        "--aws",
        action="store_true",
        help="offer your AWS account first instead of the built-in sandbox",
    )
    start.add_argument("--profile", help="AWS profile to offer first")
    start.add_argument("--region", help="region (default: the lab's)")
    start.add_argument(
        "--participant",
        help="your name in a workshop: it goes into every resource name",
    )
    start.add_argument("--email", help="address the alarm notifies (step 9)")
    start.add_argument(
        "--language",
        choices=("ja", "en"),
        help="the guide's language (default: from the locale)",
    )
    start.add_argument("--catalog", help="a catalog other than the bundled steps.yaml")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds `labguide web`."""
    web = subparsers.add_parser(
        "web", help="serve the guide in a browser (each visitor gets their own)"
    )
    web.add_argument("--host", default="localhost", help="address to listen on")
    web.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    web.add_argument(
        "--public-url", help="the URL browsers reach the server at, behind a proxy"
    )
    add_guide_options(web)
    web.set_defaults(handler=serve_web)


def guide_arguments(args: argparse.Namespace) -> list[str]:
    """The guide's options as given, to start the same guide elsewhere."""
    arguments: list[str] = []
    if getattr(args, "aws", False):
        arguments.append("--aws")
    for name in ("profile", "region", "participant", "email", "language", "catalog"):
        value = getattr(args, name, None)
        if value:
            arguments += [f"--{name}", str(value)]
    return arguments


def open_guide(args: argparse.Namespace) -> int:
    """Runs the guide in this terminal until the learner quits."""
    from labguide.commands.options import load_catalog_for
    from labguide.tui import GuideApp, GuideSettings
    from labguide.tui.settings import default_language

    catalog = load_catalog_for(args)
    region = getattr(args, "region", None)
    if region and region not in catalog.lab.allowed_regions:
        raise LabguideError(
            f"The region {region!r} is not one this lab allows.",
            "Use one of: " + ", ".join(catalog.lab.allowed_regions) + ".",
        )
    settings = GuideSettings(
        language=getattr(args, "language", None) or default_language(),
        where="aws" if getattr(args, "aws", False) else "sandbox",
        profile=getattr(args, "profile", None),
        region=region,
        participant=getattr(args, "participant", None),
        email=getattr(args, "email", None),
    )
    # The log already goes to its file (labguide.cli): the terminal is the
    # guide's.
    app = GuideApp(catalog, settings)
    app.run()
    return app.return_code or 0


def serve_web(args: argparse.Namespace) -> int:
    """Serves the guide over HTTP until interrupted."""
    from textual_serve.server import Server

    command = shlex.join([sys.executable, "-m", "labguide", *guide_arguments(args)])
    server = Server(
        command,
        host=args.host,
        port=args.port,
        title="labguide",
        public_url=args.public_url,
    )
    server.serve()
    return 0
