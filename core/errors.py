"""The errors services raise: field errors (422), conflicts (409), not found (404); no flask here."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

T = TypeVar("T")


class FieldError(ValueError):
    """Input that cannot be used; ``errors`` maps field name to messages (a 422 with that map)."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                                   for k, v in errors.items()))
        self.errors = errors


class Conflict(Exception):
    """The input is fine but the state of things refuses it (a 409); the message says why.

    ``detail``, when given, is the API's problem detail instead of the message (a documented
    English sentence where the message is the page's words in the reader's language)."""

    detail: str | None = None

    def __init__(self, *args: Any, detail: str | None = None) -> None:
        super().__init__(*args)
        if detail is not None:
            self.detail = detail


class NotFound(LookupError):
    """No such row in the current tenant (a 404); the message says what was looked for."""


def get_or_404(session: Session, model: type[T], id: int, *options: Any, what: str | None = None) -> T:
    """The ``model`` row with primary key ``id`` in the current tenant, or :class:`NotFound`.

    A select (not ``session.get``) so that tenant scoping applies even to a row already loaded.
    """
    row = session.scalar(select(model).where(model.id == id).options(*options))  # type: ignore[attr-defined]
    if row is None:
        raise NotFound(f"no such {what or model.__name__.lower()} in this tenant")
    return row


def get_or_invalid(session: Session, model: type[T], id: int, *options: Any, field: str, message: str) -> T:
    """The ``model`` row with primary key ``id`` in the current tenant, or :class:`FieldError`
    saying ``message`` at ``field``: for an id the input names (a 422 on that field), where
    :func:`get_or_404` is for the id in the address."""
    row = session.scalar(select(model).where(model.id == id).options(*options))  # type: ignore[attr-defined]
    if row is None:
        raise FieldError({field: [message]})
    return row


@contextmanager
def conflict_on_integrity_error(message: str, conflict: Callable[[str], Conflict] = Conflict) -> Iterator[None]:
    """Within the block, a unique or foreign-key violation (someone did the same at the same
    moment) is ``conflict(message)``: a 409 for the API, the form again for a page. The caller's
    transaction must be rolled back, as core's handlers and ``form_page`` do."""
    try:
        yield
    except IntegrityError as exc:
        raise conflict(message) from exc
