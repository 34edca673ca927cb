"""The public page an offer's answer link opens: a plugin mounts it, core runs it.

The plugin declares the route (its blueprint, ``public``, a rate limit) and calls
:func:`answer_page` with an :class:`AnswerPage`. Core looks the token up, refuses an unknown,
expired or used link with a friendly page (404, 410, 409), asks yes or no in a CSRF-protected
form, records the answer through the plugin's service and commits. The plugin's templates word
it: the question extends ``offers/answer.html``, the thanks ``offers/answered.html``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core.db import db, utcnow
from core.errors import Conflict, FieldError, NotFound
from core.offers.models import OfferStatus
from core.offers.services import OfferConflict, is_expired

#: The answers the form posts (``name="answer"``).
YES, NO = "yes", "no"


@dataclass(frozen=True)
class AnswerPage:
    """A plugin's public answer page.

    - ``find(session, token)``: the offer behind the link, whatever its status, or None
      (usually :func:`core.offers.services.offer_for_token` with what the page shows loaded).
    - ``answer(session, offer, accept, now)``: the plugin's service recording the answer
      through the link; it raises :class:`OfferConflict` (or another core error) to refuse.
    - ``context(offer, now)``: what the templates show of the offer (a first name, no more).
    - ``ask``: the template asking yes or no, extending ``offers/answer.html``; it gets
      ``error`` too.
    - ``answered``: the template thanking for the answer, extending ``offers/answered.html``;
      it gets ``accepted``.
    - ``gone``: the template for a link that cannot be answered; it gets ``kind``: "unknown"
      (404), "expired" (410), the offer's status "accepted", "declined" or "withdrawn", or
      the ``kind`` of the :class:`OfferConflict` that refused the answer ("answered" unless the
      plugin's error says otherwise) (409).
    """

    find: Callable[[Session, str], Any]
    answer: Callable[[Session, Any, bool, datetime], Any]
    context: Callable[[Any, datetime], Mapping[str, Any]]
    ask: str
    answered: str
    gone: str


def _gone(page: AnswerPage, kind: str, status: int):
    return render_template(page.gone, kind=kind), status


def answer_page(page: AnswerPage, token: str):
    """Serve ``page`` for ``token`` (GET shows the offer, POST records the answer); a view's answer."""
    session = db.session
    offer = page.find(session, token)
    if offer is None:
        return _gone(page, "unknown", 404)
    now = utcnow()
    if is_expired(offer, now):
        return _gone(page, "expired", 410)
    if offer.status != OfferStatus.open:
        return _gone(page, offer.status.value, 409)
    context = page.context(offer, now)
    if request.method != "POST":
        return render_template(page.ask, error=None, **context)
    choice = request.form.get("answer")
    if choice not in (YES, NO):
        return render_template(page.ask, error=_("Press Yes or No."), **context), 422
    try:
        page.answer(session, offer, choice == YES, now)
    except OfferConflict as refused:
        session.rollback()
        return _gone(page, refused.kind, 410 if refused.kind == "expired" else 409)
    except NotFound:
        session.rollback()
        return _gone(page, "unknown", 404)
    except (Conflict, FieldError):
        session.rollback()
        return _gone(page, "answered", 409)
    session.commit()
    return render_template(page.answered, accepted=choice == YES, **context)
