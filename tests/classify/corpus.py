"""Reading the labelled corpus: the ONE place tests and the benchmark turn an .eml into text.

It uses mailflow's real parser, so the corpus measures what the daemon will do.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mailflow.mail.automatic import detect_automatic
from mailflow.mail.parse import parse_message

CORPUS = Path(__file__).resolve().parents[1] / "data" / "corpus"
LABELS = CORPUS / "labels.yaml"
RULES = Path(__file__).resolve().parents[2] / "rules" / "classify.yaml"


@dataclass(frozen=True)
class Message:
    """What the classifier is given: subject, sender address, plain text and automatic verdict."""

    subject: str
    sender: str | None
    body: str
    automatic: str | None


@dataclass(frozen=True)
class Label:
    """One file's expected classification (see the header of labels.yaml)."""

    file: str
    kind: str
    service: str | None = None
    signpost: str | None = None
    topics: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    anonymous: bool = False
    escalation_request: bool = False
    avoidable: str | None = None
    strict: bool = True
    holdout: bool = False
    note: str = field(default="", compare=False)


def read_message(path: Path) -> Message:
    """Parse an .eml with mailflow's own parser and automatic-mail detector, as the daemon does."""
    parsed = parse_message(path.read_bytes())
    verdict = detect_automatic(parsed)
    return Message(
        subject=parsed.subject,
        sender=parsed.from_address,
        body=parsed.text,
        automatic=verdict.kind if verdict else None,
    )


def load_labels() -> list[Label]:
    """Every labelled file, in file-name order."""
    raw: dict[str, dict[str, Any]] = yaml.safe_load(LABELS.read_text(encoding="utf-8"))
    labels = []
    for name, fields in sorted(raw.items()):
        fields = dict(fields)
        for key in ("topics", "needs"):
            fields[key] = tuple(fields.get(key, ()))
        labels.append(Label(file=name, **fields))
    return labels


def _strip_html(text: str) -> str:
    text = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", text)
    text = re.sub(r"(?i)<br\s*/?>|</(?:p|div|li|tr|h\d)>", "\n", text)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))
