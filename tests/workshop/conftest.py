"""One workshop for the whole run: a sandbox (moto holds one per process)
with thirty participants and a single learner in us-east-1, each lab built
with `LabSession.run_all`, and one more participant in us-east-2.

Before the class grows past three, a class view measures what a refresh of
three participants costs; the tests compare it with the class of thirty-one.
Tests that change a lab (a drill, a teardown) each take a participant no
other test changes, and compare before and after within themselves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from labguide.aws.clients import Clients
from labguide.aws.target import Target
from labguide.catalog import load_catalog
from labguide.catalog.models import Catalog
from labguide.engine.classroom import ClassReport, ClassView
from labguide.engine.session import LabSession
from labguide.sandbox import Sandbox, control
from labguide.sandbox.daemon import SandboxInfo

REGION = "us-east-1"
OTHER_REGION = "us-east-2"
FIRST = ["ana", "ben", "p11"]
"""The class of three, measured before the others arrive."""
LATER = [
    # Names that meet the lab's own names: `sg`'s load balancer is called
    # like the single learner's ALB security group, `nginx`'s log groups
    # start like `nginx-access`'s, `ana`'s names start `ana-2`'s.
    "alb",
    "sg",
    "nginx",
    "nginx-access",
    "ana-2",
    "backup",
    "vpc",
    "tg",
    "ec2",
    *(f"p{n}" for n in range(12, 30)),
]
SOLO = None
ELSEWHERE = "eu"
"""The participant in the other region."""
TEARDOWN_VICTIM = "sg"
DRILLED = "ben"
CLI_VICTIM = ELSEWHERE


@dataclass
class Workshop:
    """The built class and what the fixture measured on the way."""

    sandbox: Sandbox
    catalog: Catalog
    home: Path
    participants: list[str | None]
    three: list[ClassReport] = field(default_factory=list)
    """Two refreshes of the class of three (the first one cold)."""
    thirty: list[ClassReport] = field(default_factory=list)
    """Two refreshes of the whole class (the first one cold)."""
    view: ClassView | None = None
    build_seconds: float = 0.0

    def target(self, region: str = REGION) -> Target:
        return self.sandbox.target(region)

    def class_view(self, region: str = REGION) -> ClassView:
        """A new class view, as `labguide class` makes one."""
        sessions = self.home / "sessions"
        return ClassView(
            self.catalog,
            Clients(self.target(region)),
            account_label="sandbox",
            ledger_dir=self.home / "classes",
            session_dir=sessions,
            poll_seconds=0.05,
            wait_seconds=20.0,
        )

    def session(self, participant: str | None, region: str = REGION) -> LabSession:
        """The participant's own session (as `labguide verify` opens it)."""
        return LabSession.open(
            self.catalog,
            Clients(self.target(region)),
            self.home / "sessions",
            participant=participant,
            poll_seconds=0.05,
            wait_seconds=20.0,
            account_label="sandbox",
            reconcile=False,
        )

    def control(self, path: str, payload: dict[str, object]) -> object:
        info = SandboxInfo(os.getpid(), "127.0.0.1", self.sandbox.port, "")
        return control(info, path, payload)


def email(participant: str | None) -> str:
    return f"{participant or 'solo'}@example.com"


def build(workshop: Workshop, who: list[str | None], region: str = REGION) -> None:
    def one(participant: str | None) -> None:
        opened = LabSession.open(
            workshop.catalog,
            Clients(workshop.target(region)),
            workshop.home / "sessions",
            participant=participant,
            email=email(participant),
            poll_seconds=0.02,
            wait_seconds=30.0,
            account_label="sandbox",
        )
        with opened as session:
            result = session.run_all()
            assert result.ok, (participant, result.failed, result.skipped)

    # The sandbox answers one call at a time: two builders keep it busy.
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, who))


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog()


# Package scope: one sandbox runs per process, so it stops when the workshop
# tests end and leaves the way free for other suites.
@pytest.fixture(scope="package")
def workshop(
    catalog: Catalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Workshop]:
    home = tmp_path_factory.mktemp("home")
    previous = os.environ.get("LABGUIDE_HOME")
    os.environ["LABGUIDE_HOME"] = str(home)
    began = time.monotonic()
    with Sandbox(time_scale=0) as sandbox:
        shop = Workshop(sandbox, catalog, home, [*FIRST, *LATER, SOLO])
        build(shop, list(FIRST))
        shop.control("/confirm-email", {})
        three = shop.class_view()
        shop.three = [three.refresh(), three.refresh()]

        build(shop, [*LATER, SOLO])
        build(shop, [ELSEWHERE], OTHER_REGION)
        shop.control("/confirm-email", {})
        shop.view = shop.class_view()
        shop.thirty = [shop.view.refresh(), shop.view.refresh()]
        shop.build_seconds = time.monotonic() - began
        try:
            yield shop
        finally:
            if previous is None:
                os.environ.pop("LABGUIDE_HOME", None)
            else:
                os.environ["LABGUIDE_HOME"] = previous


@pytest.fixture
def view(workshop: Workshop) -> ClassView:
    """The class view of us-east-1 that has seen the class before (warm)."""
    assert workshop.view is not None
    return workshop.view
