"""CLI commands of the reports: ``mailflow report`` and ``mailflow ombudsman``.

Both print one JSON document on stdout, as every mailflow command does, and leave errors to
``cli.main`` (one line on stderr, exit 1).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer

from mailflow.cli_store import ConfigOpt, DbOpt, database_url, emit
from mailflow.policy.council import load_policy
from mailflow.reports.build import build_report
from mailflow.reports.ombudsman import record_ombudsman_decision
from mailflow.reports.periods import Period, parse_period, range_period
from mailflow.reports.tables import FORMATS
from mailflow.store.db import make_engine


def _date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None


def _instant(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"--at {text!r} is not an ISO 8601 instant") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def chosen_period(period: str | None, start: str | None, end: str | None) -> Period:
    """``--period`` or both ``--from`` and ``--to``, never both kinds."""
    if period and (start or end):
        raise typer.BadParameter("give --period, or --from and --to, not both")
    if period:
        return parse_period(period)
    if start and end:
        return range_period(_date(start, "--from"), _date(end, "--to"))
    raise typer.BadParameter("give --period (2026-11, 2026-Q3, 2026) or --from and --to")


def report(
    rules: Annotated[str, typer.Option("--rules", "-r", help="Rules file, or a bundled council.")],
    period: Annotated[
        str | None, typer.Option(help="A month (2026-11), quarter (2026-Q3) or year (2026).")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last day (YYYY-MM-DD).")] = None,
    formats: Annotated[
        str, typer.Option("--format", help=f"Comma-separated: {','.join(FORMATS)}.")
    ] = "docx,csv",
    out: Annotated[Path, typer.Option(help="Folder for the files.")] = Path("."),
    config: ConfigOpt = None,
    db: DbOpt = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Report as at this instant (default: now).")
    ] = None,
) -> None:
    """Write the monitoring report for a period as Word, CSV and HTML files; print what it wrote."""
    policy = load_policy(rules)
    chosen = chosen_period(period, start, end)
    engine = make_engine(database_url(config, db))
    try:
        built = build_report(engine, policy, chosen, now=_instant(at))
    finally:
        engine.dispose()
    from mailflow.reports.files import write_report  # matplotlib and docxtpl: only when used

    wanted = [f.strip() for f in formats.split(",") if f.strip()]
    files = write_report(built, out, wanted)
    emit(
        {
            "council": policy.key,
            "period": chosen.key,
            "label": chosen.label,
            "files": [str(p) for p in files],
            "summary": [
                dict(zip(built.summary.columns, r, strict=True)) for r in built.summary.rows
            ],
        }
    )


def ombudsman(
    reference: Annotated[str, typer.Argument(help="The case reference, e.g. CHC-2026-00042.")],
    upheld: Annotated[
        bool, typer.Option("--upheld/--not-upheld", help="What the Ombudsman decided.")
    ],
    by: Annotated[str, typer.Option(help="Who is recording it.")] = "cli",
    at: Annotated[
        str | None, typer.Option("--at", help="When the decision was received (default: now).")
    ] = None,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Record the Local Government and Social Care Ombudsman's decision on a case, once."""
    engine = make_engine(database_url(config, db))
    try:
        decision = record_ombudsman_decision(
            engine, reference, upheld=upheld, at=_instant(at), actor=by
        )
    finally:
        engine.dispose()
    emit(
        {
            "reference": decision.reference,
            "upheld": decision.upheld,
            "recorded_at": decision.at.isoformat(),
            "recorded": decision.recorded,
        }
    )
