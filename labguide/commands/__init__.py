"""Command-line subcommands, one module per area.

Each module has `register(subparsers)`, which adds its commands and sets
`handler` on each; handlers import what they need lazily so that
`labguide --help` stays fast.
"""
