"""Writing a subject access export to a folder: its files, a manifest and an HTML index.

The index is rendered from ``templates/sar/index.html.j2`` in a sandbox with autoescaping on,
because almost everything in it (subjects, message text, file names) was written by customers.
The folder and its files are 0700/0600: they hold the subject's correspondence until the DPO
sends them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mailflow.errors import ConfigError, StoreError
from mailflow.privacy.sar import SubjectAccessExport

INDEX_TEMPLATE = "index.html.j2"
DIR_MODE, FILE_MODE = 0o700, 0o600


def show(value: object) -> str:
    """A value as a person reads it: instants to the minute (UTC), nothing for None."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%d %B %Y %H:%M UTC")
    if isinstance(value, date):
        return value.strftime("%d %B %Y")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def render_index(export: SubjectAccessExport, templates_dir: Path) -> str:
    """The HTML index of ``export`` from ``templates_dir/index.html.j2``."""
    env = ImmutableSandboxedEnvironment(
        loader=FileSystemLoader(templates_dir),
        undefined=StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    del env.filters["safe"]
    env.filters["show"] = show
    try:
        return env.get_template(INDEX_TEMPLATE).render(
            export=export, withheld=sum(len(c.withheld) for c in export.contacts)
        )
    except TemplateError as exc:
        raise ConfigError(str(templates_dir / INDEX_TEMPLATE), "", str(exc)) from None


def write_export(export: SubjectAccessExport, out: Path, templates_dir: Path) -> Path:
    """Write ``export`` into ``out`` (new or empty) and return the index's path."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise StoreError(f"subject access: {out} is not an empty folder: give --out a new one")
    index = render_index(export, templates_dir)
    try:
        _make_dir(out)
        for f in export.files:
            _write(out, f.path, f.data)
        _write(out, "manifest.json", json.dumps(manifest(export), indent=2, default=str).encode())
        _write(out, "index.html", index.encode("utf-8"))
    except OSError as exc:
        raise StoreError(f"subject access: cannot write {out}: {exc.strerror}") from exc
    return out / "index.html"


def manifest(export: SubjectAccessExport) -> dict[str, Any]:
    """The machine-readable summary beside the index (counts and the files written)."""
    return {
        "subject": export.subject,
        "generated_at": export.generated_at.isoformat(),
        "contacts": [c.reference for c in export.contacts],
        "messages": sum(len(c.messages) for c in export.contacts) + len(export.other_messages),
        "withheld_third_party_messages": sum(len(c.withheld) for c in export.contacts),
        "letters": sum(len(c.letters) for c in export.contacts),
        "mentions_elsewhere": len(export.mentions),
        "files": sorted(f.path for f in export.files),
        "missing": export.missing,
    }


def _write(out: Path, relative: str, data: bytes) -> None:
    target = out / relative
    if out.resolve() not in target.resolve().parents:
        raise StoreError(f"subject access: refusing to write outside {out}: {relative!r}")
    for parent in reversed(target.relative_to(out).parents):
        _make_dir(out / parent)
    target.write_bytes(data)
    target.chmod(FILE_MODE)


def _make_dir(directory: Path) -> None:
    if not directory.is_dir():
        directory.mkdir(mode=DIR_MODE, parents=True)
        directory.chmod(DIR_MODE)
