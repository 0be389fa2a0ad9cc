"""What the user data says about a lab: which lint findings stop cloud-init,
and which troubleshooting tip each points to."""

from __future__ import annotations

import base64
from typing import Any

from labguide.engine.actions.auto_scaling import launched_version
from labguide.engine.checks.result import Words
from labguide.engine.context import LabContext

TEMPLATE_ID_TAG = "aws:ec2launchtemplate:id"

LINT_TIPS = {
    "shebang-merged": "userdata-shebang",
    "shebang-missing": "userdata-shebang",
    "bom": "userdata-shebang",
    "crlf": "userdata-crlf",
    "log-group-mismatch": "agent-not-shipping",
    "log-group-missing": "agent-not-shipping",
}
"""The tip each lint finding points to; others point to the cloud-init logs."""

BOOT_BREAKING = frozenset(
    {
        "shebang-merged",
        "shebang-missing",
        "bom",
        "crlf",
        "not-utf8",
        "heredoc-unterminated",
    }
)
"""Lint findings that stop cloud-init from running the script at all."""


def tip_for(code: str) -> str:
    """The troubleshooting tip for a lint finding."""
    return LINT_TIPS.get(code, "cloud-init-logs")


def tag_value(item: dict[str, Any], key: str) -> str | None:
    """A tag's value on a described resource."""
    for tag in item.get("Tags", []):
        if tag["Key"] == key:
            return str(tag["Value"])
    return None


def broken_user_data(
    ctx: LabContext, instances: list[dict[str, Any]]
) -> tuple[str, Words] | None:
    """Whether the template version the instances were launched from carries
    user data that cannot run; returns (tip, finding) when it does."""
    from labguide.userdata.lint import lint

    versions = {
        (tag_value(i, TEMPLATE_ID_TAG), launched_version(i))
        for i in instances
        if launched_version(i) is not None
    }
    for template_id, version in sorted((t, v) for t, v in versions if t):
        answer = ctx.clients.ec2.describe_launch_template_versions(
            LaunchTemplateId=template_id, Versions=[str(version)]
        )["LaunchTemplateVersions"]
        if not answer:
            continue
        data = answer[0].get("LaunchTemplateData", {}).get("UserData", "")
        script = base64.b64decode(data or b"")
        for finding in lint(script, ctx.catalog, ctx.participant):
            if finding.code in BOOT_BREAKING:
                return tip_for(finding.code), Words(
                    f"the instances' user data (template version {version}) "
                    f"line {finding.line}: {finding.message}",
                    f"インスタンスの User data（テンプレートのバージョン {version}）"
                    f"の {finding.line} 行目：{finding.message}",
                )
    return None
