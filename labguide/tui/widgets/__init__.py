"""The guide's own widgets."""

from labguide.tui.widgets._goals import GOAL_MARKS, GoalList, GoalView
from labguide.tui.widgets._steps import STEP_MARKS, StepList
from labguide.tui.widgets._tips import TipView

__all__ = ["GOAL_MARKS", "STEP_MARKS", "GoalList", "GoalView", "StepList", "TipView"]
