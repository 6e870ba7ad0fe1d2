"""A report as data: a one-page summary, then sections of tables and charts, each with targets.

Cells keep their values (counts as ``int``, percentages as ``float``) so the CSV files carry
numbers; ``shown`` formats them for the Word and HTML documents. Nothing here holds a customer's
name, address or words: the tables are built from counts, and action texts are blanked first.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailflow.reports.periods import Period

Cell = str | int | float | None
FORMATS = ("docx", "csv", "html")
"""The files a report can be written as."""


@dataclass(frozen=True, kw_only=True)
class Table:
    """One table of the report; ``key`` names its CSV file."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def column(self, name: str) -> list[Cell]:
        """The values of one column, top to bottom."""
        i = self.columns.index(name)
        return [row[i] for row in self.rows]

    def row(self, first: Cell) -> tuple[Cell, ...]:
        """The row whose first cell is ``first``."""
        for row in self.rows:
            if row[0] == first:
                return row
        raise KeyError(f"{self.key}: no row {first!r}")

    def as_dicts(self) -> list[dict[str, Cell]]:
        """The rows as column-name dictionaries (what the tests compare with)."""
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True, kw_only=True)
class Section:
    """A heading with its tables and the charts that illustrate them."""

    title: str
    tables: tuple[Table, ...]
    charts: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Report:
    """Everything one monitoring report says, before it is written as Word, CSV or HTML."""

    council: str
    council_name: str
    period: Period
    generated: datetime
    summary: Table
    sections: tuple[Section, ...]
    series: dict[str, Table] = field(default_factory=dict)
    """Tables the charts draw from, by chart name (also in ``sections``)."""

    def tables(self) -> list[Table]:
        """The summary and every detail table, in reading order."""
        return [self.summary, *(t for s in self.sections for t in s.tables)]

    def table(self, key: str) -> Table:
        """A table by its key."""
        for found in self.tables():
            if found.key == key:
                return found
        raise KeyError(f"the report has no table {key!r}")


def percent(part: int, whole: int) -> float | None:
    """``part`` as a percentage of ``whole`` to one decimal place; None when there is no whole."""
    return None if whole == 0 else round(100.0 * part / whole, 1)


def rank(histogram: Counter[int], fraction: float) -> int | None:
    """The nearest-rank percentile: the smallest value with at least ``fraction`` of the counts
    at or below it (the median is ``fraction=0.5``, the 90th percentile ``0.9``)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    wanted = max(1, math.ceil(fraction * total))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= wanted:
            return value
    raise AssertionError("unreachable: the counts add up to the total")


def shown(value: Cell) -> str:
    """A cell as the documents print it: "-" for no value, one decimal for a percentage,
    thousands separated (a council's year runs to hundreds of thousands of contacts)."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def share(part: int, whole: int) -> str:
    """ "7 of 9 (77.8%)", or "none" when there was nothing to count."""
    pct = percent(part, whole)
    return "none in the period" if pct is None else f"{part:,} of {whole:,} ({pct:.1f}%)"


def table(
    key: str, title: str, columns: Sequence[str], rows: Iterable[Sequence[Cell]], note: str = ""
) -> Table:
    """A table from any sequences."""
    return Table(
        key=key,
        title=title,
        columns=tuple(columns),
        rows=tuple(tuple(r) for r in rows),
        note=note,
    )
