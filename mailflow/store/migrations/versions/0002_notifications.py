"""Scheduled notices: the notification table, the plan mark on deadlines, paused contacts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Adds what the scheduler needs (``mailflow.schedule``): every reminder, escalation, breach
warning and digest as a ``notification`` row, unique per (deadline, kind, recipient, instant)
through ``dedupe_key``; ``deadline.notices_planned_for``, the due instant a deadline's notices
were planned from; and ``contact.awaiting_since``, when a clock was paused for the customer.
Plain SQLAlchemy types only, as in 0001, and batch mode so SQLite can add the columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the notification table and add the two columns."""
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=255), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("deadline_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("recipient_role", sa.String(length=64), nullable=False),
        sa.Column("recipient_address", sa.String(), nullable=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("step", sa.String(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outbox_message_id", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_notification_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(
            ["deadline_id"], ["deadline.id"], name=op.f("fk_notification_deadline_id_deadline")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notification_dedupe_key")),
    )
    op.create_index(op.f("ix_notification_council"), "notification", ["council"])
    op.create_index(op.f("ix_notification_contact_id"), "notification", ["contact_id"])
    op.create_index(op.f("ix_notification_deadline_id"), "notification", ["deadline_id"])
    op.create_index(op.f("ix_notification_status_due_at"), "notification", ["status", "due_at"])
    with op.batch_alter_table("deadline") as batch:
        batch.add_column(sa.Column("notices_planned_for", sa.DateTime(timezone=True)))
        batch.create_index(op.f("ix_deadline_notices_planned_for"), ["notices_planned_for"])
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("awaiting_since", sa.DateTime(timezone=True)))


def downgrade() -> None:
    """Drop the notification table and the two columns."""
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("awaiting_since")
    with op.batch_alter_table("deadline") as batch:
        batch.drop_index(op.f("ix_deadline_notices_planned_for"))
        batch.drop_column("notices_planned_for")
    op.drop_table("notification")
