"""The outbox worker: claims due rows, composes and sends them, and records what happened.

For each claimed mail row (see ``claims`` for the claim itself):

1. read the case, the customer's words and the day's count of mail to the recipient;
2. automatic mail over the per-address cap (``caps.acknowledgements_per_address_per_day``)?
   cancel and audit: the backstop against auto-responders that send none of the
   automatic-mail headers (an officer's reply, ``automatic: false``, is never capped);
3. compose (a template or letter that cannot render is a permanent failure: a person is told);
4. send; a temporary failure puts the row back with backoff (``retry``), a permanent one fails
   it, audits it and, unless it was itself a staff mail (no loops), queues a ``bounce_notice``
   to the officer handling the case;
5. in a new transaction: mark it done, keep its letters, call ``after_send`` (the application
   turns it into the workflow's ``MailSent``, so an acknowledgement meets its deadline), and
   queue a ``sent_copy`` of the bytes;
6. append that copy to the mailbox's Sent folder; a failed append is retried later as its own
   row and never sends the mail again.

Delivery is at least once: if the process dies after the server accepted a mail but before
step 5 commits, the claim lapses and the mail is sent again, with the same Message-ID, so mail
programs and providers can recognise the duplicate. The worker never dies of one row: an
unexpected error is logged and the row retried.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from mailflow.errors import (
    MailflowError,
    PermanentDeliveryError,
    StoreError,
    TemporaryDeliveryError,
)
from mailflow.outbound import claims
from mailflow.outbound.backends import MailBackend
from mailflow.outbound.compose import Composed, compose_with_letters
from mailflow.outbound.retry import RetryPolicy
from mailflow.outbound.rows import CUSTOMER_MAIL, MAIL_KINDS, SENT_COPY, bounce_payload
from mailflow.outbound.templates import bundled_templates_dir
from mailflow.policy.council import FALLBACK_SERVICE, CouncilPolicy
from mailflow.store.blobs import BlobStore
from mailflow.store.models import Contact, Outbox

log = logging.getLogger(__name__)
Appender = Callable[[str, bytes], Awaitable[None]]
Clock = Callable[[], datetime]


def one_line(exc: BaseException) -> str:
    """An error as one short line for ``last_error`` and the audit trail."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:500]


class OutboxWorker:
    """Sends the outbox; several workers (processes or hosts) may share one database.

    ``sent_folder_appender(mailbox, raw)`` appends sent mail to that mailbox's Sent folder
    (None: no copies). ``after_send(session, row, sent_at)`` runs in the transaction that marks
    a mail row done. ``blobs`` keeps the letters sent (None: they are not recorded).
    ``mailboxes`` maps a row's ``mailbox`` name to the address mail goes out from (the config's
    mailboxes); the rules' ``council.mailboxes`` fill in the rest. ``reply_key`` signs the
    Reply-To of mail to officers, so their replies are authenticated (``tokens``).
    """

    def __init__(
        self,
        engine: Engine,
        policy: CouncilPolicy,
        backend: MailBackend,
        *,
        holder: str,
        clock: Clock,
        sent_folder_appender: Appender | None = None,
        after_send: claims.AfterSend | None = None,
        batch: int = 20,
        lease: timedelta = timedelta(minutes=5),
        blobs: BlobStore | None = None,
        templates_dir: Path | None = None,
        letters_dir: Path | None = None,
        retry: RetryPolicy = RetryPolicy(),
        rng: random.Random | None = None,
        poll: timedelta = timedelta(seconds=60),
        mailboxes: Mapping[str, str] | None = None,
        reply_key: bytes | None = None,
    ) -> None:
        self._engine, self._policy, self._backend = engine, policy, backend
        self.holder, self._clock = holder, clock
        self._appender, self._after_send = sent_folder_appender, after_send
        self._batch, self._lease, self._blobs = batch, lease, blobs
        templates = bundled_templates_dir()
        self._mail_dir = templates_dir or templates / "mail"
        self._letters_dir = letters_dir or templates / "letters"
        self._retry, self._rng, self._poll = retry, rng or random.Random(), poll
        self.kinds = (*MAIL_KINDS, SENT_COPY) if sent_folder_appender else MAIL_KINDS
        self._mailboxes = {**policy.rules.council.mailboxes, **(mailboxes or {})}
        self._reply_key = reply_key

    async def run_once(self) -> int:
        """Claim the rows due now and handle each; returns how many were claimed."""
        rows = await asyncio.to_thread(
            claims.claim_due,
            self._engine,
            kinds=self.kinds,
            holder=self.holder,
            now=self._clock(),
            lease=self._lease,
            batch=self._batch,
        )
        for row in rows:
            await self._handle(row)
        return len(rows)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Work until ``stop`` is set; ``wake`` says new rows were written (else poll)."""
        while not stop.is_set():
            wake.clear()
            try:
                count = await self.run_once()
                pause = 0.0 if count >= self._batch else await self._until_next_due()
            except Exception:  # e.g. the database is down: wait and try again
                log.exception("outbox worker %s: round failed", self.holder)
                pause = self._poll.total_seconds()
            if pause > 0:
                await _first_of(stop, wake, timeout=pause)

    async def _until_next_due(self) -> float:
        due = await asyncio.to_thread(claims.next_due, self._engine, kinds=self.kinds)
        limit = self._poll.total_seconds()
        if due is None:
            return limit
        return min(limit, max(0.0, (due - self._clock()).total_seconds()) + 0.01)

    async def _handle(self, row: Outbox) -> None:
        try:
            if row.kind == SENT_COPY:
                await self._append(row)
            else:
                await self._deliver(row)
        except Exception as exc:  # a bug or the database: never stop the other rows
            log.exception("outbox row %s (%s) failed unexpectedly", row.id, row.message_id)
            with contextlib.suppress(Exception):
                await self._retry_later(row, f"internal error: {one_line(exc)}")

    async def _deliver(self, row: Outbox) -> None:
        job = await asyncio.to_thread(claims.load_job, self._engine, row, now=self._clock())
        ref = row.payload.get("reference")
        cap = self._policy.rules.caps.acknowledgements_per_address_per_day
        automatic = row.payload.get("automatic", True)  # an officer's own words are never capped
        if row.kind == CUSTOMER_MAIL and automatic and job.sent_today >= cap:
            reason = f"{cap} customer mails already went to this address in 24 hours"
            log.warning("%s: %s not sent: %s", ref, row.message_id, reason)
            await asyncio.to_thread(
                claims.cancel,
                self._engine,
                _id(row),
                at=self._clock(),
                reason=reason,
                event="mail_capped",
            )
            return
        try:
            composed = await asyncio.to_thread(self._compose, job)
        except StoreError:
            raise
        except MailflowError as exc:
            await self._give_up(row, f"could not compose: {one_line(exc)}")
            return
        mail = composed.outgoing()
        try:
            await self._backend.send(mail)
        except TemporaryDeliveryError as exc:
            log.info("%s: %s deferred: %s", ref, row.message_id, exc)
            await self._retry_later(row, one_line(exc))
            return
        except PermanentDeliveryError as exc:
            await self._give_up(row, one_line(exc))
            return
        log.info("%s: sent %s %s", ref, row.payload.get("purpose"), mail.message_id)
        copy = await self._record_sent(row, composed, mail.data)
        if copy is not None:
            try:
                await self._append(copy)
            except Exception:  # the mail is sent and recorded: the copy row is retried later
                log.exception("%s: Sent copy not recorded", mail.message_id)

    def _compose(self, job: claims.Job) -> Composed:
        row = job.row
        boxes = self._mailboxes
        name = row.payload.get("mailbox") or ""
        if name not in boxes:
            log.warning("outbox row %s names no mailbox %r: sending from the first", row.id, name)
        return compose_with_letters(
            self._policy,
            job.state,
            row,
            from_address=boxes.get(name) or next(iter(boxes.values())),
            templates_dir=self._mail_dir,
            letters_dir=self._letters_dir,
            now=self._clock(),
            texts=job.texts,
            reply_key=self._reply_key,
        )

    async def _record_sent(self, row: Outbox, composed: Composed, data: bytes) -> Outbox | None:
        options: dict[str, Any] = {
            "letters": composed.letters,
            "blobs": self._blobs,
            "holder": self.holder,
            "lease": self._lease,
            "copy_of": data if self._appender else None,
        }
        record = claims.record_sent
        try:
            return await asyncio.to_thread(
                record,
                self._engine,
                _id(row),
                sent_at=self._clock(),
                after_send=self._after_send,
                **options,
            )
        except Exception as exc:  # after_send or the store failed: record the send alone
            log.exception("%s was sent but after_send failed", row.message_id)
            note = one_line(exc)
        try:
            return await asyncio.to_thread(
                record,
                self._engine,
                _id(row),
                sent_at=self._clock(),
                after_send=None,
                note=note,
                **options,
            )
        except Exception:
            log.exception("%s was sent but not recorded: it will be sent again", row.message_id)
            return None

    async def _append(self, copy: Outbox) -> None:
        assert self._appender is not None, "sent_copy rows are claimed only with an appender"
        mailbox = str(copy.payload.get("mailbox") or "")
        try:
            await self._appender(mailbox, base64.b64decode(copy.payload["raw"]))
        except Exception as exc:
            log.warning(
                "%s: Sent copy not appended to %s: %s",
                copy.payload.get("of"),
                mailbox,
                one_line(exc),
            )
            await self._retry_later(copy, one_line(exc))
            return
        await asyncio.to_thread(claims.record_copied, self._engine, _id(copy), at=self._clock())

    async def _retry_later(self, row: Outbox, error: str) -> None:
        attempts = row.attempts + 1
        if self._retry.gives_up(attempts):
            await self._give_up(row, f"gave up after {attempts} attempts: {error}")
            return
        not_before = self._clock() + self._retry.delay(attempts, self._rng)
        await asyncio.to_thread(
            claims.retry_later,
            self._engine,
            _id(row),
            attempts=attempts,
            error=error,
            not_before=not_before,
        )

    async def _give_up(self, row: Outbox, error: str) -> None:
        log.error("%s: %s failed for good: %s", row.payload.get("reference"), row.message_id, error)

        def notice(failed: Outbox, contact: Contact | None) -> tuple[str, dict[str, Any]] | None:
            return self._bounce_notice(failed, contact, error)

        await asyncio.to_thread(
            claims.fail,
            self._engine,
            _id(row),
            at=self._clock(),
            attempts=row.attempts + 1,
            error=error,
            notice=notice,
        )

    def _bounce_notice(
        self, row: Outbox, contact: Contact | None, error: str
    ) -> tuple[str, dict[str, Any]] | None:
        """Tell the handling officer a customer mail failed; staff mail never bounces (loops)."""
        if row.kind != CUSTOMER_MAIL:
            return None
        fallback = self._policy.person("service_officer", FALLBACK_SERVICE)
        to = (contact.assigned_to if contact else None) or (fallback.address if fallback else None)
        if to is None:
            return None
        return to, bounce_payload(row, stage=contact.stage if contact else None, error=error)


def _id(row: Outbox) -> int:
    assert row.id is not None, "outbox rows are claimed from the database"
    return row.id


async def _first_of(stop: asyncio.Event, wake: asyncio.Event, *, timeout: float) -> None:
    """Wait until ``stop`` or ``wake`` is set, or ``timeout`` seconds pass."""
    waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in waits:
            task.cancel()
