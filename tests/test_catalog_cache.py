"""The cache of the validated catalog: an unchanged catalog is taken from it,
any change to the catalog or its user data is validated afresh (so a mistake
is still reported), and a damaged or unwritable cache is only a miss."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from labguide.catalog import CatalogError, cache, load_catalog
from labguide.catalog import loader as catalog_loader
from labguide.locations import bundled_catalog_path, userdata_dir


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LABGUIDE_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def author_copy(tmp_path: Path) -> Path:
    """A catalog an author edits, with its own user data folder beside it."""
    folder = tmp_path / "lab"
    folder.mkdir()
    shutil.copy(bundled_catalog_path(), folder / "steps.yaml")
    shutil.copytree(userdata_dir(), folder / "userdata")
    return folder / "steps.yaml"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The catalogs validated (rather than taken from the cache)."""
    seen: list[Path] = []
    validate = catalog_loader.load_catalog

    def counted(path: Path | str | None = None) -> object:
        seen.append(Path(str(path)))
        return validate(path)

    monkeypatch.setattr(catalog_loader, "load_catalog", counted)
    return seen


def cached_files(home: Path) -> list[Path]:
    return sorted((home / "cache").glob("catalog-*.pickle"))


def test_an_unchanged_catalog_is_validated_once(
    home: Path, author_copy: Path, validations: list[Path]
) -> None:
    first = load_catalog(author_copy)
    again = load_catalog(author_copy)

    assert validations == [author_copy]
    assert again == first
    assert again.userdata_folder == author_copy.parent / "userdata"
    assert len(cached_files(home)) == 1


def test_a_fresh_process_starts_from_the_cache_without_the_loader(
    home: Path, author_copy: Path
) -> None:
    load_catalog(author_copy)
    probe = (
        "import sys; from labguide.catalog import load_catalog; "
        f"catalog = load_catalog({str(author_copy)!r}); "
        "print(len(catalog.steps), 'yaml' in sys.modules, "
        "'labguide.catalog.loader' in sys.modules)"
    )
    env = {"LABGUIDE_HOME": str(home), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True
    )

    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["13", "False", "False"]


def test_a_broken_edit_is_reported_although_the_last_version_was_cached(
    home: Path, author_copy: Path, validations: list[Path]
) -> None:
    load_catalog(author_copy)
    text = author_copy.read_text(encoding="utf-8")
    author_copy.write_text(
        text.replace("action: create-network", "action: create-netwrok", 1),
        encoding="utf-8",
    )

    with pytest.raises(CatalogError) as raised:
        load_catalog(author_copy)

    assert "create-netwrok" in str(raised.value)
    assert len(validations) == 2
    assert len(cached_files(home)) == 1, "a broken catalog is never cached"


def test_a_change_to_the_user_data_folder_is_validated_afresh(
    home: Path, author_copy: Path, validations: list[Path]
) -> None:
    load_catalog(author_copy)
    script = author_copy.parent / "userdata" / "web.sh"
    script.write_bytes(script.read_bytes() + b"# an edit\n")
    load_catalog(author_copy)
    script.rename(script.with_name("site.sh"))

    with pytest.raises(CatalogError) as raised:
        load_catalog(author_copy)

    assert "'web.sh' does not exist" in str(raised.value)
    assert len(validations) == 3


def test_a_damaged_cache_file_is_a_miss_and_is_replaced(
    home: Path, author_copy: Path, validations: list[Path]
) -> None:
    expected = load_catalog(author_copy)
    (stored,) = cached_files(home)
    stored.write_bytes(stored.read_bytes()[:200])

    assert load_catalog(author_copy) == expected
    assert load_catalog(author_copy) == expected
    assert len(validations) == 2
    assert stored.stat().st_size > 200


def test_an_unwritable_cache_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, author_copy: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("LABGUIDE_HOME", str(blocker))

    assert len(load_catalog(author_copy).steps) == 13
    assert blocker.read_text() == "a file where the cache folder would go"


def test_the_cache_keeps_only_the_newest_catalogs(
    home: Path, tmp_path: Path, author_copy: Path
) -> None:
    text = author_copy.read_text(encoding="utf-8")
    for number in range(cache.KEEP + 3):
        author_copy.write_text(f"{text}\n# edit {number}\n", encoding="utf-8")
        load_catalog(author_copy)

    assert len(cached_files(home)) == cache.KEEP


def test_a_missing_catalog_is_still_a_catalog_error(home: Path, tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="no such file"):
        load_catalog(tmp_path / "absent.yaml")
    assert not cached_files(home)
