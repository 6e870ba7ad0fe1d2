"""The built wheel carries everything a council needs outside a source checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_ships_rules_templates_samples_and_migrations(tmp_path: Path) -> None:
    """Rules, mail and letter templates, demo samples and every migration are in the wheel."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("mailflow-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for rules in (ROOT / "rules").glob("*.yaml"):
        assert f"mailflow/_bundled/rules/{rules.name}" in names
    for template in (ROOT / "templates").rglob("*"):
        if template.is_file() and "__pycache__" not in template.parts:
            assert f"mailflow/_bundled/{template.relative_to(ROOT)}" in names, template
    for sample in (ROOT / "mailflow" / "demo" / "samples").glob("*.eml"):
        assert f"mailflow/demo/samples/{sample.name}" in names
    for migration in (ROOT / "mailflow" / "store" / "migrations" / "versions").glob("*.py"):
        assert f"mailflow/store/migrations/versions/{migration.name}" in names
    assert "mailflow/mail/autoreply_phrases.yaml" in names
