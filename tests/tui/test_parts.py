"""The guide's parts without a screen: its words, the pages it builds, the
command line around it, and the rule that it never talks to AWS itself."""

from __future__ import annotations

import argparse
import re
import string
from pathlib import Path

import pytest

from labguide.catalog.models import Catalog
from labguide.commands.tui import guide_arguments
from labguide.engine.checks.result import failed, pending
from labguide.tui.pages import checks_page, money, tip_page
from labguide.tui.screens import LabScreen, StartScreen, TeardownScreen
from labguide.tui.screens.help import key_label
from labguide.tui.screens.lab import TABS, flatten
from labguide.tui.settings import default_language
from labguide.tui.words import WORDS, say

TUI = Path(__file__).resolve().parents[2] / "labguide" / "tui"


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_word_is_said_in_both_languages_with_the_same_blanks() -> None:
    for key, (english, japanese) in WORDS.items():
        assert english.strip() and japanese.strip(), key
        assert fields(english) == fields(japanese), key


def test_every_word_the_guide_asks_for_exists() -> None:
    asked: set[str] = set()
    for path in TUI.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        asked |= set(re.findall(r"""say\(\s*["']([a-z][\w.-]+)["']""", source))
    for screen in (LabScreen, StartScreen, TeardownScreen):
        for binding in screen.BINDINGS:
            asked |= {f"key.{binding.id}", f"help.{binding.id}"}  # type: ignore[union-attr]
    asked |= {f"tab.{tab}" for tab in TABS}
    asked |= {
        f"status.{s}" for s in ("not-started", "running", "done", "failed", "drifted")
    }
    asked |= {f"guide.working-{how}" for how in ("one", "all", "by-hand")}
    asked |= {f"page.where-{where}" for where in ("instance", "workstation", "console")}
    for widget in ("where", "place", "identity", "participant", "email", "language"):
        asked.add(f"start.{widget}-label")
    missing = sorted(key for key in asked if key not in WORDS)
    assert not missing, missing


def test_a_missing_word_shows_as_its_key() -> None:
    assert say("no.such.word", "ja") == "no.such.word"


@pytest.mark.parametrize(
    ("environment", "language"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "C", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
    ],
)
def test_the_language_defaults_from_the_locale(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], language: str
) -> None:
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert default_language() == language


def test_parameters_flatten_into_rows() -> None:
    rows = flatten({"name": "x", "subnets": [{"cidr": "a"}, {"cidr": "b"}], "k": None})
    assert rows == [
        ("name", "x"),
        ("subnets[0].cidr", "a"),
        ("subnets[1].cidr", "b"),
        ("k", "—"),
    ]
    assert flatten({"policies": ["A", "B"]}) == [("policies", "A, B")]


def test_keys_are_written_for_people() -> None:
    assert key_label("question_mark,f1") == "? / F1"
    assert key_label("ctrl+s") == "Ctrl+S"
    assert key_label("T") == "Shift+T"
    assert money(0.0651, "USD") == "$0.065"
    assert money(0.0651, "EUR") == "0.065 EUR"


def test_a_failing_check_links_to_its_tip_and_a_pending_one_says_what_it_awaits(
    catalog: Catalog,
) -> None:
    step = catalog.step("asg")
    results = {
        "targets-healthy": failed(
            "targets-healthy", "1 of 2 unhealthy", "unhealthy", tip="nginx-stopped"
        ),
        "auto-scaling-group-ready": pending(
            "auto-scaling-group-ready", "launching", "two instances", "a minute"
        ),
    }
    page = checks_page(catalog, step, results, "en", True, 3.0)
    assert "(tip:nginx-stopped)" in page
    assert "Waiting for two instances (usually a minute); re-checked every 3 s." in page


def test_a_workstation_tip_points_the_cli_at_the_sandbox(catalog: Catalog) -> None:
    tip = catalog.tips()["subnet-no-public-ip"]
    page = tip_page(tip, "en", "http://127.0.0.1:4566")
    assert "--endpoint-url http://127.0.0.1:4566" in page
    assert tip.run[0] in page


def test_labguide_web_starts_the_same_guide_for_each_visitor() -> None:
    args = argparse.Namespace(
        aws=True,
        profile="workshop",
        region="us-west-2",
        participant=None,
        email=None,
        language="ja",
        catalog=None,
    )
    assert guide_arguments(args) == [
        "--aws",
        "--profile",
        "workshop",
        "--region",
        "us-west-2",
        "--language",
        "ja",
    ]


def test_the_guide_never_imports_boto3_or_botocore() -> None:
    for path in TUI.rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not re.search(r"^\s*(import|from)\s+(boto3|botocore)", source, re.M), (
            path
        )
