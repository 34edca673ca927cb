"""Making, answering, withdrawing and expiring offers of any plugin's offer model (see core.offers.models).

Core keeps the rules every offer shares: the answer link's token is given out once and only
its SHA-256 is stored; an offer is answered once (a second answer, or one after the
deadline, is a :class:`OfferConflict`); an open offer past its deadline is expired by the
plugin's due-job through :func:`expire_offers`. The plugin keeps its own: what is offered,
who is next in line, what happens on yes, no and expiry, and the locks it takes first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import as_utc
from core.errors import Conflict, NotFound
from core.offers.models import OfferMixin, OfferStatus
from core.tokens import lookup_digest, new_token

O = TypeVar("O", bound=OfferMixin)

#: No answer link carries a longer token; a longer one is not looked up.
class OfferConflict(Conflict):
    """The offer cannot be answered or changed as asked (409). ``kind`` names the page an
    answer link shows for it (see core.offers.pages): a plugin's subclass may set its own."""

    kind = "answered"


class OfferAnswered(OfferConflict):
    """The offer was answered, or withdrawn, before."""


class OfferExpired(OfferConflict):
    """The time to answer the offer is over."""

    kind = "expired"


def issue_offer(session: Session, offer: O, *, now: datetime, days: int) -> str:
    """Open ``offer`` (a new row of a plugin's offer model, its own columns filled in) for
    ``days`` from ``now``; the token of its answer link, which is given out this once and
    never stored (the row keeps its SHA-256). Adds and flushes the row."""
    now = as_utc(now)
    token, token_hash = new_token()
    offer.offered_at, offer.expires_at = now, now + timedelta(days=days)
    offer.status, offer.token_hash = OfferStatus.open, token_hash
    session.add(offer)
    session.flush()
    return token


def offer_for_token(session: Session, model: type[O], token: str | None, *options: Any) -> O | None:
    """The offer of ``model`` behind an answer link in the current tenant, whatever its status
    (so a used link can say so), or None; ``options`` are loader options for what the page shows."""
    token_hash = lookup_digest(token)
    if token_hash is None:
        return None
    return session.scalar(select(model).where(model.token_hash == token_hash).options(*options))


def is_expired(offer: OfferMixin, now: datetime) -> bool:
    """Whether the time to answer ``offer`` is over: expired by the job, or open past its deadline."""
    return offer.status == OfferStatus.expired or (
        offer.status == OfferStatus.open and as_utc(offer.expires_at) <= as_utc(now))


def lock_offer(session: Session, model: type[O], offer_id: int) -> O | None:
    """The offer, locked (``FOR UPDATE``) and read afresh, or None when it is gone. A plugin
    takes its own locks first (the person, what is offered), then this one."""
    return session.scalar(select(model).where(model.id == offer_id).with_for_update()
                          .execution_options(populate_existing=True))


def answer_offer(session: Session, offer: O, accept: bool, *, now: datetime, by_user=None,
                 via_link: bool = False) -> O:
    """Record yes or no to an open offer, once: through the link (``via_link``) or by staff
    (``by_user``) on the person's word. Locks and re-reads the offer first; one answered or
    withdrawn before raises :class:`OfferAnswered`, one past its deadline :class:`OfferExpired`
    (one deleted meanwhile ``NotFound``), and nothing changes. What the answer leads to is the
    plugin's: it calls this first, after its own locks, then acts on yes or no."""
    now = as_utc(now)
    locked = lock_offer(session, type(offer), offer.id)
    if locked is None:
        raise NotFound("no such offer in this tenant")
    if is_expired(locked, now):
        raise OfferExpired(_("The time to answer this offer is over."))
    if locked.status != OfferStatus.open:
        raise OfferAnswered(_("This offer has been answered already."))
    locked.status = OfferStatus.accepted if accept else OfferStatus.declined
    locked.answered_at = now
    locked.answered_by = getattr(by_user, "id", None)
    locked.answered_via_link = via_link
    return locked


def withdraw_offer(offer: OfferMixin, *, now: datetime) -> None:
    """Take back an open offer (staff: the place went away, or went to the person another way)."""
    offer.status = OfferStatus.withdrawn
    offer.answered_at = as_utc(now)


def expire_offers(session: Session, model: type[O], now: datetime, on_expired: Callable[[O], object], *,
                  lock_first: Callable[[Sequence[O]], object] | None = None,
                  order_by: Sequence[Any] = ()) -> list[O]:
    """The heart of a plugin's expiry due-job: expire every open offer of ``model`` whose
    deadline is at or before ``now``, and hand each to ``on_expired`` (which passes the place on
    as the plugin's rules say); the offers expired.

    ``lock_first`` gets the due offers before any is locked, so the plugin can take its own
    locks in its order; each offer is then locked and read afresh, and one answered or moved
    meanwhile is left alone. Idempotent: a second run at the same ``now`` finds nothing due.
    ``order_by`` orders the work (default: deadline, then id)."""
    now = as_utc(now)
    due = list(session.scalars(select(model).where(model.status == OfferStatus.open, model.expires_at <= now)
                               .order_by(*(order_by or (model.expires_at, model.id)))))
    if lock_first is not None and due:
        lock_first(due)
    expired: list[O] = []
    for row in due:
        offer = lock_offer(session, model, row.id)
        if offer is None or offer.status != OfferStatus.open or as_utc(offer.expires_at) > now:
            continue
        offer.status = OfferStatus.expired
        on_expired(offer)
        expired.append(offer)
    session.flush()
    return expired
