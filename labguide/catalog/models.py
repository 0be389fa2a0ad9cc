"""Pydantic models of the lab catalog (`steps.yaml`).

The catalog is written by lab authors, so every field they write carries a
docstring: it is the reference for the YAML format.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints

Identifier = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*[a-z0-9]$", max_length=48)
]
"""A lower-case, dash-separated identifier such as `web-via-alb`."""

Language = Literal["ja", "en"]
LANGUAGES: tuple[Language, ...] = ("ja", "en")


class Strict(BaseModel):
    """Base for catalog models: unknown keys are mistakes, not extensions."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class Text(Strict):
    """A learner-facing text in every language the guide speaks."""

    ja: str = Field(min_length=1)
    """The Japanese text, true to the article."""
    en: str = Field(min_length=1)
    """The English text."""

    def get(self, language: Language) -> str:
        """Returns the text in `language`."""
        return self.ja if language == "ja" else self.en


class Costs(Strict):
    """Hourly and monthly price estimates used for the running cost figure."""

    currency: str = "USD"
    """The currency of every figure below."""
    load_balancer_hour: float = Field(ge=0)
    """An Application Load Balancer, per hour, before LCU charges."""
    instance_hour: dict[str, float]
    """An on-demand instance per hour, keyed by instance type."""
    public_ipv4_hour: float = Field(ge=0)
    """One public IPv4 address per hour (an ALB holds one per AZ)."""
    ebs_gb_month: float = Field(ge=0)
    """gp3 storage per GB-month, for volumes and snapshots."""
    alarm_month: float = Field(ge=0)
    """One standard-resolution CloudWatch alarm per month."""
    source: str
    """Where the figures come from and when they were taken."""


class TagKeys(Strict):
    """The tag keys labguide puts on everything it creates."""

    lab: str
    """Holds the lab's id: marks a resource as this lab's."""
    participant: str
    """Holds the participant's name (empty for a single learner)."""
    step: str
    """Holds the id of the step that created the resource."""


class Lab(Strict):
    """The lab itself: names, region, guardrails and tags."""

    id: Identifier
    """The lab's id, written into the lab tag of every resource."""
    title: Text
    """The lab's title."""
    source: str
    """Where the lab comes from (the article it follows)."""
    name_prefix: Identifier
    """Every resource name starts with it; a participant's name follows it."""
    default_region: str
    """The region used when none is given."""
    allowed_regions: list[str] = Field(min_length=1)
    """Regions the lab may run in (a guardrail for workshops)."""
    allowed_instance_types: list[str] = Field(min_length=1)
    """Instance types the lab may launch."""
    max_group_size: int = Field(ge=1, le=20)
    """The largest Auto Scaling group any participant may create."""
    participant_pattern: str
    """A regular expression a participant's name must match."""
    tag_keys: TagKeys
    """The tag keys that mark the lab's resources."""
    tags: dict[str, str] = Field(default_factory=dict)
    """Extra tags every resource carries, as written."""
    costs: Costs
    """Price estimates for the running cost shown to the learner."""


class Tip(Strict):
    """A troubleshooting tip: what you see, why, what to run, what is good."""

    id: Identifier
    """The tip's id; checks and drills point to it."""
    symptom: Text
    """What the learner notices."""
    cause: Text
    """The likely cause."""
    run: list[str] = Field(default_factory=list)
    """Commands that diagnose it."""
    where: Literal["instance", "workstation", "console"] = "instance"
    """Where the commands run: on an instance (through Run Command), on the
    learner's workstation (AWS CLI), or as console clicks."""
    expect: Text
    """What good output looks like."""
    fix: Text
    """How to fix it."""


class Step(Strict):
    """One step of the lab, in the article's order."""

    id: Identifier
    """The step's id, used on the command line (`labguide run alb`)."""
    number: int = Field(ge=1)
    """The article's step number (the cleanup step comes last)."""
    title: Text
    """The step's title."""
    why: Text
    """Why the step matters, in a few sentences."""
    knowledge: list[Text] = Field(default_factory=list)
    """The article's knowledge points (知識ポイント) and related notes."""
    console_path: Text
    """Where the step lives in the AWS console, as the article shows it."""
    action: Identifier
    """The registered action that performs the step."""
    parameters: dict[str, Any] = Field(default_factory=dict)
    """Every value the step uses; checked against the action's own model."""
    checks: list[Identifier] = Field(default_factory=list)
    """The checks that prove the step worked."""
    depends_on: list[Identifier] = Field(default_factory=list)
    """Steps that must be done first."""
    troubleshooting: list[Tip] = Field(default_factory=list)
    """Troubleshooting tips for this step."""
    article: bool = True
    """False for a step labguide adds that the article lacks."""


class CheckInfo(Strict):
    """A check, as the learner sees it named."""

    id: Identifier
    """The check's id: one of the checks labguide implements."""
    title: Text
    """What the check verifies, in a few words."""


class Goal(Strict):
    """One of the article's seven goals (its final checklist)."""

    id: Identifier
    """The goal's id."""
    title: Text
    """The goal as the article's checklist words it."""
    explanation: Text
    """What passing it proves, and how it is checked."""
    checks: list[Identifier] = Field(min_length=1)
    """The checks that must all pass for the goal to pass."""
    step: Identifier
    """The step whose work this goal mainly verifies."""


class Catalog(Strict):
    """The whole catalog: the lab, its goals and its steps."""

    version: Literal[1]
    """The catalog format version."""
    lab: Lab
    """The lab itself."""
    checks: list[CheckInfo] = Field(min_length=1)
    """The checks goals and steps refer to, with their titles."""
    goals: list[Goal] = Field(min_length=1)
    """The article's goals."""
    steps: list[Step] = Field(min_length=1)
    """The steps, in order."""
    _userdata: Path | None = PrivateAttr(default=None)

    @property
    def userdata_folder(self) -> Path | None:
        """The folder the loader found its user data files in (beside the
        catalog, or the bundled one); None if it was built another way."""
        return self._userdata

    def step(self, key: str | int) -> Step:
        """Finds a step by id or by number.

        Raises:
            KeyError: no step has that id or number.
        """
        for step in self.steps:
            if step.id == key or str(step.number) == str(key):
                return step
        raise KeyError(key)

    def goal(self, goal_id: str) -> Goal:
        """Finds a goal by id.

        Raises:
            KeyError: no goal has that id.
        """
        for goal in self.goals:
            if goal.id == goal_id:
                return goal
        raise KeyError(goal_id)

    def step_for_action(self, action: str) -> Step:
        """The step performed by `action`.

        Raises:
            KeyError: no step uses that action.
        """
        for step in self.steps:
            if step.action == action:
                return step
        raise KeyError(action)

    def tips(self) -> dict[str, Tip]:
        """Every troubleshooting tip by id."""
        return {tip.id: tip for step in self.steps for tip in step.troubleshooting}
