"""Cloud-init on paper: what the user data does at first boot."""

from __future__ import annotations

from datetime import UTC, datetime

from labguide.catalog.models import Catalog
from labguide.sandbox.guest import run_user_data
from labguide.userdata import render

HOST = "ip-10-0-1-23.ec2.internal"
LAUNCHED = datetime(2026, 2, 15, 5, 12, tzinfo=UTC)


def boot(script: str):  # type: ignore[no-untyped-def]
    return run_user_data(script, HOST, "i-0abc", LAUNCHED, scale=0.1)


def test_the_articles_script_installs_nginx_writes_the_page_and_starts_the_agent(
    catalog: Catalog,
) -> None:
    result = boot(render(catalog))

    assert result.succeeded and result.failure is None
    assert {"nginx", "amazon-cloudwatch-agent"} <= set(result.packages)
    assert "nginx" in result.enabled and "nginx" in result.started
    page = result.files["/usr/share/nginx/html/index.html"]
    assert f"host: {HOST}" in page and "${HOST}" not in page and "$(date)" not in page
    groups = {s.file_path: s.log_group_name for s in result.agent_sources}
    assert groups["/var/log/nginx/access.log"].endswith("nginx-access")
    assert groups["/var/log/nginx/error.log"].endswith("nginx-error")
    assert "amazon-cloudwatch-agent" in result.started
    assert result.output[-1].startswith("Cloud-init v. 22.2.2 finished at")


def test_a_merged_first_line_stops_the_script_with_the_articles_messages(
    catalog: Catalog,
) -> None:
    script = render(catalog).replace("#!/bin/bash\n", "#!/bin/bash", 1)

    result = boot(script)

    assert result.failure == "shebang" and not result.succeeded
    output = "\n".join(result.output)
    assert "Failed to run module scripts-user" in output
    assert "part-001" in output and "No such file or directory" in output
    assert not result.packages and not result.started


def test_crlf_line_endings_give_a_bad_interpreter(catalog: Catalog) -> None:
    result = boot(render(catalog).replace("\n", "\r\n"))

    assert result.failure == "crlf"
    assert any("/bin/bash^M: bad interpreter" in line for line in result.output)
    assert "nginx" not in result.started


def test_set_e_stops_at_the_first_failing_command() -> None:
    script = "#!/bin/bash\nset -e\ndnf install -y nginxx\nsystemctl start nginx\n"

    result = boot(script)

    assert result.failure == "exit" and result.exit_code == 1
    assert "Error: Unable to find a match: nginxx" in result.output
    assert "nginx" not in result.started


def test_without_set_e_a_missing_command_does_not_stop_the_script() -> None:
    script = (
        "#!/bin/bash\nnginxctl reload\ndnf install -y nginx\nsystemctl start nginx\n"
    )

    result = boot(script)

    assert any("nginxctl: command not found" in line for line in result.output)
    assert result.succeeded and "nginx" in result.started
