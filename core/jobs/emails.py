"""Emails written from a plugin's templates in the recipient's language and queued in the outbox."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from jinja2 import TemplateNotFound
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.jobs.models import OutboxMessage
from core.jobs.services import InvalidRecipient, enqueue_email
from core.people.models import Person
from core.tenants.clock import current_tenant
from core.tenants.models import Tenant
from core.web.urls import external_url

#: What a caller gives as an email's context: the values, or a function of the recipient's
#: language returning them (called in that language, for dates and words formatted for the reader).
Context = Mapping[str, Any] | Callable[[str], Mapping[str, Any]]

#: The outbox's limit for a subject.
SUBJECT_MAX = 255


def recipient_language(person: Person | None, tenant: Tenant) -> str:
    """The language to write to ``person`` in: theirs when the tenant offers it (and the
    installation has it), else the tenant's first language, else the installation's default."""
    offered = [lang for lang in tenant.languages or () if lang in current_app.config.get("SAMVERKA_LANGUAGES", ())]
    wanted = ((person.preferred_language if person is not None else None) or "").strip().lower()[:2]
    if wanted in offered:
        return wanted
    return offered[0] if offered else current_app.extensions["samverka"].settings.default_language


def tenant_url(tenant: Tenant, endpoint: str, **values: Any) -> str:
    """The absolute address of ``endpoint`` inside ``tenant`` under the ``base_url`` setting
    (SAMVERKA_BASE_URL), never the request's host: in a request and in a due-job alike."""
    if any("tenant" in rule.arguments for rule in current_app.url_map.iter_rules(endpoint)):
        values.setdefault("tenant", tenant.slug)
    return external_url(endpoint, **values)


def _one_line(text: str) -> str:
    # Line breaks (and the spaces around them) become one space; a subject is one header line.
    return re.sub(r"[ \t]*[\r\n]+[ \t]*", " ", text).strip(" \t\r\n")


def render_email(template: str, context: Context, *, language: str, tenant: Tenant) -> tuple[str, str, str | None]:
    """The subject, plain text and HTML (None when there is no HTML template) of ``template``,
    rendered in ``language``.

    ``template`` names three files: ``<template>.subject.txt`` (one line: line breaks become
    spaces, and it is cut at 255 characters), ``<template>.txt`` and, optionally, ``<template>.html``. Besides ``context``
    they see ``lang``, ``tenant``, ``external_url(endpoint, **values)`` (an absolute link into
    the tenant under the base URL) and, in the bodies, ``subject``."""
    with force_locale(language):
        values = {"lang": language, "tenant": tenant,
                  "external_url": lambda endpoint, **kw: tenant_url(tenant, endpoint, **kw),
                  **(context(language) if callable(context) else context)}
        subject = _one_line(render_template(f"{template}.subject.txt", **values))
        if len(subject) > SUBJECT_MAX:  # a long name in it must not keep the message from leaving
            subject = subject[:SUBJECT_MAX - 1] + "…"
        values["subject"] = subject
        text = render_template(f"{template}.txt", **values)
        try:
            html = render_template(f"{template}.html", **values)
        except TemplateNotFound as missing:
            if missing.name != f"{template}.html":
                raise
            html = None
    return subject, text, html


def queue_email(session: Session, *, to: str | None, template: str, key: str, context: Context | None = None,
                person: Person | None = None, language: str | None = None,
                tenant: Tenant | None = None) -> OutboxMessage | None:
    """Write ``template`` (see :func:`render_email`) to ``to`` and queue it in the current
    tenant's outbox under the idempotency ``key``; the message, or None when nothing is queued.

    The language is ``language`` when given, else ``person``'s (:func:`recipient_language`).
    Queueing a ``key`` again (a job that re-runs) returns the message queued first and adds
    nothing. No address, or an address no mail server would take, queues nothing and is not an
    error: staff then reach the person another way. Part of the caller's transaction, like
    every outbox message; ``tenant`` defaults to the current one."""
    to = (to or "").strip()
    if not to:
        return None
    tenant = tenant or current_tenant(session)
    subject, text, html = render_email(template, context or {}, tenant=tenant,
                                       language=language or recipient_language(person, tenant))
    try:
        return enqueue_email(session, to=to, subject=subject, text=text, html=html, key=key)
    except InvalidRecipient:
        return None


def queued_keys(session: Session, keys: Iterable[str]) -> set[str]:
    """Those of ``keys`` already queued in the current tenant's outbox (sent or not), in one
    query: for a job that would otherwise render every message only to find it queued."""
    keys = set(keys)
    if not keys:
        return set()
    return set(session.scalars(select(OutboxMessage.idempotency_key).where(OutboxMessage.idempotency_key.in_(keys))))
