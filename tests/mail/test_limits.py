"""Size, part and depth limits refuse hostile mail cheaply, and large attachments stay cheap."""

from __future__ import annotations

import base64
import quopri
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailflow.errors import MailError, MessageTooLarge
from mailflow.mail.limits import Limits, MiB, measure
from mailflow.mail.parse import parse_message

HEAD = b"From: Jane Doe <jane.doe@homemail.example>\nSubject: test\nMessage-ID: <t@h.example>\n"


def with_attachment(payload: bytes, *, filename: str = "plan.pdf") -> bytes:
    """A message with a short text part and ``payload`` as a base64 attachment."""
    return (
        HEAD + b"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=XX\n\n"
        b"--XX\nContent-Type: text/plain\n\nSee the attached plan.\n"
        b"--XX\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n"
        b"Content-Disposition: attachment; filename=" + filename.encode() + b"\n\n"
        + base64.encodebytes(payload) + b"--XX--\n"
    )  # fmt: skip


def test_limits_default_to_fifty_mebibytes_a_thousand_parts_and_depth_thirty() -> None:
    """The defaults are the ones the brief and other mail software use."""
    limits = Limits()
    assert (limits.max_bytes, limits.max_parts, limits.max_depth) == (50 * MiB, 1000, 30)
    with pytest.raises(AttributeError):
        limits.max_parts = 5  # type: ignore[misc]


def test_a_25_mb_attachment_is_kept_as_metadata_beyond_the_cap() -> None:
    """A 25 MiB attachment over the 10 MiB cap keeps name, type and size, not the bytes."""
    payload = bytes(range(256)) * (25 * MiB // 256)
    parsed = parse_message(with_attachment(payload))
    [plan] = parsed.attachments
    assert (plan.filename, plan.content_type, plan.size) == (
        "plan.pdf",
        "application/pdf",
        25 * MiB,
    )
    assert plan.truncated and plan.data == b""
    assert parsed.text == "See the attached plan."


def test_a_25_mb_attachment_under_a_larger_cap_comes_back_byte_for_byte() -> None:
    """Large bodies set aside before parsing are decoded from the raw bytes exactly."""
    payload = bytes(range(256)) * (25 * MiB // 256)
    parsed = parse_message(with_attachment(payload), limits=Limits(attachment_cap=30 * MiB))
    assert parsed.attachments[0].data == payload and not parsed.attachments[0].truncated


def test_set_aside_bodies_decode_like_the_email_package() -> None:
    """A 2 MiB attachment with CRLF lines decodes to the same bytes the parser would give."""
    payload = bytes((i * 7) % 256 for i in range(2 * MiB))
    raw = with_attachment(payload).replace(b"\n", b"\r\n")
    assert measure(raw, Limits()).large_bodies, "the body must take the set-aside path"
    assert parse_message(raw).attachments[0].data == payload


def test_a_large_quoted_printable_text_body_is_decoded() -> None:
    """A 1.5 MB quoted-printable text part taken from the raw bytes still reads as text."""
    line = "Les poubelles n'ont pas été ramassées, £20 de frais.\n"
    body = quopri.encodestring((line * 30000).encode("utf-8"))
    raw = HEAD + (
        b"Content-Type: text/plain; charset=utf-8\n"
        b"Content-Transfer-Encoding: quoted-printable\n\n" + body
    )
    parsed = parse_message(raw)
    assert parsed.text.startswith(line.strip()) and parsed.text.count("£20") == 30000


def test_an_attached_message_with_a_set_aside_body_is_restored_whole() -> None:
    """A big attachment inside a forwarded message is put back into the .eml bytes."""
    payload = bytes(range(256)) * (2 * MiB // 256)
    inner = with_attachment(payload)
    raw = HEAD + (
        b"Content-Type: multipart/mixed; boundary=OUT\n\n--OUT\nContent-Type: text/plain\n\n"
        b"Forwarded.\n--OUT\nContent-Type: message/rfc822\n\n" + inner + b"\n--OUT--\n"
    )
    [forwarded] = parse_message(raw).attachments
    assert base64.encodebytes(payload)[:4096] in forwarded.data
    assert b"mailflow-set-aside" not in forwarded.data


def test_a_message_over_the_size_limit_is_refused_before_parsing() -> None:
    """Anything over max_bytes is refused on its length alone."""
    with pytest.raises(MessageTooLarge, match="over the 1000 limit"):
        parse_message(HEAD + b"\n" + b"x" * 1000, limits=Limits(max_bytes=1000))


def test_two_hundred_thousand_tiny_parts_are_refused_quickly() -> None:
    """200,000 parts (27 s for the email package) are refused at part 1,001 by the scan."""
    raw = HEAD + b"Content-Type: multipart/mixed; boundary=b\n\n" + b"--b\n\nx\n" * 200_000
    with pytest.raises(MessageTooLarge, match="over 1000 MIME parts"):
        parse_message(raw + b"--b--\n")


def test_two_thousand_nested_multiparts_are_refused_without_recursion_error() -> None:
    """2,000 levels of multipart nesting are refused at level 31, not by a RecursionError."""
    levels = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(2000)
    )
    with pytest.raises(MessageTooLarge, match="nests over 30 levels"):
        parse_message(HEAD + levels + b"\nx\n")


def test_two_thousand_nested_messages_are_refused_without_recursion_error() -> None:
    """2,000 message/rfc822 bodies inside each other need no boundaries and are refused too."""
    with pytest.raises(MessageTooLarge, match="nests over 30 levels"):
        parse_message(HEAD + b"Content-Type: message/rfc822\n\n" * 2000 + b"x\n")


def test_content_type_comments_nested_thousands_deep_are_refused() -> None:
    """A Content-Type with 5,000 nested comments would crash CPython's header parser."""
    with pytest.raises(MessageTooLarge, match="nests comments"):
        parse_message(HEAD + b"Content-Type: text/plain" + b"(" * 5000 + b"\n\nx\n")


def test_oversized_mime_headers_are_refused() -> None:
    """Content-* headers cost the parser about 10 microseconds a byte, so they are capped."""
    params = b"".join(b"; p%d=v" % i for i in range(20_000))
    with pytest.raises(MessageTooLarge, match="Content-\\* headers exceed"):
        parse_message(HEAD + b"Content-Type: text/plain" + params + b"\n\nx\n")


def test_limit_errors_are_mail_errors_for_the_quarantine() -> None:
    """MessageTooLarge is a MailError, so one except clause quarantines both."""
    assert issubclass(MessageTooLarge, MailError)


def test_a_delivery_status_part_that_nests_entities_is_refused() -> None:
    """Field blocks of a delivery-status report are parsed as entities; typed ones are refused."""
    raw = HEAD + b"Content-Type: message/delivery-status\n\nContent-Type: message/rfc822\nA: 1\n"
    with pytest.raises(MessageTooLarge, match="delivery-status"):
        parse_message(raw)


# -- The scan agrees with the email package ------------------------------------------------------

_BOUNDARIES = st.sampled_from(["a", "b", "a", "c d", ""])


@st.composite
def _entity(draw: st.DrawFn, depth: int = 1) -> str:
    """A random MIME entity mixing every construct the scan has to mirror."""
    kinds = ["leaf", "multi", "rfc822", "digest", "ds", "noboundary"] if depth < 5 else ["leaf"]
    kind = draw(st.sampled_from(kinds))
    if kind == "leaf":
        ctype = draw(st.sampled_from(["", "Content-Type: text/plain\n", "X-A: 1\n"]))
        body = draw(st.sampled_from(["hi", "--a", "--b--", "", "l\n\nl", "--a  \nx", "--"]))
        return ctype + "\n" + body
    if kind == "rfc822":
        return "Content-Type: message/rfc822\n\n" + draw(_entity(depth + 1))
    if kind == "ds":
        blanks = "\n" * draw(st.integers(0, 3))
        return "Content-Type: message/delivery-status\n\nA: 1\n" + blanks + "B: 2\n" + blanks
    if kind == "noboundary":
        return "Content-Type: multipart/mixed\n\n--a\n\nhi\n--a--\n"
    boundary = draw(_BOUNDARIES)
    subtype = "digest" if kind == "digest" else "mixed"
    text = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\n\n'
    text += draw(st.sampled_from(["", "preamble\n", "--zz\n"]))
    for _ in range(draw(st.integers(0, 3))):
        repeat = draw(st.sampled_from(["", " ", f"\n--{boundary}"]))
        text += f"--{boundary}{repeat}\n" + draw(_entity(depth + 1)) + "\n"
    return text + draw(st.sampled_from([f"--{boundary}--\n", "", f"--{boundary}--  \nend\n"]))


def _email_package_counts(raw: bytes) -> tuple[int, int]:
    """Parts and depth as CPython's feedparser builds them."""
    made = 0

    def factory(policy: policy.Policy[EmailMessage] = policy.default) -> EmailMessage:
        nonlocal made
        made += 1
        return EmailMessage(policy=policy)

    def depth(part: Message, level: int = 1) -> int:
        payload = part.get_payload()
        children = (
            [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []
        )
        return max([level, *(depth(p, level + 1) for p in children)])

    root = BytesParser(factory, policy=policy.default).parsebytes(raw)
    return made - 1, depth(root)  # feedparser calls the factory once to probe it


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_entity(), st.sampled_from(["\n", "\r\n", "\r"]))
def test_the_scan_counts_parts_and_depth_exactly_as_the_email_package(
    entity: str, newline: str
) -> None:
    """For any mix of boundaries, nesting, digests and line endings, scan and parser agree."""
    raw = ("From: a@b.example\n" + entity).replace("\n", newline).encode()
    try:
        layout = measure(raw, Limits(max_parts=10**6, max_depth=10**6))
    except MessageTooLarge:
        return  # a delivery-status report carrying typed blocks is refused, not measured
    assert (layout.parts, layout.depth) == _email_package_counts(raw)
