"""VIP applications, by concern: submitting, duplicates, merging, withdrawal; the names callers use.

The input schemas are in :mod:`plugins.vip.schemas`; what the parts share (errors, lookups,
ending an application) in :mod:`.common`.
"""

from __future__ import annotations

from plugins.vip.services.applications.common import (
    CLOSED_REASONS,
    WITHDRAWAL_REASONS,
    ApplicationConflict,
    ApplicationError,
    ApplicationGone,
    application_or_404,
    applications_query,
    get_application,
    open_applications,
)
from plugins.vip.services.applications.duplicates import (
    REASON_LABELS,
    PossibleDuplicate,
    duplicate_flags,
    possible_duplicates,
)
from plugins.vip.services.applications.merge import merge
from plugins.vip.services.applications.submit import (
    CONSENT_PURPOSE,
    LANGUAGES,
    PossibleDuplicates,
    submit_application,
    submit_paper_application,
)
from plugins.vip.services.applications.withdraw import (
    WITHDRAWABLE,
    application_for_withdrawal,
    consent_withdrawn,
    withdraw,
    withdraw_by_link,
)

__all__ = [
    "ApplicationError", "ApplicationConflict", "ApplicationGone",
    "LANGUAGES", "CONSENT_PURPOSE", "submit_application", "PossibleDuplicates", "submit_paper_application",
    "applications_query", "application_or_404", "get_application", "open_applications",
    "PossibleDuplicate", "REASON_LABELS", "possible_duplicates", "duplicate_flags",
    "merge",
    "WITHDRAWAL_REASONS", "CLOSED_REASONS", "WITHDRAWABLE", "withdraw", "application_for_withdrawal",
    "withdraw_by_link", "consent_withdrawn",
]
