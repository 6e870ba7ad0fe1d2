"""Column types shared by the table models, so both engines store and return the same values.

- ``AwareDateTime``: every instant is timezone-aware UTC. PostgreSQL keeps ``timestamptz``;
  SQLite has no zone, so the UTC wall time is stored and UTC is attached again on the way out.
  A naive datetime is refused at bind time, because a naive deadline is a bug waiting for the
  clocks to change.
- ``vocab``: a closed vocabulary (``StrEnum``) kept in ``VARCHAR(32)``, checked on the way in.
- ``NAMING``: constraint and index names, so migrations can name what they alter on both engines.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, Enum, Interval
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.operators import OperatorType
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

VOCAB_LENGTH = 32
"""Room for the longest vocabulary value, so new members rarely need a migration."""


class AwareDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every engine; naive values are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def coerce_compared_value(self, op: OperatorType | None, value: Any) -> TypeEngine[Any]:
        """Let ``column + timedelta`` and friends compile as interval arithmetic."""
        if isinstance(value, timedelta):
            return Interval()
        return self

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; on SQLite drop the zone so every stored string sorts as UTC."""
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()}: store aware UTC instants only")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC instant whatever the engine handed back."""
        if value is None:
            return None
        if value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def vocab(enum_class: type[StrEnum]) -> Enum:
    """A ``VARCHAR(32)`` column holding ``enum_class`` values, refusing anything else.

    Not a native PostgreSQL enum and no CHECK constraint: the Python vocabulary is the one list,
    and growing it must not need a migration.
    """
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=VOCAB_LENGTH,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
