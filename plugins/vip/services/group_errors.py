"""The limits and errors of VIP groups and their meetings, shared by groups.py and meetings.py
(groups.py uses meetings.py: the errors live here so that meetings.py need not import it)."""

from __future__ import annotations

from core.toolkit import Conflict, FieldError

NAME_MAX = 120
LOCATION_MAX = 300


class GroupError(FieldError):
    """Group or meeting data that cannot be saved; ``errors`` maps a field to its messages.

    ``conflict`` is true when the input is well-formed but clashes with what exists (a
    leader or room already booked, meetings already generated): raised as :class:`GroupConflict`.
    """

    def __init__(self, errors: dict[str, list[str]], *, conflict: bool = False) -> None:
        super().__init__(errors)
        self.args = (" ".join(m for messages in errors.values() for m in messages),)
        self.conflict = conflict


class GroupConflict(Conflict, GroupError):
    """Well-formed input that clashes with what exists: a 409 (``conflict`` is true)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        GroupError.__init__(self, errors, conflict=True)
