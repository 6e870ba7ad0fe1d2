"""Speed: an index on contacts' customer address, lower-cased.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

The outbox's per-address daily cap (``outbound.claims.sent_in_day``) and the intake's sender
history (``pipeline.evidence.sender_history``) find a customer's contacts by
``lower(customer_address)``; without this index each looked at every contact, once per mail
and three times per message, so the cost of a message grew with the number of contacts.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_contact_customer_address_lower"


def upgrade() -> None:
    """Create the expression index."""
    op.create_index(INDEX, "contact", [sa.text("lower(customer_address)")])


def downgrade() -> None:
    """Drop it."""
    op.drop_index(INDEX, table_name="contact")
