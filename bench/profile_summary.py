"""Where the daemon's time goes: a summary of py-spy's collapsed stacks (``--format raw``).

Run: ``.venv/bin/python bench/profile_summary.py FILE [--top 25]`` on the file
``bench/ingest.py --profile FILE`` wrote. Prints, as shares of all samples taken while a thread
was busy (py-spy leaves idle threads out): the mailflow functions by inclusive time, and the
functions by self time (where the CPU actually was).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.+?) \((?P<file>[^:()]+)(?::\d+)?\)$")


def frames(stack: str) -> list[tuple[str, str]]:
    """(function, file) of each frame, outermost first; the thread label is dropped."""
    out = []
    for part in stack.split(";"):
        match = _FRAME.match(part.strip())
        if match:
            out.append((match["func"], match["file"]))
    return out


# Where a sample's time is charged: the first of these (outermost first) found in its stack.
STAGES = (
    ("inbound: parse (limits scan, email, body text)", "mailflow/mail/parse.py:parse_message"),
    ("inbound: classify and route", "mailflow/pipeline/understand.py:understand"),
    ("inbound: raw message and attachments to the blob store", "mailflow/store/repo.py:save_blob"),
    (
        "inbound: thread, decide, write case and outbox rows",
        "mailflow/pipeline/inbound.py:Inbound._process",
    ),
    ("inbound: commit", "mailflow/pipeline/inbound.py:Inbound.process"),
    ("watcher: IMAP fetch, MOVE, checkpoint", "mailflow/ingest/watcher.py:Watcher.run"),
    ("outbox: Word letters (docxtpl)", "mailflow/outbound/compose.py:render_letters"),
    (
        "outbox: compose mail (templates, headers)",
        "mailflow/outbound/worker.py:OutboxWorker._compose",
    ),
    ("outbox: read the round's cases (load_jobs)", "mailflow/outbound/claims.py:load_jobs"),
    ("outbox: SMTP send (a connection per round)", "mailflow/outbound/smtp.py:SmtpBackend.deliver"),
    ("outbox: record the round (record_round)", "mailflow/outbound/claims.py:record_round"),
    (
        "outbox: Sent folder APPEND (kept-open login)",
        "mailflow/outbound/sentfolder.py:SentFolders.append",
    ),
    ("outbox: claim and next due", "mailflow/outbound/worker.py:OutboxWorker.run"),
)


def stage_of(stack: list[tuple[str, str]]) -> str:
    names = [f"{file}:{func}" for func, file in stack]
    for label, marker in STAGES:
        if marker in names:
            return label
    return "other (event loop, thread hand-offs, start-up)"


def load(path: Path) -> list[tuple[list[tuple[str, str]], int]]:
    stacks = []
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((frames(stack), int(count)))
    return stacks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    stacks = load(args.file)
    total = sum(n for _, n in stacks) or 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for stack, n in stacks:
        seen = set()
        for func, file in stack:
            if file.startswith("mailflow/") and (func, file) not in seen:
                seen.add((func, file))
                inclusive[f"{file}:{func}"] += n
        if stack:
            func, file = stack[-1]
            own[f"{file}:{func}"] += n
    stages: Counter[str] = Counter()
    for stack, n in stacks:
        stages[stage_of(stack)] += n
    print(f"{total} busy samples\n\nstages (each sample charged once):")
    for name, n in stages.most_common():
        print(f"{n / total:7.1%}  {name}")
    print("\nmailflow functions, inclusive:")
    for name, n in inclusive.most_common(args.top):
        print(f"{n / total:7.1%}  {name}")
    print("\nself time:")
    for name, n in own.most_common(args.top):
        print(f"{n / total:7.1%}  {name}")


if __name__ == "__main__":
    main()
