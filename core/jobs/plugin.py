"""Core's due-jobs and outbox as an internal plugin: the outbox's retention, old idempotency keys, the demo's outbox page."""

from __future__ import annotations

from datetime import timedelta

from core.hookspecs import DueJob, hookimpl


@hookimpl
def samverka_due_jobs():
    from core.idempotency.services import purge
    from core.jobs.services import redact_old_messages

    return [DueJob("outbox_retention", redact_old_messages, every=timedelta(days=1)),
            DueJob("idempotency_keys", purge, every=timedelta(days=1))]


@hookimpl
def samverka_web_blueprints():
    from core.jobs.views import bp

    return [bp]
