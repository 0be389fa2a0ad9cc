"""A cache of the validated catalog, so that starting labguide does not parse
and validate an unchanged `steps.yaml` every time.

Validation is most of what the guide pays before its first screen (PyYAML,
pydantic's validators built for fourteen models, the cross-reference checks),
and its answer depends only on the catalog file, the user data folder beside
it and labguide's catalog code. The cache is keyed by a hash of exactly
those, plus the versions of Python, pydantic and labguide; any change to any
of them misses the cache and validates afresh, so a broken catalog is still
reported, with every mistake, before anything else happens. Only a catalog
that validated is ever stored.

The cache is a convenience: a file that cannot be read, written or unpickled
is ignored (and replaced when it can be), never an error.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
import tempfile
from pathlib import Path

import pydantic

from labguide import __version__
from labguide.catalog.models import Catalog
from labguide.locations import bundled_catalog_path, cache_dir, catalog_userdata_dir

log = logging.getLogger(__name__)

FORMAT = b"labguide-catalog-cache-1"
"""Changes whenever what is stored changes shape."""
KEEP = 8
"""Cached catalogs kept (the bundled one, a few an author is working on)."""
_CODE = Path(__file__).resolve().parent
"""labguide's catalog package: its models and validation rules."""


def load_catalog(path: Path | str | None = None) -> Catalog:
    """Loads a catalog, validated now or taken from the cache of one that
    validated unchanged before.

    Args:
        path: the catalog file; the bundled `steps.yaml` when omitted.

    Raises:
        CatalogError: the file is missing, is not YAML, or has mistakes.
    """
    file = Path(path) if path is not None else bundled_catalog_path()
    key = _key(file)
    if key is not None:
        cached = _read(key)
        if cached is not None:
            return cached

    from labguide.catalog.loader import load_catalog as validate

    catalog = validate(file)
    if key is not None:
        _write(key, catalog)
    return catalog


def _key(file: Path) -> str | None:
    """A hash of everything the validated catalog depends on; None when the
    catalog cannot be read (validation then reports why)."""
    folder = catalog_userdata_dir(file)
    digest = hashlib.sha256(FORMAT)
    for part in (sys.version, pydantic.VERSION, __version__):
        _feed(digest, part.encode())
    try:
        _feed(digest, str(file.resolve()).encode())
        _feed(digest, file.read_bytes())
        _feed(digest, str(folder.resolve()).encode())
        for source in sorted(folder.rglob("*")):
            if source.is_file():
                _feed(digest, source.relative_to(folder).as_posix().encode())
                _feed(digest, source.read_bytes())
        for source in sorted(_CODE.glob("*.py")):
            _feed(digest, source.name.encode())
            _feed(digest, source.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()


def _feed(digest: hashlib._Hash, part: bytes) -> None:
    # Each part is prefixed by its length, so that no two different lists of
    # parts hash alike.
    digest.update(len(part).to_bytes(8, "big"))
    digest.update(part)


def _path(key: str) -> Path:
    return cache_dir() / f"catalog-{key[:32]}.pickle"


def _read(key: str) -> Catalog | None:
    """The cached catalog for `key`, or None if there is none usable."""
    path = _path(key)
    try:
        data = path.read_bytes()
    except OSError:
        return None
    stamp = key.encode()
    if not data.startswith(stamp):
        return None
    try:
        catalog = pickle.loads(data[len(stamp) :])
    except Exception:  # a damaged file is only a miss
        log.info("ignoring a damaged catalog cache: %s", path)
        return None
    return catalog if isinstance(catalog, Catalog) else None


def _write(key: str, catalog: Catalog) -> None:
    """Stores a validated catalog, atomically, and forgets the oldest ones."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".catalog-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(key.encode())
                pickle.dump(catalog, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, _path(key))
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        kept = sorted(
            folder.glob("catalog-*.pickle"),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError) as error:
        log.info("the catalog cache was not written: %s", error)
