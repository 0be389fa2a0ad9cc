"""Rendering the user data script with the lab's names.

The script under `userdata/` is the article's, with `{{name}}` placeholders
where the lab's names go; the values come from the catalog, scoped to the
participant, so the CloudWatch agent ships to the log groups the lab made.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path

from labguide.catalog.models import Catalog
from labguide.catalog.naming import parameters_of
from labguide.catalog.parameters import LaunchTemplateParams, LogGroupsParams
from labguide.locations import userdata_dir

PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


class UserDataError(Exception):
    """The user data cannot be rendered (a missing file or placeholder)."""


def template_values(catalog: Catalog, participant: str | None) -> dict[str, str]:
    """The values the user data's placeholders take."""
    logs = parameters_of(catalog, LogGroupsParams, participant)
    template = parameters_of(catalog, LaunchTemplateParams, participant)
    return {
        "page_title": template.page_title,
        "access_log_group": logs.access_log_group,
        "error_log_group": logs.error_log_group,
        "access_log_path": logs.access_log_path,
        "error_log_path": logs.error_log_path,
    }


def render(
    catalog: Catalog,
    participant: str | None = None,
    source: Path | None = None,
) -> str:
    """Renders the launch template's user data script.

    Args:
        catalog: the catalog, for the script's name and the lab's names.
        participant: the participant whose lab it is, if any.
        source: a script to render instead of the catalog's own.

    Raises:
        UserDataError: the script is missing or names an unknown placeholder.
    """
    template = parameters_of(catalog, LaunchTemplateParams, participant)
    folder = catalog.userdata_folder or userdata_dir()
    path = source or folder / template.user_data
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UserDataError(f"cannot read user data {path}: {error}") from None
    values = template_values(catalog, participant)

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            known = ", ".join(sorted(values))
            raise UserDataError(
                f"{path}: unknown placeholder {{{{{key}}}}}; known: {known}"
            )
        return values[key]

    return PLACEHOLDER.sub(substitute, text)


def encode(script: str) -> str:
    """Base64 of the script, as CreateLaunchTemplate expects it (boto3 encodes
    user data for RunInstances but not for launch templates)."""
    return base64.b64encode(script.encode("utf-8")).decode("ascii")
