"""The headless commands as a learner runs them: real processes, a moto
server or a stub endpoint on loopback, one clear line on every error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from labguide.catalog import Catalog
from labguide.engine.session import LabSession


def labguide(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labguide", *args],
        capture_output=True,
        text=True,
        env=env if env is not None else dict(os.environ),
        timeout=180,
    )


def assert_one_clear_line(
    result: subprocess.CompletedProcess[str], *words: str
) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("labguide: ")
    for word in words:
        assert word in lines[0]


class _StubSts(BaseHTTPRequestHandler):
    """Answers every call with the AWS error the server was built for."""

    code = "ExpiredToken"
    message = "The security token included in the request is expired"

    def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{self.code}</Code><Message>{self.message}</Message>"
            "</Error><RequestId>1</RequestId></ErrorResponse>"
        ).encode()
        self.send_response(403)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_: object) -> None:
        return


@pytest.fixture()
def stub_sts() -> Iterator[tuple[str, type[_StubSts]]]:
    handler = type("Handler", (_StubSts,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()


def clean_env(tmp_path: Path) -> dict[str, str]:
    """An environment with no AWS credentials or settings at all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "no-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        LABGUIDE_HOME=str(tmp_path / "home"),
    )
    return env


def test_unknown_profile(tmp_path: Path) -> None:
    result = labguide("status", "--aws", "--profile", "nope", env=clean_env(tmp_path))

    assert_one_clear_line(result, "profile 'nope' does not exist", "aws configure")


def test_missing_credentials(tmp_path: Path) -> None:
    result = labguide("run", "1", "--aws", env=clean_env(tmp_path))

    assert_one_clear_line(result, "No AWS credentials", "sandbox")


def test_sso_session_needs_login(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    Path(env["AWS_CONFIG_FILE"]).write_text(
        "[profile learner]\n"
        "sso_start_url = https://example.awsapps.com/start\n"
        "sso_region = us-east-1\n"
        "sso_account_id = 123456789012\n"
        "sso_role_name = Lab\n"
        "region = us-east-1\n"
    )
    env["HOME"] = str(tmp_path)

    result = labguide("status", "--aws", "--profile", "learner", env=env)

    assert_one_clear_line(result, "aws sso login --profile learner")


@pytest.mark.parametrize(
    ("code", "message", "expected"),
    [
        (
            "ExpiredToken",
            "The security token included in the request is expired",
            "expired",
        ),
        (
            "AccessDenied",
            "User is not authorized to perform sts:GetCallerIdentity",
            "refused",
        ),
    ],
)
def test_expired_or_refused_credentials(
    tmp_path: Path,
    stub_sts: tuple[str, type[_StubSts]],
    code: str,
    message: str,
    expected: str,
) -> None:
    url, handler = stub_sts
    handler.code, handler.message = code, message
    env = clean_env(tmp_path)
    env.update(
        AWS_ENDPOINT_URL=url,
        AWS_ACCESS_KEY_ID="AKIASTUBKEY000000001",
        AWS_SECRET_ACCESS_KEY="stub-secret",
        AWS_MAX_ATTEMPTS="1",
    )

    result = labguide("run", "--all", "--aws", env=env)

    assert_one_clear_line(result, expected)


def test_region_outside_the_lab(tmp_path: Path) -> None:
    result = labguide(
        "status", "--aws", "--region", "sa-east-1", env=clean_env(tmp_path)
    )

    assert_one_clear_line(result, "'sa-east-1' is not one this lab allows", "us-east-1")


@pytest.mark.parametrize("name", ["Ana", "ana_b", "-ana", "a" * 17])
def test_bad_participant_names(tmp_path: Path, name: str) -> None:
    result = labguide("status", f"--participant={name}", env=clean_env(tmp_path))

    assert_one_clear_line(result, "participant name")


def test_run_verify_report_and_teardown_against_an_endpoint(endpoint: str) -> None:
    run = labguide("run", "--all", "--aws", "--json", "--email", "me@example.com")
    verify = labguide("verify", "--aws", "--json")
    report = labguide("report", "--aws")
    dry = labguide("teardown", "--aws")
    real = labguide("teardown", "--aws", "--yes", "--json")

    assert run.returncode == 0, run.stderr
    assert len(json.loads(run.stdout)["done"]) == 12
    assert "Creating the lab's resources in AWS account 123456789012" in run.stderr
    goals = json.loads(verify.stdout)["goals"]
    assert [g["id"] for g in goals][:2] == ["web-via-alb", "targets-healthy"]
    assert all({"id", "status", "evidence"} <= set(g) for g in goals)
    by_id = {g["id"]: g for g in goals}
    # A plain moto server lacks Session Manager's inventory: a clear failure.
    session_manager = by_id["session-manager"]["checks"][0]
    assert session_manager["status"] == "failed"
    assert "not available from this endpoint" in session_manager["summary"]
    assert by_id["targets-healthy"]["status"] == "passed"
    assert verify.returncode == 1
    assert report.returncode == 0 and report.stdout.startswith("# ")
    assert "Dry run" in dry.stdout and "vpc" in dry.stdout
    assert real.returncode == 0, real.stdout + real.stderr
    assert json.loads(real.stdout)["billable_left"] == []


def test_a_second_process_is_refused(endpoint: str, open_session: object) -> None:
    session = open_session()  # type: ignore[operator]
    assert isinstance(session, LabSession)

    result = labguide("status", "--aws")

    assert_one_clear_line(result, "Another labguide", "is working on this session")


def test_a_corrupt_state_file_is_left_alone(endpoint: str, tmp_path: Path) -> None:
    sessions = tmp_path / "home" / "sessions"
    sessions.mkdir(parents=True)
    path = sessions / "123456789012-us-east-1-_solo.json"
    path.write_text('{"format": 1, "account": "123')

    result = labguide("status", "--aws")

    assert_one_clear_line(result, "is corrupt", "Move it aside")
    assert path.read_text() == '{"format": 1, "account": "123'


def test_unknown_step(endpoint: str, catalog: Catalog) -> None:
    result = labguide("run", "99", "--aws")

    assert_one_clear_line(result, "There is no step '99'")
