"""``mailflow sar EMAIL``: export everything held about one person for a subject access request.

Kept apart from ``cli.py`` so the commands that need no database stay quick to import. The
store, the blob key and the staff directory come from ``--config``; with ``--db`` alone, give
``--data-dir`` for the stored files and ``--rules`` so staff replies are recognised.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from mailflow.cli_store import ConfigOpt, config_path, emit
from mailflow.config import load_config
from mailflow.errors import ConfigError
from mailflow.outbound.templates import bundled_templates_dir
from mailflow.policy.council import load_policy
from mailflow.privacy.sar import gather, staff_addresses
from mailflow.privacy.sar_folder import manifest, write_export
from mailflow.store.blobs import BlobStore, load_blob_key
from mailflow.store.db import make_engine, session_scope


def sar(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    out: Annotated[
        Path | None, typer.Option(help="New folder for the export (default: sar-<address>-<date>).")
    ] = None,
    config: ConfigOpt = None,
    db: Annotated[
        str | None, typer.Option("--db", "--database", help="Database URL; overrides the config.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option(help="Where the blobs are, with --db (default: the config's).")
    ] = None,
    rules: Annotated[
        str | None, typer.Option("--rules", "-r", help="Rules file naming the staff, with --db.")
    ] = None,
    templates: Annotated[
        Path | None, typer.Option(help="Templates folder (default: the bundled one).")
    ] = None,
) -> None:
    """Gather what is held about EMAIL (cases, messages, attachments, letters, notes, audit)
    into a folder with an index.html for the Data Protection Officer to review and send."""
    if db is None:
        config = config_path(config)
    cfg = load_config(config) if config else None
    if cfg is None and db is None:
        raise ConfigError("command line", "--config", "give --config mailflow.toml or --db URL")
    url = db or (cfg.database_url() if cfg else "")
    if data_dir is not None or cfg is None:
        if data_dir is None:
            raise ConfigError("command line", "--data-dir", "with --db, say where the blobs are")
        key_env = cfg.blob_key_env if cfg else ""
        blobs = BlobStore(
            data_dir / "blobs",
            key=load_blob_key(key_env) if key_env else None,
            key_name=key_env,
        )
    else:
        blobs = cfg.blob_store()
    rules_name = rules or (cfg.rules if cfg else None)
    staff = staff_addresses(load_policy(rules_name)) if rules_name else frozenset()
    now = datetime.now(UTC)
    folder = out or Path(f"sar-{re.sub(r'[^a-z0-9.-]+', '_', email.lower())}-{now:%Y%m%d}")
    with session_scope(make_engine(url)) as session:
        export = gather(session, blobs, email, staff=staff, now=now)
    index = write_export(export, folder, templates or bundled_templates_dir() / "sar")
    summary = manifest(export)
    emit({"index": str(index), **{k: v for k, v in summary.items() if k != "files"}})
