"""What a mail or letter prints of an officer's reply: their words, the outcome, a new date.

The workflow puts these facts in a row's ``context`` (``officer_text``, ``outcome``, ``final``,
``new_date``, ``reason``, ``ombudsman``); ``context.mail_context`` and ``letter_context`` read
them through this module. Officer text is customer-bound data: controls removed, length bound.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from mailflow.letters import Extension, long_date
from mailflow.letters.context import OUTCOME_LABELS
from mailflow.policy.council import CouncilPolicy

MAX_QUOTED_CHARS = 20_000
_CONTROLS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)


def body_text(text: str, limit: int = MAX_QUOTED_CHARS) -> str:
    """Customer text fit for a mail body: line breaks kept, controls removed, length bounded."""
    text = _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) > limit:
        return text[:limit].rstrip() + "\n[... the rest is in the case record]"
    return text


def officer_reply(extra: Mapping[str, Any]) -> dict[str, Any]:
    """The keys a mail carrying an officer's words or decision prints (see the table above)."""
    text = body_text(str(extra.get("officer_text") or ""))
    outcome = OUTCOME_LABELS.get(str(extra.get("outcome")))
    extension = None
    if isinstance(extra.get("new_date"), str):
        extension = {
            "new_date": long_date(date.fromisoformat(extra["new_date"])),
            "reason": body_text(str(extra.get("reason") or ""), 2000),
            "ombudsman": bool(extra.get("ombudsman")),
        }
    return {
        "officer_text": text or None,
        "outcome": outcome,
        "final": bool(extra.get("final")),
        "extension": extension,
    }


def extension(policy: CouncilPolicy, extra: Mapping[str, Any]) -> Extension | None:
    """The holding letter's facts from an ``#extend`` row's context."""
    if not isinstance(extra.get("new_date"), str):
        return None
    return Extension(
        new_date=date.fromisoformat(extra["new_date"]),
        reason=str(extra.get("reason") or ""),
        apology=policy.rules.wording.get("delay_apology"),
    )
