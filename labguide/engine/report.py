"""A participant's progress: each goal with its evidence and when it passed,
as Markdown, HTML or JSON."""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

from labguide.catalog.models import Catalog, Language
from labguide.engine.session import GoalResult
from labguide.engine.state import SessionState

MARKS = {"passed": "✅", "pending": "⏳", "failed": "❌"}

WAITING = {
    "en": "waiting for {what} ({usually})",
    "ja": "{what} を待っている（通常 {usually}）",
}
"""How a pending check's wait reads in each language."""


def _when(stamp: float | None) -> str:
    if stamp is None:
        return ""
    moment = dt.datetime.fromtimestamp(stamp, tz=dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def report_data(
    catalog: Catalog, state: SessionState, results: list[GoalResult]
) -> dict[str, Any]:
    """The report as plain data."""
    return {
        "lab": catalog.lab.id,
        "account": state.account,
        "region": state.region,
        "participant": state.participant,
        "generated_at": _when(dt.datetime.now(dt.UTC).timestamp()),
        "steps": {step: vars(known)["status"] for step, known in state.steps.items()},
        "goals": [
            r.to_dict() | {"passed_at_text": _when(r.passed_at)} for r in results
        ],
        "passed": sum(1 for r in results if r.status == "passed"),
        "total": len(results),
    }


def markdown(
    catalog: Catalog,
    state: SessionState,
    results: list[GoalResult],
    language: Language = "en",
) -> str:
    """The report as Markdown."""
    data = report_data(catalog, state, results)
    who = state.participant or "single learner"
    lines = [
        f"# {catalog.lab.title.get(language)}",
        "",
        f"- Participant: {who}",
        f"- Account: {state.account}, region {state.region}",
        f"- Goals passed: {data['passed']} of {data['total']}",
        f"- Generated: {data['generated_at']}",
        "",
    ]
    for result in results:
        mark = MARKS[result.status]
        when = f" (passed {_when(result.passed_at)})" if result.passed_at else ""
        lines.append(f"## {mark} {result.goal.title.get(language)}{when}")
        lines.append("")
        for check in result.checks:
            summary = check.text("summary", language)
            lines.append(f"- **{check.check}**: {check.status}: {summary}")
            if check.waiting_for:
                waiting = WAITING[language].format(
                    what=check.text("waiting_for", language),
                    usually=check.text("typical_wait", language),
                )
                lines.append(f"  - {waiting}")
            if check.tip:
                lines.append(f"  - see troubleshooting tip `{check.tip}`")
            for line in check.evidence:
                lines.append(f"  - `{line}`")
        lines.append("")
    return "\n".join(lines)


def html_report(
    catalog: Catalog,
    state: SessionState,
    results: list[GoalResult],
    language: Language = "en",
) -> str:
    """The report as a small standalone HTML page."""
    data = report_data(catalog, state, results)
    esc = html.escape
    parts = [
        "<!doctype html>",
        f'<html lang="{language}"><head><meta charset="utf-8">',
        f"<title>{esc(catalog.lab.title.get(language))}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "code{background:#eee;padding:0 .2em}.passed{color:#070}"
        ".pending{color:#a60}.failed{color:#b00}</style></head><body>",
        f"<h1>{esc(catalog.lab.title.get(language))}</h1>",
        f"<p>Participant: {esc(state.participant or 'single learner')} · "
        f"account {esc(state.account)} · {esc(state.region)} · "
        f"{data['passed']}/{data['total']} goals passed · "
        f"{esc(data['generated_at'])}</p>",
    ]
    for result in results:
        when = f" (passed {_when(result.passed_at)})" if result.passed_at else ""
        parts.append(
            f'<h2 class="{result.status}">{MARKS[result.status]} '
            f"{esc(result.goal.title.get(language))}{esc(when)}</h2><ul>"
        )
        for check in result.checks:
            parts.append(
                f"<li><b>{esc(check.check)}</b>: {esc(check.status)}: "
                f"{esc(check.text('summary', language))}<ul>"
            )
            parts += [f"<li><code>{esc(line)}</code></li>" for line in check.evidence]
            parts.append("</ul></li>")
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)


def json_report(
    catalog: Catalog, state: SessionState, results: list[GoalResult]
) -> str:
    """The report as JSON."""
    return json.dumps(
        report_data(catalog, state, results), indent=2, ensure_ascii=False
    )
