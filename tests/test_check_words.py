"""Check results speak both languages: built through the real constructors,
read back in each language, saved and loaded; and no check is left saying
a bare English sentence."""

from __future__ import annotations

import ast
from pathlib import Path

from labguide.engine.checks.result import CheckResult, Words, failed, passed, pending

ENGINE = Path(__file__).resolve().parent.parent / "labguide" / "engine"

SENTENCES = {
    "passed": {1: "summary"},
    "pending": {1: "summary", 2: "waiting_for", 3: "typical_wait"},
    "failed": {1: "summary"},
}
"""For each constructor, the positions of its sentence arguments."""


def test_a_result_speaks_the_language_asked_for() -> None:
    result = pending(
        "alb-serves-page",
        Words("the ALB is provisioning", "ALB を準備中（provisioning）"),
        Words("the ALB to become active", "ALB が active になること"),
        Words("2-4 minutes", "2〜4 分"),
        ["ops-case-alb-1.elb.amazonaws.com"],
    )

    assert result.summary == "the ALB is provisioning"
    assert result.waiting_for == "the ALB to become active"
    assert result.typical_wait == "2-4 minutes"
    assert result.text("summary", "ja") == "ALB を準備中（provisioning）"
    assert result.text("waiting_for", "ja") == "ALB が active になること"
    assert result.text("typical_wait", "ja") == "2〜4 分"
    assert result.text("typical_wait", "en") == "2-4 minutes"
    assert result.words("summary") == Words(
        "the ALB is provisioning", "ALB を準備中（provisioning）"
    )


def test_a_bare_sentence_is_english_in_both_languages() -> None:
    result = failed("network-ready", "VPC ops-case-vpc not found", "vpc-missing")

    assert result.summary_ja is None
    assert result.text("summary", "ja") == "VPC ops-case-vpc not found"
    assert result.text("summary", "en") == "VPC ops-case-vpc not found"


def test_a_sentence_the_result_lacks_is_empty() -> None:
    result = passed("targets-healthy", Words("2 healthy targets", "healthy が 2 台"))

    assert result.text("waiting_for", "ja") == ""
    assert result.text("typical_wait", "en") == ""


def test_both_languages_survive_saving_and_loading() -> None:
    result = pending(
        "cloudtrail-history",
        Words("2 of 3 events in history", "イベント 3 件中 2 件が履歴にある"),
        Words("CloudTrail to deliver the events", "CloudTrail によるイベントの配信"),
        Words("about 5 minutes (up to 15)", "約 5 分（最大 15 分）"),
    )

    loaded = CheckResult.from_dict(result.to_dict())

    assert loaded == result
    assert loaded.text("waiting_for", "ja") == "CloudTrail によるイベントの配信"


def test_a_result_saved_before_japanese_still_loads_in_english() -> None:
    saved = {
        "check": "alarm-subscription-confirmed",
        "status": "pending",
        "summary": "the email subscription waits for confirmation",
        "evidence": ["learner@example.com: pending confirmation"],
        "waiting_for": "you to click 'Confirm subscription' in the email from AWS",
        "typical_wait": "the link is valid for 3 days",
        "condition": None,
        "tip": None,
        "at": 1700000000.0,
    }

    loaded = CheckResult.from_dict(saved)

    assert loaded.summary_ja is None
    assert loaded.text("summary", "ja") == saved["summary"]
    assert loaded.text("typical_wait", "ja") == "the link is valid for 3 days"


def _bound(function: ast.AST) -> dict[str, list[ast.expr]]:
    """What each plain name is assigned in a function."""
    values: dict[str, list[ast.expr]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values.setdefault(target.id, []).append(node.value)
    return values


def _is_words(node: ast.expr, bound: dict[str, list[ast.expr]]) -> bool:
    """Whether an argument is a `Words(...)`, a name bound only to such, or a
    parameter annotated `Words`."""
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == "Words"
    if isinstance(node, ast.IfExp):
        return _is_words(node.body, bound) and _is_words(node.orelse, bound)
    if isinstance(node, ast.Name):
        values = bound.get(node.id, [])
        return bool(values) and all(_is_words(v, bound) for v in values)
    return False


def english_only_sentences(source: str) -> list[tuple[int, str]]:
    """Each sentence argument of `passed`, `pending` or `failed` in a module's
    source that is not built from `Words`, as (line, argument)."""
    tree = ast.parse(source)
    found = []
    functions = [
        node
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    for function in functions:
        bound = _bound(function)
        for node in ast.walk(function):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in SENTENCES
            ):
                continue
            positions = SENTENCES[node.func.id]
            arguments = {
                name: node.args[i]
                for i, name in positions.items()
                if i < len(node.args)
            }
            arguments |= {
                k.arg: k.value
                for k in node.keywords
                if k.arg is not None and k.arg in positions.values()
            }
            for name, value in arguments.items():
                if not _is_words(value, bound):
                    found.append((node.lineno, name))
    return sorted(found)


def test_no_check_says_a_bare_english_sentence() -> None:
    modules = sorted(ENGINE.rglob("*.py"))
    assert ENGINE / "checks" / "goals.py" in modules

    found = [
        f"{path.relative_to(ENGINE.parent)}:{line} {argument}"
        for path in modules
        for line, argument in english_only_sentences(path.read_text())
    ]

    assert found == []


def test_the_sentence_finder_catches_bare_strings() -> None:
    source = (
        "def check(ctx):\n"
        "    summary = f'{ctx} healthy'\n"
        "    if ctx:\n"
        "        return passed('c', summary)\n"
        "    words = Words('a', 'あ')\n"
        "    return pending('c', words, 'the job', typical_wait=Words('1', '1'))\n"
        "def other(ctx):\n"
        "    return failed('c', 'gone' + ctx, 'missing')\n"
    )

    assert english_only_sentences(source) == [
        (4, "summary"),
        (6, "waiting_for"),
        (8, "summary"),
    ]
