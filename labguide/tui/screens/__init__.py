"""The guide's screens."""

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
