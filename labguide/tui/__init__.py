"""The guide in the terminal (Textual): screens ask the engine, in thread
workers, and show what it reports. Nothing here talks to AWS directly."""

from labguide.tui.app import GuideApp
from labguide.tui.engine import Engine, EngineFactory, LiveEngine
from labguide.tui.settings import GuideSettings

__all__ = ["Engine", "EngineFactory", "GuideApp", "GuideSettings", "LiveEngine"]
