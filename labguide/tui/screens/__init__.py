"""The guide's screens.

Each is imported when first asked for (PEP 562): importing the start screen
does not load the lab screen, the dialogs and the widgets they bring, so the
guide's first screen shows about as fast as a bare Textual app's.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labguide.tui.screens.dialogs import (
        ConfirmScreen,
        ErrorScreen,
        GoalScreen,
        InstanceScreen,
        SessionManagerScreen,
    )
    from labguide.tui.screens.help import HelpScreen
    from labguide.tui.screens.lab import LabScreen
    from labguide.tui.screens.start import StartScreen
    from labguide.tui.screens.teardown import TeardownScreen

_MODULES = {
    "ConfirmScreen": "dialogs",
    "ErrorScreen": "dialogs",
    "GoalScreen": "dialogs",
    "HelpScreen": "help",
    "InstanceScreen": "dialogs",
    "LabScreen": "lab",
    "SessionManagerScreen": "dialogs",
    "StartScreen": "start",
    "TeardownScreen": "teardown",
}

__all__ = [
    "ConfirmScreen",
    "ErrorScreen",
    "GoalScreen",
    "HelpScreen",
    "InstanceScreen",
    "LabScreen",
    "SessionManagerScreen",
    "StartScreen",
    "TeardownScreen",
]


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
