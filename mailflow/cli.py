"""The ``mailflow`` command line: thin wrappers that call the core and print JSON or text.

Outside tests rely on these commands' JSON, so every command prints machine-readable output on
stdout, exits 0 on success, and on bad input prints ONE line to stderr and exits non-zero —
never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from mailflow import cli_mail, cli_privacy, cli_rules, cli_sar, cli_store
from mailflow.errors import MailflowError
from mailflow.policy.council import CouncilPolicy, load_policy
from mailflow.policy.deadlines import DeadlinePlan, Due, plan
from mailflow.policy.schema import CHANNELS, KINDS
from mailflow.policy.summary import summary_lines
from mailflow.reports import commands as report_commands

app = typer.Typer(
    name="mailflow",
    help="Run a UK council's customer-contact and complaints procedure over plain email.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

RulesOpt = Annotated[
    str, typer.Option("--rules", "-r", help="Rules file, or a bundled council: stafford, chorley.")
]


def emit(data: Any) -> None:
    """Print one JSON document on stdout."""
    print(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command("check-rules")
def check_rules(
    rules: Annotated[str, typer.Argument(help="Rules file, or a bundled council's name.")],
) -> None:
    """Validate a rules file and print a one-screen summary of what it says, with warnings
    where it falls short of the Ombudsman's Complaint Handling Code."""
    from mailflow.policy.code_check import code_warnings, reminder_warnings

    policy = load_policy(rules)
    print("\n".join(summary_lines(policy)))
    warnings = code_warnings(policy, load_policy("lgsco-code")) + reminder_warnings(policy)
    for warning in warnings:
        print(f"warning: {warning}")
    print("OK: the rules file is valid")


def parse_received(text: str, policy: CouncilPolicy) -> datetime:
    """An ISO 8601 date or instant; without a zone it is the council's local time."""
    tz = ZoneInfo(policy.rules.council.timezone)
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(0, 0), tzinfo=tz)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not an ISO 8601 date or date-time") from None
    return value if value.tzinfo else value.replace(tzinfo=tz)


def _due_json(d: Due | None) -> dict[str, Any] | None:
    if d is None:
        return None
    return {
        "date": d.due_date.isoformat(),
        "lapses_at": d.due_at.isoformat(),
        "days": d.days,
        "unit": d.unit,
        "calendar": d.calendar,
        "counted_from": d.start,
        "source": d.source,
    }


def plan_json(policy: CouncilPolicy, p: DeadlinePlan, received: datetime) -> dict[str, Any]:
    """The ``deadlines`` contract: acknowledge_by and respond_by as ISO dates, then detail."""
    return {
        "council": policy.key,
        "kind": p.kind,
        "channel": p.channel,
        "procedure": p.procedure,
        "stage": p.stage,
        "owner": p.owner,
        "received": received.isoformat(),
        "acknowledge_by": p.acknowledge.due_date.isoformat() if p.acknowledge else None,
        "respond_by": p.respond.due_date.isoformat() if p.respond else None,
        "acknowledge": _due_json(p.acknowledge),
        "respond": _due_json(p.respond),
        "notes": list(p.notes),
    }


@app.command()
def deadlines(
    rules: RulesOpt,
    kind: Annotated[str, typer.Option(help=f"One of: {', '.join(KINDS)}.")],
    channel: Annotated[str, typer.Option(help=f"One of: {', '.join(CHANNELS)}.")],
    received: Annotated[str, typer.Option(help="When it arrived, ISO 8601 (local if no zone).")],
    stage: Annotated[int | None, typer.Option(help="Procedure stage (default: entry).")] = None,
    acknowledged: Annotated[
        str | None, typer.Option(help="When the acknowledgement went out, for Code-style clocks.")
    ] = None,
) -> None:
    """Print the acknowledge-by and respond-by dates for a contact, as JSON."""
    if kind not in KINDS:
        raise typer.BadParameter(f"unknown kind '{kind}' (one of {', '.join(KINDS)})")
    if channel not in CHANNELS:
        raise typer.BadParameter(f"unknown channel '{channel}' (one of {', '.join(CHANNELS)})")
    policy = load_policy(rules)
    at = parse_received(received, policy)
    ack = parse_received(acknowledged, policy) if acknowledged else None
    result = plan(policy, kind=kind, channel=channel, received=at, stage=stage, acknowledged=ack)
    emit(plan_json(policy, result, at))


@app.command()
def classify(
    rules: RulesOpt,
    files: Annotated[list[Path], typer.Argument(help="One or more .eml files.")],
) -> None:
    """Classify .eml files as the daemon would: one JSON object per file, in order."""
    from mailflow.errors import MailError
    from mailflow.mail.parse import parse_message
    from mailflow.pipeline.understand import as_json, understand

    policy = load_policy(rules)
    own = frozenset(a.lower() for a in policy.rules.council.mailboxes.values())
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise typer.BadParameter(f"{path}: cannot read ({exc.strerror})") from None
        try:
            parsed = parse_message(raw)
        except MailError as exc:
            raise MailError(f"{path}: {exc}") from None
        print(json.dumps(as_json(str(path), understand(policy, parsed, own)), ensure_ascii=False))


@app.command()
def run(
    config: Annotated[Path, typer.Option("--config", "-c", help="The daemon's mailflow.toml.")],
) -> None:
    """Run the daemon: watch the mailboxes, record and answer mail, until SIGTERM."""
    from mailflow import app as daemon
    from mailflow.config import load_config
    from mailflow.logs import configure

    cfg = load_config(config)
    configure(cfg.log.format, cfg.log.level)
    daemon.serve(cfg)


@app.command()
def demo(
    council: Annotated[
        str, typer.Option(help="Bundled council: stafford or chorley.")
    ] = "stafford",
    out: Annotated[
        Path | None, typer.Option(help="Folder for the results (default: a new one here).")
    ] = None,
) -> None:
    """Run mailflow on embedded defaults (no servers) and say where the results are."""
    import asyncio

    from mailflow.demo.scenario import run_demo

    if council not in ("stafford", "chorley"):
        raise typer.BadParameter(f"unknown council '{council}' (stafford or chorley)")
    folder = out or Path(f"mailflow-demo-{council}-{datetime.now():%Y%m%d-%H%M%S}")
    if folder.exists() and any(folder.iterdir()):
        raise typer.BadParameter(f"{folder} is not empty: give --out a new folder")
    print(f"mailflow demo: {council} rules, simulated clock, results in {folder}/")
    result = asyncio.run(run_demo(council, folder, print))
    print(f"\nDone. Everything mailflow did is in {result.resolve()}/:")
    print("  timeline.txt  the timeline above")
    print("  received/     every mail that reached the council (.eml), officers' replies too")
    print("  sent/         every mail sent (.eml: open with any mail program)")
    print("  letters/      the Word letters attached to them")
    print("  report/       the monthly monitoring report (Word, CSV)")
    print("  cases/        each case with its deadlines and how each date was computed")
    print("  mailbox/      the shared mailbox as an officer sees it (Processed, Automatic, Sent)")


@app.command()
def health(
    config: Annotated[Path, typer.Option("--config", "-c", help="The daemon's mailflow.toml.")],
) -> None:
    """Exit 0 if mailflow is healthy, 1 if not (for monitoring); one line per check."""
    from mailflow.config import load_config
    from mailflow.monitor.probe import probe

    ok, lines = probe(load_config(config))
    print("\n".join(lines))
    if not ok:
        raise typer.Exit(1)


app.add_typer(cli_rules.rules_app, name="rules")
app.command("notices")(cli_rules.notices)
app.add_typer(cli_store.db_app, name="db")
app.command("cases")(cli_store.cases)
app.command("show")(cli_store.show)
app.command("backup")(cli_store.backup)
app.command("restore")(cli_store.restore)
app.add_typer(cli_store.quarantine_app, name="quarantine")
app.command("sar")(cli_sar.sar)
app.command("report")(report_commands.report)
app.command("ombudsman")(report_commands.ombudsman)
app.command("replay")(cli_mail.replay)
app.command("import")(cli_mail.import_mbox)
app.command("retention")(cli_privacy.retention)
app.command("erase")(cli_privacy.erase)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; map every expected failure to one line on stderr and an exit code."""
    command = typer.main.get_command(app)
    args = list(argv if argv is not None else sys.argv[1:]) or ["--help"]
    try:
        # Without standalone mode, click returns (rather than raises) the code of typer.Exit.
        code = command.main(args=args, prog_name="mailflow", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        print("mailflow: interrupted", file=sys.stderr)
        return 130
    except typer.TyperException as exc:
        print(f"mailflow: {exc.format_message()}", file=sys.stderr)
        return int(exc.exit_code)
    except MailflowError as exc:
        print(f"mailflow: {exc}", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0


def entry() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":
    sys.exit(main())
