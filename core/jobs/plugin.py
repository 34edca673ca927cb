"""Core's due-jobs and outbox as an internal plugin: it keeps the outbox's retention."""

from __future__ import annotations

from datetime import timedelta

from core.hookspecs import DueJob, hookimpl


@hookimpl
def samverka_due_jobs():
    from core.jobs.services import redact_old_messages

    return [DueJob("outbox_retention", redact_old_messages, every=timedelta(days=1))]
