"""Hostile mail for fuzzing: hypothesis strategies and seeded byte-level mutators.

``messages()`` builds MIME trees with random structure (nesting, boundaries that never close or
collide, missing or contradictory headers), hostile header values (NULs, bare CR and LF, encoded
words that decode to newlines or to nothing, 8-bit bytes in undeclared charsets) and bodies in
broken transfer encodings. ``mutate`` damages real samples the way a broken relay would.
"""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import strategies as st

DATA = Path(__file__).resolve().parents[1] / "data"
SAMPLES = sorted(
    p for folder in ("corpus", "automatic", "malformed") for p in (DATA / folder).glob("*.eml")
)

HOSTILE_FRAGMENTS = [
    b"\x00",
    b"\r",
    b"\n",
    b"\r\n\r\n",
    b"\r\nBcc: victim@evil.example\r\n",
    b"=?UTF-8?Q?=0A=0DBcc:_x@evil.example?=",
    b"=?utf-8?b?////?=",
    b"=?x-unknown?q?abc?=",
    b"=?UTF-8?B?",
    b"\xff\xfe\xc3\x28\xe2\x82",
    b"--",
    b"--boundary--",
    b"\r\n--\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n",
    b"Content-Type: message/rfc822\r\n\r\n",
    b"Content-Transfer-Encoding: base64\r\n",
    b'filename="../../../../etc/passwd"',
    b"filename*=utf-8''%2e%2e%2f%2e%2e%2fboot.ini",
    b"<script>alert(1)</script>",
    b"(((((((((((((((((((((((((((((",
    b"\t",
    b" " * 200,
    b"A" * 5000,
]

CHARSETS = ["utf-8", "us-ascii", "iso-8859-1", "windows-1252", "x-unknown", "utf-7", "", "utf-16"]
ENCODINGS = ["7bit", "8bit", "base64", "quoted-printable", "x-uuencode", "binary", "bogus"]
HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Reply-To",
    "Subject",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Date",
    "Auto-Submitted",
    "Precedence",
    "Return-Path",
    "X-Weird",
]

header_text = st.one_of(
    st.text(max_size=120),
    st.binary(max_size=120).map(lambda b: b.decode("latin-1")),
    st.sampled_from([f.decode("latin-1") for f in HOSTILE_FRAGMENTS]),
    st.lists(st.sampled_from(HOSTILE_FRAGMENTS), max_size=6).map(
        lambda parts: b"".join(parts).decode("latin-1")
    ),
)


def _header_block(draw: st.DrawFn) -> bytes:
    pairs = draw(st.lists(st.tuples(st.sampled_from(HEADER_NAMES), header_text), max_size=12))
    lines = [f"{name}: {value}".encode("latin-1", "replace") for name, value in pairs]
    return b"\r\n".join(lines)


@st.composite
def _part(draw: st.DrawFn, depth: int) -> bytes:
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    body = draw(st.one_of(st.binary(max_size=300), st.sampled_from(HOSTILE_FRAGMENTS)))
    if depth > 0 and draw(st.booleans()):
        boundary = draw(st.sampled_from(["b", "x", "boundary", "", "a" * 80, "b\x00c"]))
        children = draw(st.lists(_part(depth - 1), max_size=4))
        close = draw(st.booleans())
        inner = b"".join(b"\r\n--" + boundary.encode("latin-1") + b"\r\n" + c for c in children)
        if close:
            inner += b"\r\n--" + boundary.encode("latin-1") + b"--\r\n"
        kind = draw(st.sampled_from(["mixed", "alternative", "related", "report", "digest"]))
        head = f'Content-Type: multipart/{kind}; boundary="{boundary}"'.encode("latin-1")
        return head + b"\r\n\r\n" + inner
    if depth > 0 and draw(st.integers(0, 5)) == 0:
        return b"Content-Type: message/rfc822\r\n\r\n" + draw(_part(depth - 1))
    subtype = draw(st.sampled_from(["plain", "html", "calendar"]))
    disposition = draw(
        st.sampled_from(
            [
                b"",
                b'Content-Disposition: attachment; filename="../../x.exe"\r\n',
                b"Content-Disposition: attachment; filename*=utf-8''%2F%2Fetc%2Fshadow\r\n",
                b'Content-Disposition: inline; filename="con.txt"\r\n',
            ]
        )
    )
    head = (
        f"Content-Type: text/{subtype}; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n"
    ).encode() + disposition
    return head + b"\r\n" + body


@st.composite
def messages(draw: st.DrawFn) -> bytes:
    """A whole message: hostile top-level headers over a random MIME tree."""
    return _header_block(draw) + b"\r\n" + draw(_part(depth=4))


def mutate(raw: bytes, rng: random.Random) -> bytes:
    """``raw`` with one to five random injuries: flips, inserts, deletions, repeats, cuts."""
    data = bytearray(raw)
    for _ in range(rng.randint(1, 5)):
        if not data:
            data.extend(rng.choice(HOSTILE_FRAGMENTS))
            continue
        at = rng.randrange(len(data))
        action = rng.randrange(6)
        if action == 0:
            data[at] = rng.randrange(256)
        elif action == 1:
            data[at:at] = rng.choice(HOSTILE_FRAGMENTS)
        elif action == 2:
            del data[at : at + rng.randint(1, 400)]
        elif action == 3:
            chunk = data[at : at + rng.randint(1, 300)]
            data[at:at] = chunk * rng.randint(2, 20)
        elif action == 4:
            del data[at:]
        else:
            data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 40)))
    return bytes(data)
