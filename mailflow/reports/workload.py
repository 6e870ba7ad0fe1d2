"""The workload tables every council gets: contacts by kind and channel, open cases by age."""

from __future__ import annotations

from collections import Counter

from mailflow.reports import labels
from mailflow.reports.facts import Facts
from mailflow.reports.tables import Cell, Table, table

AGE_BANDS = ((0, 5), (6, 10), (11, 20), (21, 40), (41, None))
"""Working days since receipt, as the open-cases table groups them."""


def by_kind_and_channel(facts: Facts) -> Table:
    """New contacts received in the period, by kind (rows) and channel (columns)."""
    counts: Counter[tuple[str, str]] = Counter()
    for k, n in facts.received.items():
        if k.bucket == facts.scope.current:
            counts[k.kind, k.channel] += n
    kinds = [k for k in labels.KINDS if any(counts[k, c] for c in labels.CHANNELS)]
    used = {c for _, c in counts}
    channels = [c for c in labels.CHANNELS if c in used or c == "email"]
    rows: list[list[Cell]] = []
    for kind in kinds:
        values = [counts[kind, c] for c in channels]
        rows.append([labels.KINDS[kind], *values, sum(values)])
    totals = [sum(counts[k, c] for k in kinds) for c in channels]
    rows.append(["All contacts", *totals, sum(totals)])
    return table(
        "contacts_by_kind_and_channel",
        "Contacts by kind and channel",
        ("Kind", *(labels.CHANNELS[c] for c in channels), "Total"),
        rows,
        "New contacts received in the period (automatic mail is never a contact).",
    )


def _band(age: int) -> str:
    for low, high in AGE_BANDS:
        if high is None or age <= high:
            return f"{low} to {high}" if high is not None else f"over {low - 1}"
    raise AssertionError("the last band is open-ended")


def open_by_age(facts: Facts) -> Table:
    """Contacts still open at the end of the period, by working days since receipt."""
    counts: Counter[tuple[str, str]] = Counter()
    for k, n in facts.open_cases.items():
        if k.kind == "complaint" and k.is_case:
            family = "complaints"
        elif k.kind == "foi_request":
            family = "foi"
        else:
            family = "other"
        counts[_band(k.age), family] += n
    rows: list[list[Cell]] = []
    for low, _ in AGE_BANDS:
        band = _band(low)
        values = [counts[band, f] for f in ("complaints", "foi", "other")]
        rows.append([band, *values, sum(values)])
    totals = [sum(int(r[i] or 0) for r in rows) for i in range(1, 5)]
    rows.append(["All open", *totals])
    return table(
        "open_by_age",
        "Open cases by age",
        ("Working days open", "Complaints", "FOI requests", "Other contacts", "Total"),
        rows,
        "Open at the end of the period (or now, for a period not yet over), by working days "
        "since receipt. Kinds the rules never answer (junk, abusive mail) are left out.",
    )
