"""The committed templates are what make_templates.py writes: the script stays the record."""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

from tests.letters.conftest import LETTERS, TEMPLATE_DIR


@pytest.fixture(scope="module")
def fresh_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The templates as make_templates.py writes them today (written once: it takes seconds)."""
    spec = importlib.util.spec_from_file_location(
        "make_templates", TEMPLATE_DIR / "make_templates.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    out = tmp_path_factory.mktemp("templates")
    script.write_templates(out)
    return out


@pytest.mark.parametrize("name", LETTERS)
def test_committed_template_matches_make_templates(fresh_dir: Path, name: str) -> None:
    """Every part of each committed template equals what the script writes today."""
    with (
        zipfile.ZipFile(TEMPLATE_DIR / f"{name}.docx") as committed,
        zipfile.ZipFile(fresh_dir / f"{name}.docx") as fresh,
    ):
        assert committed.namelist() == fresh.namelist()
        for member in committed.namelist():
            assert committed.read(member) == fresh.read(member), member
