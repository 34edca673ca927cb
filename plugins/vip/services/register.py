"""The national register of trained VIP group leaders, as every tenant sees it.

The register keeps a digest of a trained leader's work email and the date of training,
nothing else. A tenant asks about its own staff only: yes or no, and since when.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.auth.models import User
from plugins.vip.models import TrainedLeader


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


def enter(session: Session, *, email: str, trained_on: date, trainee_id: int | None = None) -> TrainedLeader:
    """Put a trained leader in the register (or correct the date of one already there).

    An entry from the same source (the same training record, or both from none) takes the
    new date; otherwise the earlier training stands, and the entry follows the source of
    whichever date it keeps.
    """
    leader = entry(session, email)
    if leader is None:
        leader = TrainedLeader(email_digest=email_digest(email), trained_on=trained_on, trainee_id=trainee_id)
        session.add(leader)
    elif leader.trainee_id == trainee_id:
        leader.trained_on = trained_on
    elif trained_on < leader.trained_on:
        leader.trained_on, leader.trainee_id = trained_on, trainee_id
    session.flush()
    return leader


def remove(session: Session, *, trainee_id: int) -> bool:
    """Take out the entry a training record made (its completion was recorded by mistake)."""
    leader = session.scalar(select(TrainedLeader).where(TrainedLeader.trainee_id == trainee_id))
    if leader is None:
        return False
    session.delete(leader)
    session.flush()
    return True
