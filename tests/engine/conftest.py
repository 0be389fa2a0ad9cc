"""A plain moto server on loopback, in its own process (moto keeps global
state, and the sandbox tests run moto in this process), reset per test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from labguide.aws.clients import Clients
from labguide.aws.target import Target
from labguide.catalog import Catalog, load_catalog
from labguide.engine.events import Event
from labguide.engine.session import LabSession

REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """The URL of a moto server (moto's own `moto_server` entry point)."""
    port = _free_port()
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true")
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(f"{url}/moto-api/", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the moto server did not start") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture()
def endpoint(moto_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """A freshly reset moto server, reached as `--aws` would reach any
    AWS-compatible endpoint."""
    request = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAENGINETESTKEY01")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "engine-test-secret-value")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # moto answers the APIs it lacks with HTTP 500; one attempt is enough.
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("LABGUIDE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("LABGUIDE_POLL_SECONDS", "0.01")
    monkeypatch.setenv("LABGUIDE_WAIT_SECONDS", "0.2")
    return moto_url


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The bundled catalog."""
    return load_catalog()


@pytest.fixture()
def clients(endpoint: str) -> Clients:
    """Clients for the moto server, built as `--aws` builds them."""
    return Clients(Target(kind="aws", region=REGION))


@pytest.fixture()
def events() -> list[Event]:
    """Progress events a session reported."""
    return []


@pytest.fixture()
def open_session(
    catalog: Catalog, clients: Clients, tmp_path: Path, events: list[Event]
) -> Iterator[object]:
    """Opens sessions on the moto server; closes them after the test."""
    opened: list[LabSession] = []

    def opener(participant: str | None = None, **kwargs: object) -> LabSession:
        session = LabSession.open(
            catalog,
            clients,
            tmp_path / "home" / "sessions",
            participant=participant,
            email=kwargs.pop("email", "learner@example.com"),  # type: ignore[arg-type]
            reporter=events.append,
            poll_seconds=0.01,
            wait_seconds=0.2,
            **kwargs,  # type: ignore[arg-type]
        )
        opened.append(session)
        return session

    yield opener
    for session in opened:
        session.close()
