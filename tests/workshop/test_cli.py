"""`labguide class` from the command line, as an instructor runs it: against
the sandbox's endpoint with `--aws` and AWS's own variables, in another
process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from labguide.cli import main
from labguide.engine.classroom import ClassView
from labguide.sandbox import ACCESS_KEY_ID, SECRET_ACCESS_KEY

from .conftest import ELSEWHERE, OTHER_REGION, REGION, Workshop

ACCOUNT = "123456789012"


def labguide(
    workshop: Workshop, tmp_path: Path, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        AWS_ENDPOINT_URL=workshop.sandbox.endpoint_url,
        AWS_ACCESS_KEY_ID=ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        LABGUIDE_HOME=str(tmp_path / "home"),
    )
    env.pop("AWS_PROFILE", None)
    return subprocess.run(
        [sys.executable, "-m", "labguide", "class", *args, "--aws"],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_class_json_in_another_process_shows_the_class(
    workshop: Workshop, view: ClassView, tmp_path: Path
) -> None:
    done = labguide(workshop, tmp_path, "--json", "--region", REGION)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    here = view.refresh()

    assert shown["account"] == ACCOUNT and shown["region"] == REGION
    assert shown["fallbacks"] == {}
    theirs = {
        p["participant"]: {g["id"]: g["status"] for g in p["goals"]}
        for p in shown["participants"]
    }
    ours = {p.tag: {g.goal.id: g.status for g in p.goals} for p in here.participants}
    assert theirs == ours
    steps = {p["participant"]: p["steps"] for p in shown["participants"]}
    assert steps == {p.tag: p.steps for p in here.participants}


def test_class_teardown_is_a_dry_run_first_with_the_account(
    workshop: Workshop, tmp_path: Path
) -> None:
    with workshop.session("cli", OTHER_REGION) as session:
        assert session.run(["network", "security-groups"]).ok
    plan = workshop.class_view(OTHER_REGION).teardown_plan(["cli"])["cli"]
    kinds = {r.kind for r in plan}
    assert {"vpc", "subnet", "security-group"} <= kinds
    assert "load-balancer" not in kinds

    dry = labguide(
        workshop, tmp_path, "teardown", "--participant", "cli", "--region", OTHER_REGION
    )
    assert dry.returncode == 0, dry.stderr
    assert f"AWS account {ACCOUNT} ({OTHER_REGION})" in dry.stdout
    assert f"cli: {len(plan)} resource(s)" in dry.stdout
    assert "--yes" in dry.stdout

    done = labguide(
        workshop,
        tmp_path,
        "teardown",
        "--participant",
        "cli",
        "--region",
        OTHER_REGION,
        "--yes",
    )
    assert done.returncode == 0, done.stderr
    assert f"AWS account {ACCOUNT} ({OTHER_REGION})" in done.stderr
    assert f"cli: {len(plan)} deleted, clean" in done.stdout
    left = workshop.class_view(OTHER_REGION).refresh().participants
    assert "cli" not in {p.tag for p in left}


def test_class_watch_refreshes_on_a_timer(workshop: Workshop, tmp_path: Path) -> None:
    done = labguide(
        workshop,
        tmp_path,
        "--watch",
        "--json",
        "--count",
        "2",
        "--interval",
        "0.1",
        "--region",
        OTHER_REGION,
    )
    assert done.returncode == 0, done.stderr
    rounds = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(rounds) == 2
    goals = [
        {p["participant"]: [g["status"] for g in p["goals"]] for p in r["participants"]}
        for r in rounds
    ]
    assert goals[0] == goals[1] and ELSEWHERE in goals[0]
    assert rounds[0]["calls"]["total"] > rounds[1]["calls"]["total"]


def test_class_export_writes_a_report_per_participant(
    workshop: Workshop, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    done = labguide(
        workshop,
        tmp_path,
        "export",
        "--format",
        "html",
        "--output",
        str(folder),
        "--region",
        OTHER_REGION,
    )
    assert done.returncode == 0, done.stderr
    names = {p.name for p in folder.iterdir()}
    assert "index.html" in names and "eu.html" in names
    assert 'href="eu.html"' in (folder / "index.html").read_text()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["class", "--region", "sa-east-1"], "not one this lab allows"),
        (["class", "drill", "--all"], "Name the drill"),
        (["class", "teardown"], "--participant NAME, or --all"),
        (["class", "show", "extra"], "Unexpected argument"),
    ],
)
def test_class_refuses_what_it_cannot_do(
    workshop: Workshop,
    args: list[str],
    says: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", workshop.sandbox.endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    where = [] if "--region" in args else ["--region", REGION]
    assert main([*args, *where, "--aws"]) == 2
    assert says in capsys.readouterr().err
