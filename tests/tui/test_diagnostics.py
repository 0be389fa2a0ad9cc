"""Run Command diagnostics (labguide/engine/diagnostics.py) against the
sandbox: the group's instances, commands run on one, and the errors a learner
meets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FAST, REGION

from labguide.aws.clients import Clients
from labguide.catalog.models import Catalog
from labguide.engine import diagnostics
from labguide.engine.session import LabSession
from labguide.errors import LabguideError
from labguide.sandbox import Sandbox


@pytest.fixture
def session(catalog: Catalog, sandbox: Sandbox, tmp_path: Path) -> Iterator[LabSession]:
    opened = LabSession.open(
        catalog,
        Clients(sandbox.target(REGION), max_attempts=3),
        tmp_path,
        participant="diag",
        email="diag@example.com",
        poll_seconds=FAST.poll_seconds,
        wait_seconds=FAST.wait_seconds,
        account_label="sandbox",
    )
    with opened:
        yield opened


def test_the_groups_instances_then_commands_run_on_one(session: LabSession) -> None:
    assert diagnostics.instances(session) == []  # no group yet: no error
    assert session.run_all().ok

    found = diagnostics.instances(session)
    assert len(found) == 2
    assert len({instance.zone for instance in found}) == 2
    assert all(i.online and i.state == "running" and i.public_ip for i in found)
    assert found[0].id in found[0].label() and "Online" in found[0].label()

    text = diagnostics.run_diagnostic(
        session,
        found[0].id,
        ["systemctl status nginx", "ss -lntp", "curl http://localhost/"],
        timeout=30,
    )
    assert text.index("$ systemctl status nginx") < text.index("$ ss -lntp")
    assert "active (running)" in text
    assert ":80" in text
    assert "[" not in text.split("$ curl")[0].splitlines()[-1]  # no failure line

    tip = session.catalog.tips()["cloud-init-logs"]
    logs = diagnostics.run_diagnostic(session, found[1].id, tip.run, timeout=30)
    assert "finished" in logs


def test_a_failing_command_says_so_and_a_foreign_instance_is_refused(
    session: LabSession,
) -> None:
    assert session.run_all().ok
    instance = diagnostics.instances(session)[0].id

    [output] = diagnostics.run_commands(session, instance, ["no-such-command"])
    assert output.status == "Failed" and output.code == 127
    assert "command not found" in output.text()
    assert output.text().endswith("[Failed, exit status 127]")

    with pytest.raises(LabguideError, match="not online in Session Manager") as error:
        diagnostics.run_diagnostic(session, "i-0123456789abcdef0", ["uptime"])
    assert "AmazonSSMManagedInstanceCore" in str(error.value)
