"""What the guide starts with: the language, where the lab runs, who learns."""

from __future__ import annotations

import locale
import os
from dataclasses import dataclass, field
from typing import Literal

from labguide.catalog.models import Language

Where = Literal["sandbox", "aws"]
"""The built-in sandbox, or an AWS account."""

LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
"""Where a POSIX system names the language of messages, strongest first."""


def default_language() -> Language:
    """Japanese when the locale is Japanese, English otherwise."""
    for name in LOCALE_VARIABLES:
        value = os.environ.get(name)
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    try:
        current = locale.getlocale()[0] or ""
    except ValueError:
        current = ""
    return "ja" if current.lower().startswith("ja") else "en"


@dataclass
class GuideSettings:
    """The guide's starting choices, from the command line.

    Everything here can still be changed on the start screen.
    """

    language: Language = field(default_factory=default_language)
    """The language of the guide and of the lab's texts."""
    where: Where = "sandbox"
    """Where the lab runs, as first offered."""
    profile: str | None = None
    """The AWS profile first offered (AWS only)."""
    region: str | None = None
    """The region first offered; None means the lab's default."""
    participant: str | None = None
    """The participant name first offered (empty for a single learner)."""
    email: str | None = None
    """The address the alarm notifies (step 9)."""
    recheck_seconds: float = 3.0
    """How often checks still pending re-run by themselves."""
