"""The built wheel carries the catalog and the user data, so a plain
(non-editable) install works from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "--wheel-dir",
            str(out),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    [built] = out.glob("labguide-*.whl")
    return built


def test_the_wheel_holds_the_catalog_and_user_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())

    assert "labguide/_data/steps.yaml" in names
    assert "labguide/_data/userdata/web.sh" in names
    assert (
        "labguide/tui/app.tcss" in names
        or not (ROOT / "labguide/tui/app.tcss").exists()
    )


def test_the_installed_wheel_works_from_another_directory(
    wheel: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = dict(os.environ, PYTHONPATH=str(site), LABGUIDE_HOME=str(tmp_path / "home"))

    check = subprocess.run(
        [sys.executable, "-m", "labguide", "catalog", "check"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    render = subprocess.run(
        [sys.executable, "-m", "labguide", "userdata", "render"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert check.returncode == 0, check.stderr
    assert "13 steps, 7 goals" in check.stdout
    assert (
        str(site)
        in subprocess.run(
            [
                sys.executable,
                "-c",
                "import labguide.locations as l; print(l.bundled_catalog_path())",
            ],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout
    )
    assert render.returncode == 0 and render.stdout.startswith("#!/bin/bash\n")
