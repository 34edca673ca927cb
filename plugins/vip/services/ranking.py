"""Where a new application joins its waitlist: first-timers before returning participants,
then by the date of application. A manual move places an application between two others
(services/waitlist.py); new arrivals still fall into place by these two rules."""

from __future__ import annotations

from datetime import datetime

from core.toolkit import as_utc

#: Seconds added to the rank of someone who has taken the course before: more than any
#: span of application dates, so every first-timer comes before every returning applicant.
RETURNING_OFFSET = 1e10


def initial_rank(taken_before: bool, applied_at: datetime) -> float:
    return as_utc(applied_at).timestamp() + (RETURNING_OFFSET if taken_before else 0.0)
