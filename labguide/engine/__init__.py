"""The engine: performs steps, checks goals, keeps state, tears down."""

from labguide.engine.events import Event, Reporter
from labguide.engine.session import GoalResult, LabSession, RunResult

__all__ = ["Event", "GoalResult", "LabSession", "Reporter", "RunResult"]
