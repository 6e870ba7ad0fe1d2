"""The outbox worker: claims due rows, composes and sends them, and records what happened.

Each round takes up to ``batch`` due rows (see ``claims`` for the claim itself):

1. read every claimed mail's case, the customer's words and the day's count of mail to its
   recipient, in one transaction;
2. compose them (a template or letter that cannot render is a permanent failure: a person is
   told);
3. send them one after another over one connection (the backend reconnects after a failure);
   automatic mail over the per-address cap (``caps.acknowledgements_per_address_per_day``,
   counting the mail sent earlier in the round) is cancelled and audited instead: the backstop
   against auto-responders that send none of the automatic-mail headers (an officer's reply,
   ``automatic: false``, is never capped); a temporary failure puts the row back with backoff
   (``retry``), a permanent one fails it, audits it and, unless it was itself a staff mail (no
   loops), queues a ``bounce_notice`` to the officer handling the case;
4. record the round in one transaction: each sent row done, its letters kept, ``after_send``
   called (the application turns it into the workflow's ``MailSent``, so an acknowledgement
   meets its deadline) and a ``sent_copy`` of the bytes queued;
5. append the copies to the mailbox's Sent folder and record that in one more transaction; a
   failed append is retried later as its own row and never sends the mail again.

Delivery is at least once: if the process dies after the server accepted a mail but before
step 4 commits, the claim lapses and the mail is sent again, with the same Message-ID, so mail
programs and providers can recognise the duplicate; at most one round's mail is caught so. The
worker never dies of one row: an unexpected error is logged and the row retried.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import logging
import random
from collections import Counter
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
from mailflow.workflow.reminders import retry_instant

# Seconds between attempts to record a round of mail already sent (about a minute in all).
RECORD_RETRIES = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
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
        self._configured = dict(mailboxes or {})
        self._mailboxes = {**policy.rules.council.mailboxes, **self._configured}
        self._reply_key = reply_key
        self.next_retry: datetime | None = None  # the earliest retry of the last round

    def use_policy(self, policy: CouncilPolicy, *, after_send: claims.AfterSend | None) -> None:
        """Rules reloaded (SIGHUP): the next round uses ``policy`` and its ``after_send``."""
        self._policy, self._after_send = policy, after_send
        self._mailboxes = {**policy.rules.council.mailboxes, **self._configured}

    async def run_once(self) -> int:
        """Claim the rows due now and handle them as one round; returns how many were claimed.

        A round is three transactions (claim, read, record) and one SMTP connection however
        many rows it holds; its Sent copies are appended one after another (the appender keeps
        its IMAP connection open) and recorded in one more transaction.
        """
        rows = await asyncio.to_thread(
            claims.claim_due,
            self._engine,
            kinds=self.kinds,
            holder=self.holder,
            now=self._clock(),
            lease=self._lease,
            batch=self._batch,
        )
        self.next_retry = None
        mails = [row for row in rows if row.kind != SENT_COPY]
        copies = [row for row in rows if row.kind == SENT_COPY]
        if mails:
            copies.extend(await self._deliver(mails))
        if copies:
            await self._append(copies)
        return len(rows)

    async def run(self, stop: asyncio.Event, wake: asyncio.Event) -> None:
        """Work until ``stop`` is set; ``wake`` says new rows were written (else poll).

        After a round, the worker sleeps until the next row is due: a full batch goes on at
        once, and a temporary failure wakes it at its retry instant, not a poll later.
        """
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
        if self.next_retry is not None:
            due = self.next_retry if due is None else min(due, self.next_retry)
        limit = self._poll.total_seconds()
        if due is None:
            return limit
        return min(limit, max(0.0, (due - self._clock()).total_seconds()) + 0.01)

    async def _deliver(self, rows: list[Outbox]) -> list[Outbox]:
        """Send a round's mail rows over one connection; record them; return the Sent copies."""
        try:
            jobs = await asyncio.to_thread(claims.load_jobs, self._engine, rows, now=self._clock())
        except Exception as exc:  # the database: the rows are retried (or their claims lapse)
            log.exception("outbox worker %s: could not read the round's cases", self.holder)
            await self._record([self._retry_outcome(r, _internal(exc)) for r in rows])
            return []
        prepared = await asyncio.to_thread(self._prepare, jobs, rows)
        outcomes: list[claims.Outcome] = []
        sent_now: Counter[str] = Counter()
        try:
            for row, job, item in prepared:
                outcomes.append(await self._send(row, job, item, sent_now))
        finally:
            with contextlib.suppress(Exception):
                await self._backend.close()
        return await self._record(outcomes, sent=True)

    def _prepare(
        self, jobs: list[claims.Job | Exception], rows: list[Outbox]
    ) -> list[tuple[Outbox, claims.Job | None, Composed | claims.Outcome]]:
        """Compose every mail of the round (in a thread: templates and letters are CPU work)."""
        out: list[tuple[Outbox, claims.Job | None, Composed | claims.Outcome]] = []
        for row, job in zip(rows, jobs, strict=True):
            if isinstance(job, Exception):
                out.append((row, None, self._retry_outcome(row, _internal(job))))
                continue
            try:
                out.append((row, job, self._compose(job)))
            except StoreError as exc:
                out.append((row, job, self._retry_outcome(row, _internal(exc))))
            except MailflowError as exc:
                out.append((row, job, self._failure(row, f"could not compose: {one_line(exc)}")))
            except Exception as exc:  # a bug: logged, and the row retried
                log.exception("outbox row %s (%s) failed unexpectedly", row.id, row.message_id)
                out.append((row, job, self._retry_outcome(row, _internal(exc))))
        return out

    async def _send(
        self,
        row: Outbox,
        job: claims.Job | None,
        item: Composed | claims.Outcome,
        sent_now: Counter[str],
    ) -> claims.Outcome:
        """Send one composed mail (unless capped); the outcome to record for its row."""
        ref = row.payload.get("reference")
        cap = self._policy.rules.caps.acknowledgements_per_address_per_day
        automatic = row.payload.get("automatic", True)  # an officer's own words are never capped
        if row.kind == CUSTOMER_MAIL and automatic and job is not None:
            already = job.sent_today + max(
                (sent_now[a.casefold()] for a in row.recipients), default=0
            )
            if already >= cap:
                reason = f"{cap} customer mails already went to this address in 24 hours"
                log.warning("%s: %s not sent: %s", ref, row.message_id, reason)
                return claims.Cancelled(row_id=_id(row), reason=reason, event="mail_capped")
        if not isinstance(item, Composed):
            return item
        mail = item.outgoing()
        try:
            await self._backend.send(mail)
        except TemporaryDeliveryError as exc:
            log.info("%s: %s deferred: %s", ref, row.message_id, exc)
            return self._retry_outcome(row, one_line(exc))
        except PermanentDeliveryError as exc:
            return self._failure(row, one_line(exc))
        except Exception as exc:  # a bug in one send: logged, retried, and the round goes on
            log.exception("outbox row %s (%s) failed unexpectedly", row.id, row.message_id)
            with contextlib.suppress(Exception):
                await self._backend.close()
            return self._retry_outcome(row, _internal(exc))
        log.info("%s: sent %s %s", ref, row.payload.get("purpose"), mail.message_id)
        if row.kind == CUSTOMER_MAIL:
            sent_now.update({a.casefold() for a in row.recipients})
        return claims.Sent(
            row_id=_id(row),
            letters=tuple(item.letters),
            copy_of=mail.data if self._appender else None,
        )

    async def _record(self, outcomes: list[claims.Outcome], *, sent: bool = False) -> list[Outbox]:
        """Record a round's outcomes in one transaction; the Sent copies to append."""
        recording = claims.Recording(
            at=self._clock(),
            after_send=self._after_send,
            blobs=self._blobs,
            holder=self.holder,
            lease=self._lease,
        )
        # Mail already sent must not be sent again because the database blinked (a restart, a
        # dropped connection): the outcomes are held and recorded again, a while, before giving
        # up. Recording is one transaction and a row already recorded as sent is skipped, so
        # a retry after a commit whose answer was lost changes nothing twice.
        waits = RECORD_RETRIES if sent else ()
        for attempt in range(len(waits) + 1):
            try:
                return await asyncio.to_thread(
                    claims.record_round, self._engine, outcomes, recording
                )
            except Exception:
                if attempt < len(waits):
                    log.warning(
                        "outbox worker %s: recording %d sent mails failed; again in %g s",
                        self.holder,
                        len(outcomes),
                        waits[attempt],
                        exc_info=True,
                    )
                    await asyncio.sleep(waits[attempt])
                    continue
                what = (
                    "were sent but not recorded: they will be sent again"
                    if sent
                    else "not recorded"
                )
                log.exception("outbox worker %s: a round's outcomes %s", self.holder, what)
        return []

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
            blobs=self._blobs,
        )

    async def _append(self, copies: list[Outbox]) -> None:
        """Append each copy to its mailbox's Sent folder, then record them all at once."""
        assert self._appender is not None, "sent_copy rows are claimed only with an appender"
        outcomes: list[claims.Outcome] = []
        for copy in copies:
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
                outcomes.append(self._retry_outcome(copy, one_line(exc)))
            else:
                outcomes.append(claims.Copied(row_id=_id(copy)))
        await self._record(outcomes)

    def _retry_outcome(self, row: Outbox, error: str) -> claims.Outcome:
        """Try again after a backoff, or give up after the policy's attempts."""
        attempts = row.attempts + 1
        if self._retry.gives_up(attempts):
            return self._failure(row, f"gave up after {attempts} attempts: {error}")
        now = self._clock()
        wanted = now + self._retry.delay(attempts, self._rng)
        # Deadline notices keep to working hours, a breach warning to the next morning at latest.
        not_before = retry_instant(self._policy, row.payload.get("purpose"), now, wanted)
        if self.next_retry is None or not_before < self.next_retry:
            self.next_retry = not_before
        return claims.Retry(row_id=_id(row), attempts=attempts, error=error, not_before=not_before)

    def _failure(self, row: Outbox, error: str) -> claims.Failed:
        """Give up: failed, audited, and the handling officer told of a customer mail."""
        log.error("%s: %s failed for good: %s", row.payload.get("reference"), row.message_id, error)
        notice = functools.partial(self._bounce_notice, error=error)
        return claims.Failed(row_id=_id(row), attempts=row.attempts + 1, error=error, notice=notice)

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


def _internal(exc: BaseException) -> str:
    return f"internal error: {one_line(exc)}"


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
