"""The guide's longer texts as Markdown, built from the catalog and from the
engine's results: a step's explanation, its checks, a tip, a goal, help."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from labguide.catalog.models import Catalog, Goal, Language, Step, Tip
from labguide.tui.words import say

if TYPE_CHECKING:
    from labguide.engine.checks.result import CheckResult

CHECK_MARKS = {"passed": "✔", "pending": "…", "failed": "✘"}


def money(amount: float, currency: str) -> str:
    """An estimate as the learner reads it: `$0.065`, or `0.065 EUR`."""
    return f"${amount:.3f}" if currency == "USD" else f"{amount:.3f} {currency}"


def code(text: str) -> str:
    """`text` as an inline code span, whatever backticks it holds."""
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def step_page(step: Step, language: Language) -> str:
    """Why the step matters, its knowledge points and its console path."""
    lines = [step.why.get(language), ""]
    if step.knowledge:
        lines += [f"### {say('page.knowledge', language)}", ""]
        lines += [f"- {point.get(language)}" for point in step.knowledge]
        lines.append("")
    lines += [
        f"### {say('page.console', language)}",
        "",
        code(step.console_path.get(language)),
        "",
    ]
    if not step.article:
        lines += [f"*{say('page.not-in-article', language)}*", ""]
    return "\n".join(lines)


def checks_page(
    catalog: Catalog,
    step: Step,
    results: Mapping[str, CheckResult],
    language: Language,
    started: bool,
    recheck_seconds: float,
) -> str:
    """The step's checks with their evidence; a failure links to its tip."""
    titles = {check.id: check.title.get(language) for check in catalog.checks}
    tips = catalog.tips()
    lines: list[str] = []
    if not step.checks:
        return say("page.no-checks", language)
    if not started and not results:
        lines += [say("page.checks-later", language), ""]
    for check_id in step.checks:
        title = titles.get(check_id, check_id)
        result = results.get(check_id)
        if result is None:
            lines += [f"**· {title}**", ""]
            continue
        mark = CHECK_MARKS[result.status]
        lines += [f"**{mark} {title}**", "", result.text("summary", language), ""]
        if result.status == "pending" and result.waiting_for:
            lines += [
                say(
                    "page.waiting",
                    language,
                    what=result.text("waiting_for", language),
                    usually=result.text("typical_wait", language) or "?",
                    seconds=f"{recheck_seconds:g}",
                ),
                "",
            ]
        if result.status == "failed":
            if result.condition:
                lines += [
                    f"{say('page.condition', language)}: {code(result.condition)}"
                ]
                lines.append("")
            tip = tips.get(result.tip or "")
            if tip is not None:
                link = f"[{tip.symptom.get(language)}](tip:{tip.id})"
                lines += [f"{say('page.see-tip', language)}: {link}", ""]
        lines += [f"- {code(line)}" for line in result.evidence]
        lines.append("")
    return "\n".join(lines)


def tip_page(tip: Tip, language: Language, endpoint: str | None) -> str:
    """A tip: symptom, cause, what to run and where, what good looks like,
    the fix. `endpoint` is the sandbox's, for commands run with the AWS CLI."""
    lines = [
        f"#### {tip.symptom.get(language)}",
        "",
        f"**{say('page.cause', language)}**: {tip.cause.get(language)}",
        "",
    ]
    if tip.run:
        where = say(f"page.where-{tip.where}", language)
        lines += [f"**{say('page.run', language)}** ({where}):", "", "```sh"]
        lines += tip.run
        lines += ["```", ""]
        if tip.where == "workstation" and endpoint:
            lines += [say("page.sandbox-cli", language, endpoint=endpoint), ""]
    lines += [
        f"**{say('page.expect', language)}**: {tip.expect.get(language)}",
        "",
        f"**{say('page.fix', language)}**: {tip.fix.get(language)}",
    ]
    return "\n".join(lines)


def goal_page(
    catalog: Catalog,
    goal: Goal,
    status: str | None,
    results: Iterable[CheckResult],
    language: Language,
) -> str:
    """A goal: what passing it proves, and each of its checks as last run."""
    lines = [goal.explanation.get(language), ""]
    step = catalog.step(goal.step)
    lines += [say("page.goal-step", language, number=step.number), ""]
    if status is None:
        lines += [say("page.goal-unchecked", language), ""]
    titles = {check.id: check.title.get(language) for check in catalog.checks}
    tips = catalog.tips()
    for result in results:
        title = titles.get(result.check, result.check)
        mark = CHECK_MARKS[result.status]
        lines += [f"**{mark} {title}**", "", result.text("summary", language), ""]
        if result.waiting_for:
            lines += [
                say(
                    "page.waiting-short",
                    language,
                    what=result.text("waiting_for", language),
                    usually=result.text("typical_wait", language) or "?",
                ),
                "",
            ]
        tip = tips.get(result.tip or "")
        if tip is not None:
            lines += [f"{say('page.see-tip', language)}: {tip.symptom.get(language)}"]
            lines.append("")
        lines += [f"- {code(line)}" for line in result.evidence]
        lines.append("")
    return "\n".join(lines)


def keys_table(rows: Iterable[tuple[str, str]]) -> str:
    """Keys and what they do, one a line (a table's rules would take a line
    each at 80x24)."""
    return "\n".join(f"- {code(key)} {what}" for key, what in rows)
