"""The partner programme's rules, as functions over a Session: no flask here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from core.hookspecs import ErasureReport
from core.toolkit import Person, _, person_or_invalid, record_audit
from samverka_partner.models import PartnerNote


def notes_query():
    """The tenant's notes with their people, newest first (core adds the tenant to every query)."""
    return (select(PartnerNote).options(selectinload(PartnerNote.person))
            .order_by(PartnerNote.written_at.desc(), PartnerNote.id.desc()))


def add_note(session: Session, person_id: int, text: str) -> PartnerNote:
    """Write a note about a person of this tenant; a person not found here is a 422 on ``person_id``."""
    person_or_invalid(session, person_id, field="person_id", message=_("No such person here."))
    note = PartnerNote(person_id=person_id, text=text)
    session.add(note)
    session.flush()
    record_audit(session, "partner.note.create", object_type="partner_note", object_id=note.id,
                 detail={"person": person_id})
    return note


def people_with_notes(session: Session, tenant_ids: list[int]) -> dict[int, int]:
    """The metric: people with at least one note, per tenant (one GROUP BY, aggregates only).
    Core runs it inside the scope of ``tenant_ids``, so the query sees those tenants only."""
    rows = session.execute(select(PartnerNote.tenant_id, func.count(func.distinct(PartnerNote.person_id)))
                           .group_by(PartnerNote.tenant_id))
    return {tenant_id: count for tenant_id, count in rows}


def export(session: Session, person: Person) -> dict[str, Any] | None:
    """The person's notes for their GDPR export; None when there are none."""
    notes = session.scalars(notes_query().where(PartnerNote.person_id == person.id)).all()
    if not notes:
        return None
    return {"notes": [{"text": note.text, "written_at": note.written_at.isoformat()} for note in notes]}


def erase(session: Session, person: Person) -> ErasureReport | None:
    """Delete the person's notes (on erasure and on anonymisation alike: a note is free text)."""
    deleted = session.execute(delete(PartnerNote).where(PartnerNote.person_id == person.id)).rowcount
    return ErasureReport(erased={"partner_note": deleted}) if deleted else None


def people_held(session: Session, person_ids: list[int]) -> set[int]:
    """Of ``person_ids``, the people with notes (one query for the batch): another programme's
    erasure must not let their person record go."""
    return set(session.scalars(select(PartnerNote.person_id).where(PartnerNote.person_id.in_(person_ids))))
