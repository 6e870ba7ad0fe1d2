"""CLI commands about deadlines in motion: ``rules reload`` and ``notices``.

Kept apart from ``cli.py`` (as ``cli_store`` is) so the commands that need no database stay
quick to import; each prints JSON on stdout and fails with one line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from mailflow import cli_store
from mailflow.policy.council import load_policy


def emit(data: Any) -> None:
    """Print one JSON document on stdout."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


rules_app = typer.Typer(help="Rules files in a running system.", no_args_is_help=True)


@rules_app.command("reload")
def rules_reload(
    config: cli_store.ConfigOpt = None,
    db: cli_store.DbOpt = None,
    rules: Annotated[str | None, typer.Option("--rules", "-r", help="Rules file.")] = None,
) -> None:
    """Recompute open deadlines on the rules as they are now (a closure day added, say) and
    print, as JSON, each deadline that moved; running daemons re-plan reminders from it (send
    them SIGHUP so they also use the new rules for new contacts)."""
    from mailflow.config import load_config
    from mailflow.schedule.reload import recompute_open_deadlines
    from mailflow.store.db import make_engine

    if rules is None:
        if config is None:
            raise typer.BadParameter("give --rules RULES or --config mailflow.toml")
        rules = load_config(config).rules
    policy = load_policy(rules)
    engine = make_engine(cli_store.database_url(config, db))
    moved = recompute_open_deadlines(engine, policy, now=datetime.now(UTC))
    report = [m.as_json() for m in moved]
    emit({"council": policy.key, "rules": str(policy.source), "moved": report})


def notices(
    reference: Annotated[str, typer.Argument(help="The case reference, e.g. SBC-2026-00042.")],
    config: cli_store.ConfigOpt = None,
    db: cli_store.DbOpt = None,
) -> None:
    """A case's reminders, escalations and breach warnings, as JSON: when each is or was due,
    to whom, which plan step, and what became of it (sent, cancelled and why)."""
    from sqlmodel import col, select

    from mailflow.store.db import make_engine, session_scope
    from mailflow.store.models import Notification
    from mailflow.store.repo import contact_by_reference

    engine = make_engine(cli_store.database_url(config, db))
    with session_scope(engine) as session:
        contact = contact_by_reference(session, reference)
        rows = session.exec(
            select(Notification)
            .where(col(Notification.contact_id) == contact.id)
            .order_by(col(Notification.due_at), col(Notification.id))
        ).all()
        emit(
            [
                {
                    "kind": r.kind.value,
                    "due": r.due_at.isoformat(),
                    "to": r.recipient_role,
                    "address": r.recipient_address,
                    "plan": r.plan,
                    "when": r.step,
                    "status": r.status.value,
                    "reason": r.reason,
                    "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                }
                for r in rows
            ]
        )
