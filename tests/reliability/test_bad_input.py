"""Bad input, case by case: each gives one clear line on stderr and exit code
2, with no traceback, and leaves the sandbox's resources and the session
files byte for byte as they were.

A finished lab (the single learner's, made by `labguide run --all`) waits
in the sandbox; each case then runs a `labguide` command that creates or
deletes (`run --all`, `teardown --yes`, ...) with one thing wrong: a broken
catalog, broken user data, a bad participant name, an unknown region or
profile, missing or expired credentials (from a throwaway AWS_CONFIG_FILE),
a truncated or corrupt session file, one from another account.
"""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from labguide.locations import bundled_catalog_path, userdata_dir
from labguide.sandbox import Sandbox

from .census import fingerprint, plain_clients
from .harness import EMAIL, REGION, cli_env, labguide_command

SESSION = "123456789012-us-east-1-_solo.json"
"""The single learner's session file for the sandbox's account (`--aws`)."""


@dataclass
class Place:
    """Where a case runs: the home with the lab's session, and a scratch
    folder for the case's own files."""

    home: Path
    scratch: Path

    @property
    def session(self) -> Path:
        return self.home / "sessions" / SESSION

    def catalog(self, old: str, new: str, script: str | None = None) -> str:
        """A copy of the bundled catalog with `old` replaced by `new` (and a
        user data script of its own beside it, if given); returns its path."""
        folder = self.scratch / "catalog"
        folder.mkdir()
        text = bundled_catalog_path().read_text(encoding="utf-8")
        assert old in text, old
        (folder / "steps.yaml").write_text(text.replace(old, new, 1), "utf-8")
        if script is not None:
            (folder / "userdata").mkdir()
            (folder / "userdata" / "web.sh").write_text(script, "utf-8")
        return str(folder / "steps.yaml")

    def script(self, edit: Callable[[str], str]) -> str:
        """A catalog whose user data is the bundled script, edited."""
        text = (userdata_dir() / "web.sh").read_text(encoding="utf-8")
        return self.catalog("version: 1", "version: 1", edit(text))

    def file(self, name: str, content: bytes | str) -> str:
        path = self.scratch / name
        data = content.encode() if isinstance(content, str) else content
        path.write_bytes(data)
        return str(path)

    def profiles(self, config: str) -> dict[str, str]:
        """An AWS config file of `config` and no credentials anywhere: the
        case reaches the sandbox only if labguide gets past them."""
        config_file = self.file("aws-config", config)
        return {
            "AWS_CONFIG_FILE": config_file,
            "AWS_SHARED_CREDENTIALS_FILE": str(self.scratch / "no-credentials"),
            "HOME": str(self.scratch),
            "AWS_ACCESS_KEY_ID": "",
            "AWS_SECRET_ACCESS_KEY": "",
        }

    def process(self, name: str, output: str, code: int = 0) -> str:
        """An executable credential_process printing `output`."""
        path = self.scratch / name
        path.write_text(f"#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\nexit {code}\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
        return str(path)

    def rewrite_session(self, change: Callable[[dict], object]) -> None:
        """Replaces the session file's content with `change(data)`."""
        data = json.loads(self.session.read_text(encoding="utf-8"))
        self.session.write_text(json.dumps(change(data)), encoding="utf-8")


@dataclass
class Case:
    """One piece of bad input."""

    name: str
    args: Callable[[Place], list[str]]
    env: Callable[[Place], dict[str, str]] = field(default=lambda place: {})
    setup: Callable[[Place], object] = field(default=lambda place: None)


def run_all(*extra: str) -> Callable[[Place], list[str]]:
    return lambda place: ["run", "--all", "--aws", "--email", EMAIL, *extra]


def with_catalog(old: str, new: str) -> Callable[[Place], list[str]]:
    return lambda place: [*run_all()(place), "--catalog", place.catalog(old, new)]


def with_script(edit: Callable[[str], str]) -> Callable[[Place], list[str]]:
    return lambda place: [
        *run_all("--participant", "ud")(place),
        "--catalog",
        place.script(edit),
    ]


def expired_process(place: Place) -> dict[str, str]:
    answer = json.dumps(
        {
            "Version": 1,
            "AccessKeyId": "AKIAEXPIREDEXAMPLE01",
            "SecretAccessKey": "expired-secret",
            "SessionToken": "token",
            "Expiration": "2020-01-01T00:00:00Z",
        }
    )
    command = place.process("expired.sh", answer)
    return place.profiles(f"[profile lab]\ncredential_process = {command}\n")


def failing_process(place: Place) -> dict[str, str]:
    command = place.process("failing.sh", "no session:\n  run the login first", 1)
    return place.profiles(f"[profile lab]\ncredential_process = {command}\n")


SSO_SESSION = """[profile lab]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Learner
region = us-east-1
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
"""
LEGACY_SSO = """[profile lab]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = Learner
"""
LONG_SCRIPT = "\n".join(
    f"echo line {n} of a script that grew too long" for n in range(600)
)

CASES = [
    # Broken catalogs, given with --catalog.
    Case(
        "catalog-missing",
        lambda p: [*run_all()(p), "--catalog", str(p.scratch / "no.yaml")],
    ),
    Case("catalog-is-a-folder", lambda p: [*run_all()(p), "--catalog", str(p.scratch)]),
    Case(
        "catalog-empty",
        lambda p: [*run_all()(p), "--catalog", p.file("empty.yaml", "")],
    ),
    Case(
        "catalog-not-yaml",
        lambda p: [
            *run_all()(p),
            "--catalog",
            p.file("bad.yaml", "lab: [ops\nsteps: {"),
        ],
    ),
    Case(
        "catalog-not-utf8",
        lambda p: [
            *run_all()(p),
            "--catalog",
            p.file("latin1.yaml", b"version: 1\nlab: caf\xe9\n"),
        ],
    ),
    Case(
        "catalog-a-list",
        lambda p: [*run_all()(p), "--catalog", p.file("list.yaml", "- version: 1\n")],
    ),
    Case(
        "catalog-unknown-action",
        with_catalog("action: create-network", "action: create-networks"),
    ),
    Case(
        "catalog-unknown-dependency",
        with_catalog("depends_on: [network]", "depends_on: [netwrok]"),
    ),
    Case(
        "catalog-instance-type-outside-guardrail",
        with_catalog("instance_type: t3.micro", "instance_type: m5.24xlarge"),
    ),
    Case(
        "catalog-user-data-missing",
        with_catalog("user_data: web.sh", "user_data: missing.sh"),
    ),
    # Broken user data, beside a catalog of its own.
    Case(
        "user-data-shebang-merged",
        with_script(lambda s: s.replace("#!/bin/bash\n", "#!/bin/bash", 1)),
    ),
    Case("user-data-no-shebang", with_script(lambda s: s.split("\n", 1)[1])),
    Case(
        "user-data-heredoc-unterminated",
        with_script(lambda s: "\n".join(s.rsplit("\nEOF\n", 1))),
    ),
    Case(
        "user-data-unknown-placeholder",
        with_script(lambda s: s.replace("{{page_title}}", "{{title}}")),
    ),
    Case("user-data-too-large", with_script(lambda s: s + LONG_SCRIPT)),
    # Participant names.
    Case("participant-upper-case", run_all("--participant", "Ana")),
    Case("participant-leading-dash", run_all("--participant=-ana")),
    Case("participant-underscore", run_all("--participant", "ana_b")),
    Case("participant-too-long", run_all("--participant", "a" * 17)),
    Case("participant-path", run_all("--participant", "../../etc")),
    Case("participant-empty", run_all("--participant", "")),
    # Regions and profiles.
    Case("region-unknown", run_all("--region", "mars-1")),
    Case("region-not-allowed", run_all("--region", "us-gov-west-1")),
    Case("profile-unknown", run_all("--profile", "nosuch")),
    Case("profile-without-aws", lambda p: ["run", "--all", "--profile", "lab"]),
    # Credentials.
    Case("key-without-secret", run_all(), env=lambda p: {"AWS_SECRET_ACCESS_KEY": ""}),
    Case("no-credentials", run_all(), env=lambda p: p.profiles("")),
    Case(
        "credential-process-expired", run_all("--profile", "lab"), env=expired_process
    ),
    Case(
        "credential-process-failing", run_all("--profile", "lab"), env=failing_process
    ),
    Case(
        "sso-session-no-token",
        run_all("--profile", "lab"),
        env=lambda p: p.profiles(SSO_SESSION),
    ),
    Case(
        "legacy-sso-no-token",
        run_all("--profile", "lab"),
        env=lambda p: p.profiles(LEGACY_SSO),
    ),
    Case(
        "config-file-unparsable",
        run_all(),
        env=lambda p: p.profiles("[profile lab\nregion = x\n"),
    ),
    Case(
        "teardown-with-expired-credentials",
        lambda p: ["teardown", "--yes", "--aws", "--profile", "lab"],
        env=expired_process,
    ),
    # Session files.
    Case(
        "session-truncated",
        run_all(),
        setup=lambda p: p.session.write_bytes(p.session.read_bytes()[:200]),
    ),
    Case(
        "session-not-json",
        run_all(),
        setup=lambda p: p.session.write_bytes(b"\x00\xff garbage"),
    ),
    Case("session-a-list", run_all(), setup=lambda p: p.rewrite_session(lambda d: [d])),
    Case(
        "session-other-format",
        run_all(),
        setup=lambda p: p.rewrite_session(lambda d: {**d, "format": 99}),
    ),
    Case(
        "session-steps-mangled",
        run_all(),
        setup=lambda p: p.rewrite_session(
            lambda d: {**d, "steps": {"network": {"colour": "blue"}}}
        ),
    ),
    Case(
        "session-other-account",
        run_all(),
        setup=lambda p: p.rewrite_session(lambda d: {**d, "account": "999999999999"}),
    ),
    Case(
        "session-other-region",
        run_all(),
        setup=lambda p: p.rewrite_session(lambda d: {**d, "region": "eu-west-1"}),
    ),
    Case(
        "teardown-with-session-of-other-account",
        lambda p: ["teardown", "--yes", "--aws"],
        setup=lambda p: p.rewrite_session(lambda d: {**d, "account": "999999999999"}),
    ),
    # Other options.
    Case("email-malformed", run_all("--email", "ana.example.com")),
    Case("step-unknown", lambda p: ["run", "nosuch", "--aws"]),
    Case("steps-and-all", lambda p: ["run", "--all", "3", "--aws"]),
    Case("goal-unknown", lambda p: ["verify", "--aws", "--goal", "nosuch"]),
    Case(
        "report-nowhere",
        lambda p: ["report", "--aws", "--output", str(p.scratch / "no" / "r.md")],
    ),
    Case(
        "poll-seconds-not-a-number",
        run_all(),
        env=lambda p: {"LABGUIDE_POLL_SECONDS": "soon"},
    ),
]


@pytest.fixture(scope="module")
def lab_home(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose single learner's lab is finished in the sandbox."""
    home = tmp_path_factory.mktemp("home")
    done = subprocess.run(
        labguide_command(*run_all()(Place(home, home))),
        env=cli_env(sandbox, home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (home / "sessions" / SESSION).is_file()
    return home


def session_files(home: Path) -> dict[str, bytes]:
    """Every session file's bytes (lock files say who holds them: not state)."""
    return {p.name: p.read_bytes() for p in sorted((home / "sessions").glob("*.json"))}


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_is_refused_in_one_line_and_changes_nothing(
    case: Case, sandbox: Sandbox, lab_home: Path, tmp_path: Path
) -> None:
    place = Place(lab_home, tmp_path)
    client = plain_clients(sandbox.target(REGION))
    original = place.session.read_bytes()
    world = fingerprint(client)
    try:
        case.setup(place)
        files = session_files(lab_home)
        env = {**cli_env(sandbox, lab_home), **case.env(place)}
        env = {key: value for key, value in env.items() if value != ""}
        done = subprocess.run(
            labguide_command(*case.args(place)),
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

        lines = done.stderr.splitlines()
        assert done.returncode == 2, done.stderr
        assert len(lines) == 1, done.stderr
        assert lines[0].startswith("labguide: ") and len(lines[0]) > 20
        assert "Traceback" not in done.stderr + done.stdout
        assert session_files(lab_home) == files
        assert fingerprint(client) == world
    finally:
        place.session.write_bytes(original)
