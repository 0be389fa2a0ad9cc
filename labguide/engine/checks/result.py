"""What a check returns: passed, pending (and for what) or failed (and why)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["passed", "pending", "failed"]

Sentence = Literal["summary", "waiting_for", "typical_wait"]
"""The parts of a result written for the learner, in both languages."""


@dataclass(frozen=True)
class Words:
    """One sentence for the learner, in English and in Japanese.

    Attributes:
        en: the English sentence.
        ja: the same sentence in Japanese.
    """

    en: str
    ja: str

    def get(self, language: str) -> str:
        """The sentence in `language` (`ja` or `en`)."""
        return self.ja if language == "ja" else self.en


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check.

    Attributes:
        check: the check's id.
        status: passed, pending or failed.
        summary: one sentence for the learner.
        evidence: lines the learner can read (ids, states, a page excerpt).
        waiting_for: when pending, what it waits for.
        typical_wait: when pending, how long that usually takes.
        condition: when failed, the sub-condition that failed.
        tip: when failed, the troubleshooting tip that applies.
        summary_ja: `summary` in Japanese, when the check gave one.
        waiting_for_ja: `waiting_for` in Japanese, when the check gave one.
        typical_wait_ja: `typical_wait` in Japanese, when the check gave one.
    """

    check: str
    status: Status
    summary: str
    evidence: list[str] = field(default_factory=list)
    waiting_for: str | None = None
    typical_wait: str | None = None
    condition: str | None = None
    tip: str | None = None
    at: float = field(default_factory=time.time)
    summary_ja: str | None = None
    waiting_for_ja: str | None = None
    typical_wait_ja: str | None = None

    def words(self, sentence: Sentence) -> Words:
        """A sentence of the result in both languages. Its Japanese is the
        English one when the check gave none (results saved before checks
        spoke Japanese); both are empty when the result has no such sentence
        (say, `waiting_for` of a passed check)."""
        english = getattr(self, sentence) or ""
        return Words(english, getattr(self, f"{sentence}_ja") or english)

    def text(self, sentence: Sentence, language: str) -> str:
        """A sentence of the result in `language` (`ja` or `en`)."""
        return self.words(sentence).get(language)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CheckResult:
        """The inverse of `to_dict`; dicts saved before the Japanese sentences
        existed load with them absent."""
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _languages(sentence: str | Words) -> tuple[str, str | None]:
    """English and Japanese of a sentence; a bare str is English only."""
    if isinstance(sentence, Words):
        return sentence.en, sentence.ja
    return sentence, None


def passed(
    check: str, summary: str | Words, evidence: list[str] | None = None
) -> CheckResult:
    """A passing result."""
    en, ja = _languages(summary)
    return CheckResult(check, "passed", en, evidence or [], summary_ja=ja)


def pending(
    check: str,
    summary: str | Words,
    waiting_for: str | Words,
    typical_wait: str | Words,
    evidence: list[str] | None = None,
) -> CheckResult:
    """A result still waiting on AWS."""
    summary_en, summary_ja = _languages(summary)
    waiting_en, waiting_ja = _languages(waiting_for)
    wait_en, wait_ja = _languages(typical_wait)
    return CheckResult(
        check,
        "pending",
        summary_en,
        evidence or [],
        waiting_for=waiting_en,
        typical_wait=wait_en,
        summary_ja=summary_ja,
        waiting_for_ja=waiting_ja,
        typical_wait_ja=wait_ja,
    )


def failed(
    check: str,
    summary: str | Words,
    condition: str,
    tip: str | None = None,
    evidence: list[str] | None = None,
) -> CheckResult:
    """A failing result."""
    en, ja = _languages(summary)
    return CheckResult(
        check,
        "failed",
        en,
        evidence or [],
        condition=condition,
        tip=tip,
        summary_ja=ja,
    )


UNAVAILABLE = Words(
    "not available from this endpoint", "このエンドポイントでは使えない"
)
