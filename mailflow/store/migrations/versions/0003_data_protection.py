"""Data protection: when a contact was made anonymous, and why it is under a legal hold.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

``contact.anonymised_at`` marks a contact whose personal data the retention schedule or an
erasure request removed (``mailflow.privacy``): its anonymous facts stay for the reports and
it is never processed again. ``contact.legal_hold_reason`` is the reason an officer gave with
``#hold``; ``contact.legal_hold`` itself exists since 0001. Batch mode, so SQLite can add them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the two columns to contact."""
    with op.batch_alter_table("contact") as batch:
        batch.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("legal_hold_reason", sa.Text()))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("contact") as batch:
        batch.drop_column("legal_hold_reason")
        batch.drop_column("anonymised_at")
