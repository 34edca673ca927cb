"""Queueing and delivering notifications, and running the due-jobs of every tenant."""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import TYPE_CHECKING

from sqlalchemy import or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.audit import services as audit
from core.db import as_utc, current_tenant_id, tenant_scope, utcnow
from core.hookspecs import DueJob
from core.jobs.mail import DeliveryError, Sender, sender_for
from core.jobs.models import EMAIL, JobRun, OutboxMessage, OutboxStatus
from core.tenants.models import Tenant, TenantPlugin

if TYPE_CHECKING:
    from core.app import SamverkaState

log = logging.getLogger(__name__)

#: Attempts before a message is marked failed for good (about 20 hours of retries).
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)
BACKOFF_FACTOR = 5
MAX_RETRY_DELAY = timedelta(hours=6)
#: How long the recipient and content of a sent or failed message are kept.
OUTBOX_RETENTION = timedelta(days=30)


@dataclass
class DeliveryReport:
    """What one delivery did: messages sent, put back for a retry, given up."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed


@dataclass
class JobsReport:
    """What one ``run_due_jobs`` did; ``failed`` names each failed job as ``job@tenant``."""

    ran: int = 0
    failed: list[str] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


class InvalidRecipient(ValueError):
    """The recipient is not an email address: no mail server would take it."""


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failed attempt: 1, 5, 25 minutes ... 6 hours."""
    return min(FIRST_RETRY * BACKOFF_FACTOR ** (attempts - 1), MAX_RETRY_DELAY)


def _one_line(name: str, value: str, limit: int, error: type[ValueError] = ValueError) -> str:
    # A line break in a header would let the caller's data add headers of its own.
    if "\r" in value or "\n" in value:
        raise error(f"{name} must be a single line")
    if len(value) > limit:
        raise error(f"{name} must be at most {limit} characters")
    return value


def enqueue_email(
    session: Session, *, to: str, subject: str, text: str, html: str | None = None, key: str | None = None
) -> OutboxMessage:
    """Queue an email in the current tenant; it leaves with the next :func:`deliver_outbox`.

    It is part of the caller's transaction: a rollback drops it, nothing is sent before the
    commit. With ``key``, queueing again in the same tenant (a job that re-runs) returns
    the message queued first and adds nothing. Raises :class:`InvalidRecipient` (a
    ``ValueError``) for a recipient that is not an email address, ``ValueError`` for a header
    that is not a single line, and ``TenancyError`` outside exactly one tenant.
    """
    current_tenant_id()  # fail before anything else outside exactly one tenant
    _one_line("to", to, 254, InvalidRecipient)
    if "@" not in parseaddr(to)[1]:
        raise InvalidRecipient("to must be an email address")
    _one_line("subject", subject, 255)
    if key is not None:
        _one_line("key", key, 200)
        existing = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
        if existing is not None:
            return existing
    message = OutboxMessage(
        channel=EMAIL, recipient=to, subject=subject, body_text=text, body_html=html, idempotency_key=key
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        if key is None:
            raise
        # Another transaction queued the same key since we looked: theirs stands.
        return session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
    return message


def deliver_outbox(session: Session, sender: Sender, now: datetime, batch: int = 100) -> DeliveryReport:
    """Send up to ``batch`` due messages of ``sender.channel`` in the current tenant(s).

    Each message is taken and marked in a transaction of its own, committed right after the
    send (so call this outside any unit of work). On PostgreSQL the row is taken with
    ``FOR UPDATE SKIP LOCKED``: concurrent runners share the work and never send one message
    twice. A message never tried is due at once; a failed one stays pending, with
    ``attempts`` counted and ``next_attempt_at`` pushed back by :func:`retry_delay`, until
    ``MAX_ATTEMPTS`` marks it failed. Delivery is at least once: a crash between the send
    and the commit sends that one message again.
    """
    now = as_utc(now)
    due = (
        select(OutboxMessage)
        .where(
            OutboxMessage.channel == sender.channel,
            OutboxMessage.status == OutboxStatus.pending,
            or_(OutboxMessage.attempts == 0, OutboxMessage.next_attempt_at <= now),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        # SQLite renders no FOR UPDATE; it has a single writer anyway.
        .with_for_update(skip_locked=True)
        # Another runner may have changed a row this session loaded before.
        .execution_options(populate_existing=True)
    )
    report = DeliveryReport()
    try:
        for _ in range(batch):
            message = session.scalar(due)
            if message is None:
                break
            _attempt(sender, message, now, report)
            session.commit()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return report


def _attempt(sender: Sender, message: OutboxMessage, now: datetime, report: DeliveryReport) -> None:
    message.attempts += 1
    try:
        sender.send(message)
    except DeliveryError as exc:
        reason = str(exc)
    except Exception as exc:  # a broken sender must not lose the message either
        log.exception("outbox message %s: the %s sender broke", message.id, message.channel)
        reason = type(exc).__name__
    else:
        message.status = OutboxStatus.sent
        message.sent_at = utcnow()
        report.sent += 1
        return
    message.last_error = reason[:200]
    if message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.failed
        report.failed += 1
        log.error("outbox message %s failed for good after %s attempts (%s)", message.id, message.attempts, reason)
    else:
        message.next_attempt_at = now + retry_delay(message.attempts)
        report.retrying += 1
        log.warning("outbox message %s: attempt %s failed (%s), retrying", message.id, message.attempts, reason)


def redact_old_messages(session: Session, tenant: Tenant, now: datetime) -> int:
    """Blank the recipient and content of messages sent or failed over ``OUTBOX_RETENTION`` ago.

    The row, its status and its idempotency key stay, so a job re-running later still
    does not queue it again. Returns how many messages were redacted.
    """
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status != OutboxStatus.pending,
            OutboxMessage.created_at < as_utc(now) - OUTBOX_RETENTION,
            OutboxMessage.recipient != "",
        )
        .values(recipient="", subject="", body_text="", body_html=None)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def run_due_jobs(
    session: Session, app_state: SamverkaState, now: datetime, *, sender: Sender | None = None, batch: int = 100
) -> JobsReport:
    """Run every due job for every tenant, then deliver that tenant's outbox.

    A job runs for a tenant when it is internal or its plugin is on there, and its ``every``
    has passed since its last run at that tenant (:class:`JobRun`): running twice at the same
    ``now`` runs nothing the second time. Each (job, tenant) runs inside the tenant's scope
    in a transaction of its own, on PostgreSQL under ``pg_try_advisory_xact_lock``, so
    concurrent runners never run it twice. A failing job is logged and rolled back (it is
    due again next run) and does not stop the others. ``sender`` defaults to the one the
    app's settings describe (SMTP, or the demo's mail folder). Commits as it goes.
    """
    now = as_utc(now)
    sender = sender or sender_for(app_state.settings)
    jobs = sorted(app_state.due_jobs.items())
    tenants = [(tenant.id, tenant.slug, tenant) for tenant in session.scalars(select(Tenant).order_by(Tenant.id))]
    # Each tenant's transactions must begin inside its scope, where its RLS setting is made.
    session.commit()
    report = JobsReport()
    for tenant_id, slug, tenant in tenants:
        with tenant_scope(tenant_id):
            enabled = set(session.scalars(select(TenantPlugin.plugin).where(TenantPlugin.enabled.is_(True))))
            session.commit()
            hooks = app_state.registry.relay(enabled)
            for name, (plugin, internal, job) in jobs:
                if not (internal or plugin in enabled):
                    continue
                try:
                    report.ran += _run_job(session, name, job, tenant, now, hooks)
                except Exception:
                    session.rollback()
                    log.exception("due-job %s failed for tenant %s", name, slug)
                    report.failed.append(f"{name}@{slug}")
            report.delivery.add(deliver_outbox(session, sender, now, batch))
    return report


def _run_job(session: Session, name: str, job: DueJob, tenant: Tenant, now: datetime, hooks) -> int:
    """Run one job for the tenant in scope if it is due and no other runner has it; 1 if it ran."""
    if not _try_lock(session, name, tenant.id):
        session.rollback()
        return 0
    run = session.scalar(select(JobRun).where(JobRun.job == name).execution_options(populate_existing=True))
    if run is not None and now - as_utc(run.last_run_at) < job.every:
        session.rollback()
        return 0
    result = job.run(session, tenant, now, hooks=hooks) if job.needs_hooks else job.run(session, tenant, now)
    if run is None:
        run = JobRun(job=name)
        session.add(run)
    run.last_run_at = now
    run.last_result = int(result or 0)
    session.commit()
    return 1


def _try_lock(session: Session, name: str, tenant_id: int) -> bool:
    """Take the (job, tenant) lock until the transaction ends; False when another runner has it."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    job_hash = zlib.crc32(name.encode()) - 2**31  # the lock's first key is a signed int4
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:job, :tenant)"), {"job": job_hash, "tenant": tenant_id}))


def outbox_for_operator(session: Session, limit: int = 200) -> list[tuple[OutboxMessage, Tenant]]:
    """The newest ``limit`` outbox messages of every tenant, queued and sent, newest first,
    each with its tenant: for the platform admin's outbox page of the demo."""
    tenants = {tenant.id: tenant for tenant in session.scalars(select(Tenant))}
    if not tenants:
        return []
    with tenant_scope(*tenants):
        messages = session.scalars(
            select(OutboxMessage).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()).limit(limit)
        ).all()
    return [(message, tenants[message.tenant_id]) for message in messages]


def outbox_message_for_operator(session: Session, message_id: int) -> tuple[OutboxMessage, Tenant] | None:
    """One outbox message of any tenant, with its tenant, or None; the read goes to the
    message's tenant's audit log (``outbox.read``) in the caller's transaction."""
    tenant_ids = list(session.scalars(select(Tenant.id)))
    if not tenant_ids:
        return None
    with tenant_scope(*tenant_ids):
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.id == message_id))
    if message is None:
        return None
    with tenant_scope(message.tenant_id):
        audit.record(session, "outbox.read", object_type="outbox_message", object_id=message.id)
    return message, session.get(Tenant, message.tenant_id)
