"""Through the whole path, customer and officer text is data: never template, markup or header."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import CUSTOMER
from tests.e2e.town import SimClock, Town, answer
from tests.servers.dovecot import Mailbox
from tests.servers.smtp import SmtpSink

REF = "CHC-2026-00001"
HEAD = "head.streetscene@chorley.example"
# An encoded newline in the Subject tries a Bcc (CVE-2024-6923); the rest tries Jinja ({{ }},
# {% %}), WordprocessingML (<w:p>, </w:t>) and XML entities (&), in the name too.
RAW = (
    'From: "Jane {{7*7}} <w:p> &" <' + CUSTOMER + ">\r\n"
    "To: {to}\r\n"
    "Subject: =?UTF-8?Q?Bins_{{_7*7_}}_<w:p>_&_{%_for_x_in_y_%}_=0ABcc:_subject@evil.example?=\r\n"
    "Message-ID: <inject-1@customer.example>\r\n"
    "Date: Mon, 02 Nov 2026 10:00:00 +0000\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n"
    "I want to make a formal complaint: my bin was missed again.\r\n"
    "{{ 7*7 }} </w:t></w:r></w:p><w:p><w:r><w:t>INJECTED & <Ltd> {% raw %}\r\n"
)
SUBJECT = "Bins {{ 7*7 }} <w:p> & {% for x in y %} Bcc: subject@evil.example"


@pytest.mark.dovecot
async def test_customer_and_officer_text_stays_literal_in_mail_and_letters(
    tmp_path: Path, mailbox: Mailbox, smtp_sink: SmtpSink, clock: SimClock
) -> None:
    """Subject, name and body reach the acknowledgement, its letter, the officer's notice and
    the stage reply letter literally; no Bcc is added and every .docx still opens."""
    town = Town.open(tmp_path, "chorley", mailbox, smtp_sink, clock)
    async with town:
        await town.send(RAW.replace("{to}", town.address).encode())
        ack, notice = await town.expect(2)
        assert (ack.rcpt, notice.rcpt) == ((CUSTOMER,), (HEAD,))
        for got in (ack, notice):
            assert b"\nBcc:" not in got.raw and b"\r\nBcc:" not in got.raw
            assert got.msg["Bcc"] is None and len(got.msg["To"].addresses) == 1
            assert got.subject.endswith(SUBJECT) and "49" not in got.subject
        assert ack.msg["To"].addresses[0].display_name == "Jane {{7*7}} <w:p> &"
        assert "Dear Jane {{7*7}} <w:p> &" in ack.text()
        [(_, letter)] = ack.letters()
        assert SUBJECT in letter and "Dear Jane {{7*7}} <w:p> &" in letter
        assert "49" not in letter
        assert "</w:t></w:r></w:p><w:p><w:r><w:t>INJECTED & <Ltd> {% raw %}" in notice.text()
        html = notice.msg.get_body(("html",))
        assert html is not None and "&lt;w:p&gt;" in html.get_content()
        reasons = "We found {{ 7*7 }} </w:t><w:p> & {% if x %} nothing wrong."
        reply = answer(notice, HEAD, f"#outcome resolved\n\n{reasons}\n", message_id="<o@x>")
        await town.send(reply)
        response, copy = await town.expect(2)
        assert reasons in response.text()
        letters = dict(response.letters())
        assert reasons in letters[f"{REF}-stage-reply.docx"]
        assert (
            "We have decided that your complaint is resolved." in letters[f"{REF}-stage-reply.docx"]
        )
        assert reasons in dict(copy.letters())[f"{REF}-stage-reply.docx"]
