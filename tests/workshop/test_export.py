"""The class's reports, exported at once: a folder with one report per
participant (the same as `labguide report` writes for them) and an index."""

from __future__ import annotations

import json
from pathlib import Path

from labguide.engine.classroom import ClassView
from labguide.engine.context import SOLO

from .conftest import Workshop


def test_export_writes_every_participants_report(
    workshop: Workshop, view: ClassView, tmp_path: Path
) -> None:
    report = view.refresh()
    written = view.export(report, tmp_path / "md", "md")
    assert written[0].name == "index.md"
    assert {p.stem for p in written[1:]} == {p.tag for p in report.participants}

    progress = report.participant("p14")
    text = (tmp_path / "md" / "p14.md").read_text()
    assert "- Participant: p14" in text
    for goal in progress.goals:
        assert goal.goal.title.en in text
        for check in goal.checks:
            for line in check.evidence:
                assert f"`{line}`" in text
    assert "(passed 20" in text
    solo = (tmp_path / "md" / f"{SOLO}.md").read_text()
    assert "- Participant: single learner" in solo
    index = written[0].read_text()
    assert "[p14](p14.md)" in index


def test_export_as_json_keeps_each_goals_evidence_and_time(
    view: ClassView, tmp_path: Path
) -> None:
    report = view.refresh()
    view.export(report, tmp_path, "json")
    data = json.loads((tmp_path / "p15.json").read_text())
    assert data["participant"] == "p15"
    goals = {g["id"]: g for g in data["goals"]}
    web = goals["web-via-alb"]
    assert web["status"] == "passed"
    assert web["evidence"] and web["passed_at"] is not None
    assert web["passed_at_text"].endswith("UTC")
    index = json.loads((tmp_path / "index.json").read_text())
    assert len(index["participants"]) == len(report.participants)
