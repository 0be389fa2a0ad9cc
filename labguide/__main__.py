"""`python -m labguide`."""

from labguide.cli import run

run()
