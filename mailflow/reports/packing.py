"""Grouping by one packed integer instead of several columns, and driving joins from the big
table.

SQLite groups by sorting every row (``USE TEMP B-TREE FOR GROUP BY``), and sorting a million rows
on five text columns took about four times as long as on one integer. So a report query selects
its values in a ``rows`` subquery and groups by a single integer that packs them in mixed radix,
each coded as a small number (a vocabulary value's position, a flag, a bounded count); Python
unpacks the few hundred keys that come back. PostgreSQL hashes either way and is not slowed.

``driven`` keeps SQLite from turning a join inside out: given ``contact.id = deadline.contact_id``
it may scan all contacts and look each one's deadlines up by index, a million look-ups to find
the few thousand rows the period needs; written ``deadline.contact_id + 0`` the index cannot
be used from that side, so SQLite scans the deadlines, filters them, and fetches each contact
by its primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Select,
    String,
    Subquery,
    case,
    literal,
    literal_column,
    type_coerce,
)
from sqlalchemy.sql import ColumnElement

OTHER = "?"
"""What an unexpected value of a vocabulary unpacks as."""


@dataclass(frozen=True)
class Dimension:
    """One grouped value: a vocabulary (``values``), a flag, or a count in ``0..limit``."""

    expr: ColumnElement[Any]
    values: tuple[Any, ...] = ()
    flag: bool = False
    limit: int = 0

    @property
    def size(self) -> int:
        """How many codes the dimension uses."""
        if self.flag:
            return 2
        if self.values:
            return len(self.values) + 1  # the last code: anything else
        return self.limit + 2  # 0: no value; n + 1: the count n (capped at limit)

    def code(self) -> ColumnElement[Any]:
        """The dimension as a small integer, in SQL."""
        if self.flag:
            return case((self.expr, 1), else_=0)
        if self.values:
            whens = [
                (self.expr.is_(None) if v is None else self.expr == v, i)
                for i, v in enumerate(self.values)
            ]
            return case(*whens, else_=len(self.values))
        capped = case((self.expr > self.limit, self.limit), (self.expr < 0, 0), else_=self.expr)
        return case((self.expr.is_(None), 0), else_=capped + 1)

    def decode(self, code: int) -> Any:
        """The value a code stands for."""
        if self.flag:
            return bool(code)
        if self.values:
            return self.values[code] if code < len(self.values) else OTHER
        return None if code == 0 else code - 1


def pack(dimensions: Sequence[Dimension]) -> ColumnElement[Any]:
    """One integer holding every dimension's code (the first dimension varies slowest).

    Read the dimensions from a ``rows`` subquery, so each value is computed once per row.
    """
    key: ColumnElement[Any] = literal(0, BigInteger)
    for d in dimensions:
        key = key * d.size + d.code()
    return key.label("packed")


def rows(query: Select[Any]) -> Subquery:
    """``query`` as a subquery neither engine merges into the grouping query around it.

    ``OFFSET 0`` keeps PostgreSQL from pulling it up and SQLite from flattening it (SQLite's
    flattening rule 14), so an expression computed in it is computed once per row, not again
    wherever the packed key repeats it.
    """
    return query.offset(0).subquery("rows")


def unpack(key: int, dimensions: Sequence[Dimension]) -> tuple[Any, ...]:
    """The values a packed key holds, in the order of ``dimensions``."""
    codes = []
    for d in reversed(dimensions):
        key, code = divmod(key, d.size)
        codes.append(d.decode(code))
    return tuple(reversed(codes))


def driven(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """``column`` made unusable as an index key on SQLite, so the join is driven from its table."""
    return column + 0 if dialect == "sqlite" else column


def scanned(column: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """``column`` as text SQLite cannot use an index for, so it scans the table instead.

    The deadline index on (status, due_at) serves the scheduler's "open and due" look-up; for
    a report's "met in the period" it would fetch nearly every row one by one, several times
    slower than reading the table straight through.
    """
    if dialect != "sqlite":
        return column
    return type_coerce(column, String).concat(literal_column("''"))
