"""A council's records made through the real workflow, for the retention and erasure tests.

Built on the reports' ``Simulation`` (real inbound pipeline, workflow and outbox recording),
with two things it leaves out: customer mail carrying an attachment, and letters kept as blobs
when the outbox sends, as the daemon's worker keeps them.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import col, func, select

from mailflow.ingest.source import Fetched
from mailflow.outbound import claims
from mailflow.outbound.compose import RenderedLetter
from mailflow.policy.council import load_policy
from mailflow.store.blobs import BlobStore
from mailflow.store.db import session_scope
from mailflow.store.models import Audit, Blob, Contact, Message, Outbox
from mailflow.store.repo import contact_by_reference
from mailflow.store.vocab import LetterVariant, OutboxStatus
from tests.reports.simulation import Simulation, local

COMPLAINT = (
    "Formal complaint about bin collections",
    "I wish to make a formal complaint. My bin collection has been missed three weeks running "
    "and the crew left rubbish all over the road.",
)
COMPLIMENT = (
    "Thank you to the bin crew",
    "I just wanted to say thank you to the bin crew who were very helpful and kind this "
    "morning. Please pass on my thanks.",
)
COMMENT = (
    "Suggestion for the leisure centre",
    "Just a comment: it would be nice if the leisure centre opened earlier on Saturdays. A "
    "suggestion only.",
)
FOI = (
    "Freedom of Information request",
    "Under the Freedom of Information Act 2000 please provide the amount spent on consultants "
    "in 2025.",
)
JUNK = (
    "Boost your SEO ranking",
    "We can get your website to the first page of Google. Cheap SEO services, reply now for a "
    "quote. Unsubscribe here.",
)


class Town(Simulation):
    """Stafford's mailbox with attachments and letters kept, driven by a simulated clock."""

    def __init__(self, engine: Engine, blob_dir: Path, council: str = "stafford") -> None:
        super().__init__(engine, load_policy(council), blob_dir)
        self.blobs = BlobStore(blob_dir)

    def mail_with_photo(self, when: str, sender: str, subject: str, body: str) -> str:
        """A customer's mail with a photo attached; returns the reference it was recorded on."""
        self.now = local(when)
        self.uid += 1
        message = EmailMessage()
        message["From"], message["To"] = sender, self.address
        message["Subject"] = subject
        message["Date"] = format_datetime(self.now)
        message["Message-ID"] = f"<photo{self.uid}@customer.example>"
        message.set_content(body)
        photo = f"photo of {sender} bins {self.uid}".encode()
        message.add_attachment(photo, maintype="image", subtype="jpeg", filename="bins.jpg")
        raw = message.as_bytes()
        self.inbound.process(Fetched(mailbox="complaints", uidvalidity=1, uid=self.uid, raw=raw))
        with session_scope(self.engine) as session:
            stored = session.exec(
                select(Message).where(Message.message_id == message["Message-ID"])
            ).one()
            contact = session.get(Contact, stored.contact_id)
            assert contact is not None
            return contact.reference

    def deliver_with_letters(self, when: str) -> None:
        """The outbox sends every waiting mail; each customer mail keeps a letter as a blob."""
        self.now = local(when)
        with session_scope(self.engine) as session:
            rows = session.exec(
                select(Outbox).where(Outbox.status == OutboxStatus.PENDING).order_by(col(Outbox.id))
            ).all()
            work = [(r.id, r.kind) for r in rows if r.id is not None]
        for row_id, kind in work:
            letters = (
                (
                    RenderedLetter(
                        template="acknowledgement",
                        variant=LetterVariant.STANDARD,
                        filename="letter.docx",
                        data=f"letter of outbox row {row_id}".encode(),
                    ),
                )
                if kind == "customer_mail"
                else ()
            )
            claims.record_sent(
                self.engine,
                row_id,
                sent_at=self.now,
                after_send=self.hook,
                letters=letters,
                blobs=self.blobs,
            )

    def contact(self, reference: str) -> Contact:
        """The stored contact, detached."""
        with session_scope(self.engine) as session:
            contact = contact_by_reference(session, reference)
            session.expunge(contact)
            return contact

    def audit_events(self, reference: str | None = None) -> list[Audit]:
        """Audit rows of one contact (or of none), oldest first, detached."""
        with session_scope(self.engine) as session:
            query = select(Audit).order_by(col(Audit.id))
            if reference is None:
                query = query.where(col(Audit.contact_id).is_(None))
            else:
                contact = contact_by_reference(session, reference)
                query = query.where(Audit.contact_id == contact.id)
            rows = list(session.exec(query))
            for row in rows:
                session.expunge(row)
            return rows

    def blob_count(self) -> int:
        """Blob rows in the database."""
        with session_scope(self.engine) as session:
            return int(session.exec(select(func.count()).select_from(Blob)).one())

    def blob_files(self) -> int:
        """Blob files on disk."""
        root = self.blobs.root
        return sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
