"""CLI commands of the data-protection officer and administrator: ``retention`` and ``erase``.

Kept apart from ``cli.py`` (as ``cli_store`` is) so commands that need no database stay quick
to import. Each prints JSON on stdout (references, kinds and counts, never content or the
person's address) and fails with one line on stderr.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from mailflow import cli_store
from mailflow.policy.council import load_policy
from mailflow.store.db import make_engine


def emit(data: Any) -> None:
    """Print one JSON document on stdout."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def retention(
    config: cli_store.ConfigOpt = None,
    db: cli_store.DbOpt = None,
    rules: Annotated[
        str | None, typer.Option("--rules", "-r", help="Rules file (default: the config's).")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what has expired; change nothing.")
    ] = False,
) -> None:
    """Apply the rules' retention schedule now: anonymise expired contacts (their anonymous
    facts stay for the reports) and delete expired automatic mail; --dry-run only lists them."""
    from mailflow.privacy.retention import run_retention

    cfg = cli_store.required_config(config)
    policy = load_policy(rules or cfg.rules)
    engine = make_engine(cli_store.database_url(config, db))
    run = run_retention(engine, policy, cfg.blob_store(), now=datetime.now(UTC), dry_run=dry_run)
    emit(run.as_json())


def erase(
    email: Annotated[str, typer.Argument(help="The person's email address.")],
    reason: Annotated[
        str, typer.Option("--reason", help="Why (e.g. 'erasure request of 3 March, DPO ref 12').")
    ],
    config: cli_store.ConfigOpt = None,
    db: cli_store.DbOpt = None,
) -> None:
    """Anonymise one person across the store (UK GDPR Art. 17); refused while any of their
    contacts is open or under a legal hold. Reports stay intact."""
    from mailflow.privacy.erasure import erase as erase_person

    cfg = cli_store.required_config(config)
    engine = make_engine(cli_store.database_url(config, db))
    done = erase_person(
        engine,
        cfg.blob_store(),
        email,
        reason=reason,
        key=cfg.hmac_key(),
        now=datetime.now(UTC),
    )
    emit(done.as_json())
