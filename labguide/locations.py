"""Where labguide finds its data and keeps its files."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "labguide"

_PACKAGE = Path(__file__).resolve().parent


def _data_root() -> Path:
    """The folder holding `steps.yaml` and `userdata/`.

    A built wheel carries them in `labguide/_data`; a source checkout (an
    editable install, or the tests) has them at the top of the repository.
    """
    bundled = _PACKAGE / "_data"
    if (bundled / "steps.yaml").is_file():
        return bundled
    return _PACKAGE.parent


def bundled_catalog_path() -> Path:
    """The catalog that ships with labguide."""
    return _data_root() / "steps.yaml"


def userdata_dir() -> Path:
    """The folder of user data scripts that ship with labguide."""
    return _data_root() / "userdata"


def catalog_userdata_dir(catalog: Path) -> Path:
    """The user data folder a catalog's steps name their scripts in: the
    `userdata/` folder beside the catalog, or the bundled one."""
    beside = catalog.parent / "userdata"
    return beside if beside.is_dir() else userdata_dir()


def state_dir() -> Path:
    """Where sessions are kept: `LABGUIDE_HOME` or the user data dir."""
    override = os.environ.get("LABGUIDE_HOME")
    if override:
        return Path(override) / "sessions"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "sessions"


def log_dir() -> Path:
    """Where labguide writes its log: `LABGUIDE_HOME` or the user log dir."""
    override = os.environ.get("LABGUIDE_HOME")
    if override:
        return Path(override) / "logs"
    from platformdirs import user_log_path

    return user_log_path(APP_NAME, appauthor=False)


def cache_dir() -> Path:
    """Where labguide keeps what it can always remake (the validated catalog)."""
    override = os.environ.get("LABGUIDE_HOME")
    if override:
        return Path(override) / "cache"
    from platformdirs import user_cache_path

    return user_cache_path(APP_NAME, appauthor=False)


def sandbox_dir() -> Path:
    """Where the sandbox keeps its world between runs."""
    override = os.environ.get("LABGUIDE_HOME")
    if override:
        return Path(override) / "sandbox"
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False) / "sandbox"
