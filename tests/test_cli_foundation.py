"""The foundation's commands, run as a learner or a CI job runs them: their
exit codes, their output, and never a traceback."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from labguide.locations import bundled_catalog_path


def labguide(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "labguide", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="module")
def script() -> str:
    result = labguide("userdata", "render")
    assert result.returncode == 0, result.stderr
    return result.stdout


# --- labguide catalog check ------------------------------------------------------


def test_catalog_check_passes_the_bundled_catalog() -> None:
    result = labguide("catalog", "check")

    assert result.returncode == 0
    assert result.stdout == "catalog is sound: 13 steps, 7 goals, 17 checks\n"

    result = labguide("catalog", "check", "--json")
    assert json.loads(result.stdout) == {
        "ok": True,
        "steps": 13,
        "goals": 7,
        "checks": 17,
    }


def test_catalog_check_lists_every_mistake(tmp_path: Path) -> None:
    source = bundled_catalog_path().read_text(encoding="utf-8")
    broken = source.replace("action: create-network", "action: create-netwrk").replace(
        "instance_type: t3.micro", "instance_type: m5.large"
    )
    file = tmp_path / "steps.yaml"
    file.write_text(broken, encoding="utf-8")
    action_line = broken[: broken.index("create-netwrk")].count("\n") + 1
    type_line = broken[: broken.index("m5.large")].count("\n") + 1

    result = labguide("catalog", "check", file)

    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        f"{file}:{action_line}:13: steps[0].action: unknown action 'create-netwrk'"
    )
    assert lines[1] == (
        f"{file}:{type_line}:22: steps[3].parameters.instance_type: instance type "
        "'m5.large' is not among lab.allowed_instance_types "
        "(t3.micro, t3.small, t2.micro)"
    )
    assert lines[2:] == ["2 mistakes found."]

    result = labguide("catalog", "check", "--json", file)
    report = json.loads(result.stdout)
    assert result.returncode == 2
    assert report["ok"] is False
    assert [(p["line"], p["field"]) for p in report["problems"]] == [
        (action_line, "steps[0].action"),
        (type_line, "steps[3].parameters.instance_type"),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "is a directory; give the path of a catalog file such as steps.yaml"),
        (
            b"",
            "1:1: the catalog is empty; it needs version, lab, checks, goals and steps",
        ),
        (b"\xff\xfeversion: 1\n", "1:1: not UTF-8: byte 0xff cannot be decoded"),
        (b"- a\n- b\n", "1:1: the catalog must be a mapping of version, lab, checks"),
        (b"version: [1\n", "2:1: not valid YAML: "),
    ],
    ids=["directory", "empty", "not UTF-8", "a list", "broken YAML"],
)
def test_catalog_check_refuses_what_is_no_catalog(
    tmp_path: Path, content: bytes | None, message: str
) -> None:
    target = tmp_path
    if content is not None:
        target = tmp_path / "steps.yaml"
        target.write_bytes(content)

    result = labguide("catalog", "check", target)

    assert result.returncode == 2
    first, summary = result.stderr.splitlines()
    assert first.startswith(f"{target}:")
    assert message in first
    assert summary == "1 mistake found."


def test_catalog_check_of_a_missing_file() -> None:
    result = labguide("catalog", "check", "no-such-catalog.yaml")

    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "no-such-catalog.yaml: no such file; give the path of a catalog"
    )


# --- labguide userdata render -------------------------------------------------------


def test_userdata_render_prints_the_script(script: str) -> None:
    assert script.startswith("#!/bin/bash\n")
    assert '"log_group_name": "ops-case-nginx-access"' in script
    assert "{{" not in script


def test_userdata_render_for_a_participant_and_in_base64(script: str) -> None:
    scoped = labguide("userdata", "render", "--participant", "ana")
    encoded = labguide("userdata", "render", "--base64")

    assert scoped.returncode == 0
    assert '"log_group_name": "ops-case-ana-nginx-error"' in scoped.stdout
    assert encoded.returncode == 0
    assert base64.b64decode(encoded.stdout.strip()).decode("utf-8") == script


def test_userdata_render_refuses_a_bad_participant_name() -> None:
    result = labguide("userdata", "render", "--participant", "Ana_B")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "labguide: 'Ana_B' is not a valid participant name. Use lower-case letters"
    )
    assert len(result.stderr.splitlines()) == 1


# --- labguide userdata lint ---------------------------------------------------------


def test_userdata_lint_passes_the_rendered_script(tmp_path: Path, script: str) -> None:
    file = tmp_path / "web.sh"
    file.write_text(script, encoding="utf-8")

    result = labguide("userdata", "lint", file)

    assert result.returncode == 0
    assert result.stdout == f"{file}: no findings.\n"


def test_userdata_lint_lists_findings(tmp_path: Path, script: str) -> None:
    file = tmp_path / "web.sh"
    broken = script.replace("#!/bin/bash\nset -euxo pipefail\n\ndnf", "#!/bin/bashdnf")
    file.write_bytes(broken.replace("\n", "\r\n").encode("utf-8"))

    result = labguide("userdata", "lint", file)

    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"{file}:1:12: shebang-merged: the #! line runs into the next command: "
        "'#!/bin/bash' is followed by 'dnf update -y' on the same line (the "
        "article's pitfall, #!/bin/bashdnf update -y); cloud-init fails with "
        "'Failed to run module scripts-user' (break the line after #!/bin/bash, "
        "so that 'dnf update -y' starts line 2)"
    )
    assert lines[1].startswith(f"{file}:1:25: crlf: line 1 ends with CRLF")
    assert len(lines) == 2
    assert result.stderr == "2 findings.\n"


def test_userdata_lint_json(tmp_path: Path, script: str) -> None:
    file = tmp_path / "web.sh"
    file.write_text(script.replace("ops-case-nginx-access", "nginx"), encoding="utf-8")

    result = labguide("userdata", "lint", "--json", file)

    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["file"] == str(file)
    assert [(f["code"], f["line"]) for f in report["findings"]] == [
        ("log-group-mismatch", script.split("\n").index(_line_with(script)) + 1)
    ]
    assert set(report["findings"][0]) == {"line", "column", "code", "message", "fix"}


def test_userdata_lint_for_a_participant(tmp_path: Path) -> None:
    file = tmp_path / "web.sh"
    rendered = labguide("userdata", "render", "--participant", "ana").stdout
    file.write_text(rendered, encoding="utf-8")

    assert labguide("userdata", "lint", file, "--participant", "ana").returncode == 0
    assert labguide("userdata", "lint", file).returncode == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("missing.sh", "labguide: {path}: no such file.\n"),
        (
            ".",
            "labguide: {path} is a directory. Give the path of a user data script.\n",
        ),
    ],
    ids=["missing", "directory"],
)
def test_userdata_lint_of_an_unreadable_file(
    tmp_path: Path, name: str, message: str
) -> None:
    path = tmp_path / name if name != "." else tmp_path

    result = labguide("userdata", "lint", path)

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == message.format(path=path)


def test_userdata_lint_of_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    file = tmp_path / "web.sh"
    file.write_bytes(b"#!/bin/bash\necho caf\xe9\n")

    result = labguide("userdata", "lint", file)

    assert result.returncode == 2
    assert f"{file}:2:9: not-utf8: byte 0xe9 is not UTF-8" in result.stdout


def _line_with(script: str) -> str:
    return next(line for line in script.split("\n") if "ops-case-nginx-access" in line)
