"""The national register of trained VIP group leaders, as every tenant sees it.

The register keeps a digest of a trained leader's work email and the date of training,
nothing else. A tenant asks about its own staff only: yes or no, and since when. Each entry
keeps what each training tenant said about it (:class:`TrainedLeaderSource`), so one
training tenant taking its completion back leaves what the others recorded.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.toolkit import User
from plugins.vip.models import TrainedLeader, TrainedLeaderSource


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def trained_dates(session: Session, users: Iterable[User]) -> dict[int, date | None]:
    """For each user, the date they were trained as a VIP leader, or None (one query)."""
    users = list(users)
    digests = {email_digest(u.email): u.id for u in users}
    found = dict(session.execute(
        select(TrainedLeader.email_digest, TrainedLeader.trained_on).where(TrainedLeader.email_digest.in_(digests))
    ).all()) if digests else {}
    return {u.id: found.get(email_digest(u.email)) for u in users}


def entry(session: Session, email: str) -> TrainedLeader | None:
    """The register's entry for ``email``, or None."""
    return session.scalar(select(TrainedLeader).where(TrainedLeader.email_digest == email_digest(email)))


def enter(session: Session, *, email: str, trained_on: date, trainee_id: int | None = None,
          training_tenant_id: int | None = None) -> TrainedLeader:
    """Put a trained leader in the register, or correct what one source says about them.

    The source is ``training_tenant_id`` (a tenant that trains leaders; None for a record
    made outside any, such as one from before the platform). Each source holds its own
    date; the entry shows the earliest of them and the training record it came from.
    """
    state(session, email=email, trained_on=trained_on, trainee_id=trainee_id, training_tenant_id=training_tenant_id)
    return entry(session, email)


def state(session: Session, *, email: str, training_tenant_id: int | None, trained_on: date | None,
          trainee_id: int | None = None) -> TrainedLeader | None:
    """Set what one source says about ``email``: its date and training record, or with
    ``trained_on`` None that it says nothing any more. The entry is then restated from every
    source left: the earliest date stands, and the entry goes only when no source is left.
    Returns the entry, or None when there is none."""
    leader = session.scalar(select(TrainedLeader).where(TrainedLeader.email_digest == email_digest(email))
                            .options(selectinload(TrainedLeader.sources)))
    if leader is None:
        if trained_on is None:
            return None
        leader = TrainedLeader(email_digest=email_digest(email), trained_on=trained_on, trainee_id=trainee_id)
        session.add(leader)
    source = next((s for s in leader.sources if s.training_tenant_id == training_tenant_id), None)
    if trained_on is None:
        if source is not None:
            leader.sources.remove(source)
    elif source is None:
        leader.sources.append(TrainedLeaderSource(training_tenant_id=training_tenant_id, trainee_id=trainee_id,
                                                  trained_on=trained_on))
    else:
        source.trained_on, source.trainee_id = trained_on, trainee_id
    if not leader.sources:
        session.delete(leader)
        session.flush()
        return None
    first = min(leader.sources, key=lambda s: (s.trained_on, s.training_tenant_id is not None, s.id or 0))
    leader.trained_on, leader.trainee_id = first.trained_on, first.trainee_id
    session.flush()
    return leader
