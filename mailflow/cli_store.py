"""CLI commands that read or migrate the case store: ``db upgrade``, ``cases``, ``show``.

Kept apart from ``cli.py`` so the commands that need no database stay quick to import.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from mailflow.config import Config, load_config
from mailflow.errors import ConfigError
from mailflow.store import migrate
from mailflow.store.cases import load_case
from mailflow.store.db import display_url, make_engine, session_scope
from mailflow.store.repo import audit_trail, contact_by_reference, list_contacts
from mailflow.store.vocab import ContactKind, ContactStatus

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="mailflow.toml (or $MAILFLOW_CONFIG).")
]
DbOpt = Annotated[str | None, typer.Option("--db", help="Database URL; overrides the config.")]

db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)


def emit(data: Any) -> None:
    """Print one JSON document on stdout."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def config_path(config: Path | None) -> Path | None:
    """--config, else $MAILFLOW_CONFIG, else none."""
    if config is not None:
        return config
    return Path(os.environ["MAILFLOW_CONFIG"]) if "MAILFLOW_CONFIG" in os.environ else None


def required_config(config: Path | None) -> Config:
    """The daemon's config from --config or $MAILFLOW_CONFIG; one of them is required."""
    path = config_path(config)
    if path is None:
        raise ConfigError("command line", "--config", "give --config mailflow.toml")
    return load_config(path)


def database_url(config: Path | None, db: str | None) -> str:
    """The database to use: --db, else the config file's, else $MAILFLOW_CONFIG's."""
    if db:
        return db
    path = config_path(config)
    if path is None:
        raise ConfigError("command line", "--db", "give --db URL or --config mailflow.toml")
    return load_config(path).database_url()


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Create or migrate the database schema to this version of mailflow."""
    url = database_url(config, db)
    migrate.upgrade(url)
    print(f"database {display_url(url)} is at revision {migrate.current(url)}")


def cases(
    config: ConfigOpt = None,
    db: DbOpt = None,
    council: Annotated[str | None, typer.Option(help="Council key, e.g. stafford.")] = None,
    kind: Annotated[str | None, typer.Option(help="Kind of contact.")] = None,
    stage: Annotated[int | None, typer.Option(help="Stage number.")] = None,
    status: Annotated[str | None, typer.Option(help="open, awaiting_customer or closed.")] = None,
    overdue: Annotated[bool, typer.Option(help="Only contacts with a lapsed deadline.")] = False,
) -> None:
    """List contacts (filter by council, kind, stage, status, overdue), as JSON."""
    kinds = {k.value for k in ContactKind}
    if kind is not None and kind not in kinds:
        raise typer.BadParameter(f"unknown kind '{kind}'")
    if status is not None and status not in {s.value for s in ContactStatus}:
        raise typer.BadParameter(f"unknown status '{status}'")
    engine = make_engine(database_url(config, db))
    with session_scope(engine) as session:
        rows = list_contacts(
            session,
            council=council,
            kind=ContactKind(kind) if kind else None,
            stage=stage,
            status=ContactStatus(status) if status else None,
            overdue_at=datetime.now(UTC) if overdue else None,
        )
        emit(
            [
                {
                    "reference": c.reference,
                    "kind": c.kind.value,
                    "stage": c.stage,
                    "status": c.status.value,
                    "service": c.service,
                    "assigned_to": c.assigned_to,
                    "received_at": c.received_at.isoformat(),
                    "subject": c.subject,
                }
                for c in rows
            ]
        )


def show(
    reference: Annotated[str, typer.Argument(help="The case reference, e.g. SBC-2026-00042.")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Show a case: messages, stages, deadlines with how each was computed, audit trail."""
    from sqlmodel import col, select

    from mailflow.store.models import Message

    engine = make_engine(database_url(config, db))
    with session_scope(engine) as session:
        contact = contact_by_reference(session, reference)
        state = load_case(session, contact)
        messages = session.exec(
            select(Message).where(Message.contact_id == contact.id).order_by(col(Message.id))
        ).all()
        assert contact.id is not None
        emit(
            {
                "reference": state.reference,
                "council": state.council,
                "kind": state.kind,
                "channel": state.channel,
                "service": state.service,
                "route": state.route,
                "assigned_to": state.assigned_to,
                "is_case": state.is_case,
                "stage": state.stage,
                "status": state.status,
                "customer": state.customer_address,
                "subject": state.subject,
                "flags": list(state.flags),
                "why": list(state.reasons),
                "confidence": state.confidence,
                "legal_hold": state.legal_hold_reason if state.legal_hold else None,
                "anonymised_at": contact.anonymised_at,
                "stages": [
                    {
                        "number": s.number,
                        "owner": s.owner_role,
                        "address": s.owner_address,
                        "opened_at": s.opened_at,
                        "acknowledged_at": s.acknowledged_at,
                        "responded_at": s.responded_at,
                        "outcome": s.outcome,
                    }
                    for s in state.stages
                ],
                "deadlines": [
                    {
                        "stage": d.stage,
                        "purpose": d.purpose,
                        "due": d.due_date,
                        "status": d.status,
                        "met_at": d.met_at,
                        "calendar": d.calendar,
                        "how": list(d.explain),
                    }
                    for d in state.deadlines
                ],
                "messages": [
                    {
                        "direction": m.direction.value,
                        "status": m.status.value,
                        "from": m.from_address,
                        "subject": m.subject,
                        "message_id": m.message_id,
                        "at": m.received_at,
                    }
                    for m in messages
                ],
                "audit": [
                    {"at": a.at, "actor": a.actor, "event": a.event, "detail": a.detail}
                    for a in audit_trail(session, contact.id)
                ],
            }
        )


def _blob_dir(config: Path | None) -> Path:
    """The blob store's folder, from the config (it is where the daemon keeps raw mail)."""
    return required_config(config).data_dir / "blobs"


def backup(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the backup folder in.")],
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Back up the database and the stored messages, attachments and letters into one new
    folder with a manifest; safe while the daemon runs."""
    from mailflow.store.backup import backup as make_backup

    done = make_backup(database_url(config, db), _blob_dir(config), out)
    emit({"backup": str(done.folder), **done.manifest})


def restore(
    folder: Annotated[Path, typer.Argument(help="A folder written by mailflow backup.")],
    config: ConfigOpt = None,
    db: DbOpt = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that holds contacts already.")
    ] = False,
) -> None:
    """Restore a backup (stop the daemon first): the database, then migrated to this version,
    and the stored files. Checks every file against the manifest before changing anything."""
    from mailflow.store.backup import restore as put_back

    url = database_url(config, db)
    done = put_back(folder, url, _blob_dir(config), force=force)
    emit({"restored": str(done.folder), "database": display_url(url), **done.manifest})


quarantine_app = typer.Typer(help="Mail the pipeline could not read.", no_args_is_help=True)


@quarantine_app.command("list")
def quarantine_list(config: ConfigOpt = None, db: DbOpt = None) -> None:
    """List quarantined mail waiting for review (id, mailbox, when, why), as JSON."""
    from mailflow.store.quarantine import quarantined

    engine = make_engine(database_url(config, db))
    with session_scope(engine) as session:
        emit(quarantined(session))


@quarantine_app.command("reviewed")
def quarantine_reviewed(
    ids: Annotated[list[int], typer.Argument(help="Ids from 'mailflow quarantine list'.")],
    note: Annotated[str, typer.Option("--note", help="What was done with it.")],
    by: Annotated[str, typer.Option("--by", help="Who reviewed it.")] = "",
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Record that quarantined mail was reviewed; the retention schedule may then delete it."""
    import getpass

    from mailflow.store.quarantine import mark_reviewed

    engine = make_engine(database_url(config, db))
    with session_scope(engine) as session:
        done = mark_reviewed(
            session, ids, by=by or getpass.getuser(), note=note, now=datetime.now(UTC)
        )
    emit({"reviewed": done})
