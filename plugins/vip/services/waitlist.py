"""The waitlists: one per group audience, in order, and manual moves with their reasons.

An audience's waitlist is its applications still in line for a place (``IN_LINE``: waiting,
or offered a place and not yet answered), ordered by ``queue_rank`` and then by id. A new
application's rank comes from :func:`plugins.vip.services.ranking.initial_rank`: first-timers
before those who have taken the course before, then by the date of application. A manual
move gives the application a rank between its new neighbours, so it keeps its new place
while new arrivals still fall into place by those two rules.
"""

from __future__ import annotations

from typing import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.toolkit import FieldError, TextError, _, clean_text, record_audit, utcnow
from plugins.vip.models import IN_LINE, Application, WaitlistMove

#: Longest reason a move keeps (the column's size).
REASON_MAX = 500
#: Seconds between the ranks of neighbours spread out at the top or the bottom of a line.
STEP = 1.0


class WaitlistError(FieldError):
    """A move that cannot be made; ``errors`` maps field name to messages."""


def waitlist(audience: str) -> Select:
    """A SELECT of the audience's waitlist in the current tenant, first in line first."""
    return (select(Application)
            .where(Application.audience == audience, Application.status.in_(IN_LINE))
            .order_by(Application.queue_rank, Application.id))


def moves(audience: str) -> Select:
    """A SELECT of the manual moves of an audience's waitlist, newest first."""
    return (select(WaitlistMove)
            .where(WaitlistMove.application_id.in_(select(Application.id).where(Application.audience == audience)))
            .order_by(WaitlistMove.moved_at.desc(), WaitlistMove.id.desc()))


def positions(session: Session, audience: str) -> dict[int, int]:
    """Application id -> position (1 is first in line) on the audience's waitlist (one query)."""
    ids = session.scalars(waitlist(audience).with_only_columns(Application.id))
    return {application_id: n for n, application_id in enumerate(ids, start=1)}


def clean_reason(reason: str | None, field: str = "reason") -> str:
    """The reason, trimmed; a blank or too long one is a :class:`WaitlistError` on ``field``."""
    reason = (reason or "").strip()
    if not reason:
        raise WaitlistError({field: [_("Give a reason. Every change to the order of the waitlist needs one.")]})
    if len(reason) > REASON_MAX:
        raise WaitlistError({field: [_("Write at most %(max)s characters.", max=REASON_MAX)]})
    try:
        return clean_text(reason, multiline=True)
    except TextError as exc:
        raise WaitlistError({field: [str(exc)]}) from None


def move(session: Session, application: Application, to_position: int, reason: str | None, user=None,
         *, now=None, audience: str | None = None) -> WaitlistMove:
    """Move ``application`` to ``to_position`` (1 is first) on its waitlist, for ``reason``.

    The reason is required. The application gets a rank between its new neighbours (or
    before the first, or after the last), and the move is kept as a :class:`WaitlistMove`
    (from and to position, reason, ``user`` or None for an API client or the system) and
    in the audit log (positions and audience only: a reason may name a person's
    circumstances, so it stays in the move, which staff read, and out of the log).
    Raises :class:`WaitlistError` for an application on another waitlist than ``audience``
    (the one the caller named, if any), a blank reason, a position outside the line, an
    application not in line, or a move to where it already is.
    """
    if audience is not None and application.audience != audience:
        # Only the API names the waitlist, so these are the API's words (English, as before).
        raise WaitlistError({"application_id": ["The application is on another waitlist."]})
    reason = clean_reason(reason)
    if application.status not in IN_LINE:
        raise WaitlistError({"application_id": [_("This application is not on the waitlist.")]})
    line = list(session.scalars(waitlist(application.audience)))
    if not isinstance(to_position, int) or isinstance(to_position, bool) or not 1 <= to_position <= len(line):
        raise WaitlistError({"to_position": [_("Choose a position from 1 to %(last)s.", last=len(line))]})
    from_position = next(n for n, a in enumerate(line, start=1) if a.id == application.id)
    if from_position == to_position:
        raise WaitlistError({"to_position": [_("The application is already at position %(n)s.", n=to_position)]})
    _place_at(line, application, to_position - 1)
    return log_move(session, application, from_position, to_position, reason, user, now=now)


def log_move(session: Session, application: Application, from_position: int, to_position: int, reason: str,
             user=None, *, now=None) -> WaitlistMove:
    """Keep a change to the line (made by :func:`move`, or an offer out of turn) as a
    :class:`WaitlistMove` and in the audit log, without the reason (see :func:`move`)."""
    entry = WaitlistMove(application_id=application.id, from_position=from_position, to_position=to_position,
                         reason=reason, moved_by=getattr(user, "id", None), moved_at=now or utcnow())
    session.add(entry)
    session.flush()
    record_audit(session, "vip.waitlist.move", object_type="vip_application", object_id=application.id,
                 detail={"audience": application.audience, "from_position": from_position, "to_position": to_position,
                         "move_id": entry.id})
    return entry


def move_to_back(session: Session, application: Application, reason: str, *, now=None) -> WaitlistMove | None:
    """Put ``application`` last on its waitlist (the system's move: no user), logged like any
    move; None when it is last already."""
    line = list(session.scalars(waitlist(application.audience)))
    if application not in line or line[-1] is application:
        return None
    return move(session, application, len(line), reason, None, now=now)


def _key(application: Application) -> tuple[float, int]:
    return (application.queue_rank, application.id)


def _place_at(line: Sequence[Application], application: Application, index: int) -> None:
    """Give ``application`` a rank that puts it at ``index`` of ``line`` (which holds it).

    Between two neighbours it takes the midpoint of their ranks. When there is no room
    (equal ranks, or floats exhausted by many moves between the same two) the smallest run
    of neighbours around it is spread out evenly; their order does not change.
    """
    others = [a for a in line if a.id != application.id]
    before = others[index - 1] if index > 0 else None
    after = others[index] if index < len(others) else None
    if before is None and after is None:
        return
    if before is None:
        rank = after.queue_rank - STEP
    elif after is None:
        rank = before.queue_rank + STEP
    else:
        rank = (before.queue_rank + after.queue_rank) / 2
    fits_before = after is None or (rank, application.id) < _key(after)
    if (before is None or _key(before) < (rank, application.id)) and fits_before:
        application.queue_rank = rank
        return
    _spread([*others[:index], application, *others[index:]], index)


def _spread(ordered: list[Application], index: int) -> None:
    """Rewrite the ranks of the smallest window around ``ordered[index]`` so that the ranks
    strictly increase along ``ordered``, leaving everything outside the window as it is."""
    low, high = index, index
    while True:
        lower = ordered[low - 1].queue_rank if low > 0 else None
        upper = ordered[high + 1].queue_rank if high + 1 < len(ordered) else None
        count = high - low + 1
        if lower is None and upper is None:
            base = min(a.queue_rank for a in ordered)
            ranks = [base + STEP * n for n in range(count)]
        elif lower is None:
            ranks = [upper - STEP * (count - n) for n in range(count)]
        elif upper is None:
            ranks = [lower + STEP * (n + 1) for n in range(count)]
        else:
            step = (upper - lower) / (count + 1)
            ranks = [lower + step * (n + 1) for n in range(count)]
        bounded = ([lower] if lower is not None else []) + ranks + ([upper] if upper is not None else [])
        if all(a < b for a, b in zip(bounded, bounded[1:])):
            for application, rank in zip(ordered[low:high + 1], ranks):
                application.queue_rank = rank
            return
        low, high = max(0, low - 1), min(len(ordered) - 1, high + 1)
