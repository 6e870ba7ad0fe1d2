"""Reading the labelled corpus: the ONE place tests and the benchmark turn an .eml into text.

This deliberately uses only the standard library, not `mailflow.mail.parse` (written in
parallel); swap `read_message` for the real parser once it lands and nothing else changes.
"""

from __future__ import annotations

import email
import email.policy
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import yaml

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
    """Parse an .eml crudely: subject, From address, text/plain body or stripped HTML."""
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    sender = msg["From"].addresses[0].addr_spec if msg["From"] else None
    part = msg.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    if part is not None and part.get_content_subtype() == "html":
        body = _strip_html(body)
    auto = msg.get("Auto-Submitted", "no").strip().lower()
    return Message(
        subject=str(msg["Subject"] or ""),
        sender=sender,
        body=body,
        automatic=None if auto == "no" else "auto_reply",
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
