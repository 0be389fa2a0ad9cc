"""The launch template's user data: render it from the catalog, and lint it."""

from labguide.userdata.lint import MAX_BYTES, Finding, lint
from labguide.userdata.render import UserDataError, encode, render, template_values

__all__ = [
    "MAX_BYTES",
    "Finding",
    "UserDataError",
    "encode",
    "lint",
    "render",
    "template_values",
]
