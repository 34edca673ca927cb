"""Core's forms of scheduled sessions, for core's pages and plugins' (through the toolkit)."""

from __future__ import annotations

from typing import Any, Mapping

from flask_babel import gettext

from core.errors import FieldError
from core.sessions.models import AttendanceStatus
from core.sessions.schemas import AttendanceInSchema
from core.web.forms import load_input


def read_attendance(scheduled: Any, form: Mapping[str, Any], message: str | None = None) -> dict[str, Any] | None:
    """A session's attendance form (one choice a participant, named ``status-<person id>``)
    loaded as the API's attendance input (``AttendanceInSchema``), or None when nothing was
    chosen. A choice that is not one of the options is refused at its row (the person's id),
    saying ``message`` (the page's words; by default core's)."""
    entries = [{"person_id": row.person_id, "status": form.get(f"status-{row.person_id}", "") or None}
               for row in scheduled.attendance]
    message = message or gettext("Choose one of the options.")
    wrong = {str(e["person_id"]): [message] for e in entries
             if e["status"] is not None and e["status"] not in AttendanceStatus._value2member_map_}
    if wrong:
        raise FieldError(wrong)
    if not any(e["status"] for e in entries):
        return None
    return load_input(AttendanceInSchema(), {"attendance": entries})
