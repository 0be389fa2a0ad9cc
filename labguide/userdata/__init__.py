"""The launch template's user data: render it from the catalog, and lint it."""

from labguide.userdata.render import encode, render, template_values

__all__ = ["encode", "render", "template_values"]
