"""People rules: creating and changing records, national IDs, duplicates, consent, export, erasure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from core.audit import services as audit
from core.db import as_utc, current_tenant_id, utcnow
from core.errors import FieldError, NotFound
from core.hookspecs import ErasureReport
from core.idempotency import services as idempotency
from core.people import matching
from core.people.models import Consent, ConsentGiver, Person
from core.people.national_id import NationalIdError, parse
from core.people.vault import Vault
from core.plugins import TenantHooks, call_each, call_impl
from core.tenants.models import Tenant
from core.tenants.clock import zone as tenant_zone

#: Fields a caller may set directly; the national ID goes through set_national_id.
PERSON_FIELDS = (
    "first_name", "last_name", "birth_date", "birth_year", "gender", "preferred_language",
    "interpreter_needed", "interpreter_language", "email", "phone", "address", "protected_identity",
)
#: Hidden from everyone without core.people.protected when the person has protected identity.
PROTECTED_FIELDS = ("email", "phone", "address")


class PersonError(FieldError):
    """Invalid person data; ``errors`` maps field name to messages, as the API returns them."""


def _context(tenant_id: int) -> bytes:
    return f"person.national_id:{tenant_id}".encode()


def set_national_id(vault: Vault, person: Person, country: str | None, raw: str | None) -> None:
    """Validate, encrypt and index a national ID (None or blank clears it)."""
    if not raw or not raw.strip():
        person.national_id_country = person.national_id_encrypted = None
        person.national_id_index = person.national_id_masked = None
        return
    tenant_id = person.tenant_id or current_tenant_id()
    try:
        parsed = parse(country or "", raw)
    except NationalIdError as exc:
        raise PersonError({"national_id": [str(exc)]}) from None
    person.national_id_country = parsed.country
    person.national_id_encrypted = vault.encrypt(parsed.value, context=_context(tenant_id))
    person.national_id_index = matching.national_id_index(vault, parsed, tenant_id=tenant_id)
    person.national_id_masked = parsed.masked
    if person.birth_date is None:
        person.birth_date = parsed.birth_date


def reveal_national_id(vault: Vault, person: Person) -> str | None:
    """The full number, for the rare view that needs it; callers audit the read."""
    if person.national_id_encrypted is None:
        return None
    return vault.decrypt(person.national_id_encrypted, context=_context(person.tenant_id))


def _check(person: Person) -> None:
    errors: dict[str, list[str]] = {}
    if not (person.first_name or "").strip():
        errors["first_name"] = ["Enter a first name."]
    if not (person.last_name or "").strip():
        errors["last_name"] = ["Enter a last name."]
    if person.birth_date and person.birth_year and person.birth_date.year != person.birth_year:
        errors["birth_year"] = ["The birth year does not match the birth date."]
    if person.birth_date and person.birth_date > date.today():
        errors["birth_date"] = ["The birth date is in the future."]
    if person.interpreter_language and not person.interpreter_needed:
        person.interpreter_language = None
    if errors:
        raise PersonError(errors)


def create_person(session: Session, vault: Vault, data: dict[str, Any], *, country: str) -> Person:
    """Add a person to the current tenant. ``data`` holds PERSON_FIELDS and optionally
    ``national_id`` (and ``national_id_country``, default the tenant's ``country``)."""
    person = Person(tenant_id=current_tenant_id(), **{k: data[k] for k in PERSON_FIELDS if k in data})
    _check(person)
    set_national_id(vault, person, data.get("national_id_country") or country, data.get("national_id"))
    session.add(person)
    session.flush()
    audit.record(session, "person.create", object_type="person", object_id=person.id,
                 detail={"fields": sorted(k for k in (*PERSON_FIELDS, "national_id") if data.get(k) not in (None, ""))})
    return person


def update_person(session: Session, vault: Vault, person: Person, data: dict[str, Any], *, country: str) -> Person:
    """Change the given fields; ``national_id`` present (even blank) replaces the number."""
    changed = [key for key in PERSON_FIELDS if key in data and getattr(person, key) != data[key]]
    for key in changed:
        setattr(person, key, data[key])
    _check(person)
    if "national_id" in data:
        set_national_id(vault, person, data.get("national_id_country") or country, data["national_id"])
        changed.append("national_id")
    session.flush()
    audit.record(session, "person.update", object_type="person", object_id=person.id, detail={"fields": sorted(changed)})
    return person


def shown(person: Person, *, see_protected: bool) -> dict[str, Any]:
    """The person as a caller may see them: protected contact details withheld unless
    ``see_protected``; the national ID only masked."""
    view = {c: getattr(person, c) for c in (*PERSON_FIELDS, "id", "national_id_country",
                                             "national_id_masked", "created_at", "updated_at")}
    view["contact_withheld"] = bool(person.protected_identity and not see_protected)
    if view["contact_withheld"]:
        for key in PROTECTED_FIELDS:
            view[key] = None
    return view


def search_people(query: str | None = None):
    """A SELECT of the current tenant's people, optionally matching ``query`` in a name."""
    stmt = select(Person).where(Person.anonymised_at.is_(None)).order_by(Person.last_name, Person.first_name, Person.id)
    if query:
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(Person.first_name.ilike(like), Person.last_name.ilike(like)))
    return stmt


def lock_people(session: Session, *person_ids: int) -> dict[int, Person]:
    """Lock the people's rows (``SELECT ... FOR UPDATE``, by id) and read them afresh, with
    their consents; an erased person is missing from the answer, an anonymised one is there
    with ``anonymised_at`` set.

    Every change of who a record belongs to, and every erasure or anonymisation, takes this
    lock first (several people in id order), then the plugin rows it changes (a plugin's own
    order: VIP takes applications, then groups). So an erasure and a merge of the same
    person are done one after the other, and the later one sees what the first left.
    SQLite has no row locks: a writer holds the whole database anyway.
    """
    found: dict[int, Person] = {}
    for person_id in sorted(set(person_ids)):
        person = session.scalar(select(Person).where(Person.id == person_id).with_for_update()
                                .options(selectinload(Person.consents)).execution_options(populate_existing=True))
        if person is not None:
            found[person_id] = person
    return found


class PersonGone(LookupError):
    """The person was erased or anonymised (by someone else, meanwhile)."""


def person_or_404(session: Session, person_id: int, *, audited: bool = False) -> Person:
    """As :func:`get_person` (or :func:`open_person` when ``audited``), or :class:`NotFound`."""
    person = (open_person if audited else get_person)(session, person_id)
    if person is None:
        raise NotFound("no such person in this tenant")
    return person


def get_person(session: Session, person_id: int) -> Person | None:
    """One person of the current tenant, with consents, or None (also for other tenants' ids).

    Use :func:`open_person` when the person's details will be shown: it is audited.
    """
    person = session.scalar(select(Person).where(Person.id == person_id).options(selectinload(Person.consents)))
    return person if person is not None and person.anonymised_at is None else None


def person_or_invalid(session: Session, person_id: int, *, field: str, message: str) -> Person:
    """As :func:`get_person`, or :class:`FieldError` saying ``message`` at ``field``: for a person
    the input names (a 422 on that field), where :func:`person_or_404` is for the id in the
    address. An anonymised person is refused like a missing one (core.errors.get_or_invalid for
    people)."""
    person = get_person(session, person_id)
    if person is None:
        raise FieldError({field: [message]})
    return person


def open_person(session: Session, person_id: int, *, purpose: str = "read") -> Person | None:
    """:func:`get_person`, recording the read in the audit log (``person.<purpose>``)."""
    person = get_person(session, person_id)
    if person is not None:
        audit.record(session, f"person.{purpose}", object_type="person", object_id=person.id)
    return person


@dataclass(frozen=True)
class Duplicate:
    person: Person
    reasons: tuple[str, ...]


def find_duplicates(session: Session, vault: Vault, candidate: dict[str, Any], *, country: str,
                    exclude_id: int | None = None) -> list[Duplicate]:
    """People of the current tenant who may be the same person: the same national ID
    (through the blind index), or the same name (reasons ``name``, or ``name+`` the same birth
    date, email or phone). Looser than :mod:`core.people.matching`'s rules, whose lookup it
    shares: the person form shows every namesake. Shown to staff to decide; never merged silently."""
    target = matching.MatchProfile.of_candidate(
        vault, candidate, national_id=matching.parse_candidate_national_id(candidate, country))
    index = target.national_id_index
    first, last = target.first_name, target.last_name
    found = []
    for person in matching.match_candidates(session, [target], exclude_id=exclude_id):
        reasons = []
        if index and person.national_id_index == index:
            reasons.append("national_id")
        if first and last and person.first_name.lower() == first.lower() and person.last_name.lower() == last.lower():
            same = [f for f in ("birth_date", "email", "phone") if candidate.get(f) and getattr(person, f) == candidate[f]]
            if same or not reasons:
                reasons.append("name" if not same else "name+" + "+".join(same))
        found.append(Duplicate(person, tuple(reasons)))
    return found


def add_consent(session: Session, person: Person, *, purpose: str, given_by: ConsentGiver | str,
                given_on: date, plugin: str | None = None) -> Consent:
    consent = Consent(person_id=person.id, purpose=purpose.strip(), plugin=plugin,
                      given_by=ConsentGiver(given_by), given_on=given_on)
    if not consent.purpose:
        raise PersonError({"purpose": ["Say what the consent is for."]})
    if given_on > date.today():
        raise PersonError({"given_on": ["The date is in the future."]})
    session.add(consent)
    session.flush()
    audit.record(session, "consent.add", object_type="person", object_id=person.id,
                 detail={"consent": consent.id, "plugin": plugin or "core"})
    return consent


def withdraw_consent(session: Session, consent: Consent, on: date, hooks: TenantHooks | None = None) -> Consent:
    """Record the withdrawal and tell the plugins (``hooks``), which stop what it covered.
    The person is locked first (:func:`lock_people`), as the plugins change their records."""
    lock_people(session, consent.person_id)
    if on < consent.given_on:
        raise PersonError({"withdrawn_on": ["The withdrawal cannot be before the consent was given."]})
    consent.withdrawn_on = on
    session.flush()
    audit.record(session, "consent.withdraw", object_type="person", object_id=consent.person_id,
                 detail={"consent": consent.id, "plugin": consent.plugin or "core"})
    if hooks is not None:
        hooks.samverka_consent_withdrawn(session=session, person=consent.person, consent=consent)
    return consent


def has_consent(session: Session, person: Person, *, plugin: str | None, on: date | None = None) -> bool:
    """Whether an active consent for ``plugin`` (None: core) covers ``on`` (default today)."""
    on = on or date.today()
    stmt = select(Consent.id).where(
        Consent.person_id == person.id, Consent.plugin.is_(None) if plugin is None else Consent.plugin == plugin,
        Consent.given_on <= on, or_(Consent.withdrawn_on.is_(None), Consent.withdrawn_on > on),
    )
    return session.scalar(stmt.limit(1)) is not None


def _dump_local(schema, obj, zone) -> dict[str, Any]:
    """``schema``'s dump of ``obj`` with its moments on the tenant's clock (exports show
    times as the tenant reads them, with their offset)."""
    from marshmallow import fields

    data = schema.dump(obj)
    for name, field in schema.fields.items():
        if not isinstance(field, fields.DateTime):
            continue
        key = field.attribute or name
        moment = obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
        if moment is not None and name in data:
            data[name] = as_utc(moment).astimezone(zone).isoformat()
    return data


def export_person(session: Session, hooks: TenantHooks, person: Person) -> dict[str, Any]:
    """Everything held about ``person``: core's record and each enabled plugin's, by key."""
    from core.people.schemas import ConsentSchema, PersonSchema

    zone = tenant_zone(session.get(Tenant, person.tenant_id))
    data: dict[str, Any] = {
        "person": _dump_local(PersonSchema(), shown(person, see_protected=True), zone),
        "consents": [_dump_local(ConsentSchema(), consent, zone) for consent in person.consents],
    }
    plugins = {answer.key: answer.result for answer in call_each(hooks.samverka_person_export,
                                                                 session=session, person=person)
               if answer.result is not None}
    data["plugins"] = plugins
    audit.record(session, "person.export", object_type="person", object_id=person.id,
                 detail={"plugins": sorted(plugins)})
    return data


def held_by_plugins(session: Session, hooks: TenantHooks, person_ids: Iterable[int], *,
                    except_plugin: str | None = None) -> set[int]:
    """The people among ``person_ids`` whom an enabled plugin other than ``except_plugin``
    still holds records of (``samverka_people_held``): one call per plugin for the whole
    batch, never one per person. A plugin erasing its own part asks this before it lets the
    person record go; it leaves itself out, as it knows what it is about to erase.

    Fails closed: a plugin that exports people's data (``samverka_person_export``) but does
    not answer ``samverka_people_held`` is asked for its export of each person instead, and
    holds everyone it exports something of, so its records are never erased unasked."""
    ids = sorted(set(person_ids))
    if not ids:
        return set()
    answers = call_each(hooks.samverka_people_held, except_plugin=except_plugin, session=session, person_ids=ids)
    held = {person_id for answer in answers for person_id in answer.result or ()} & set(ids)
    answering = {impl.plugin_name for impl in hooks.samverka_people_held.get_hookimpls()}
    silent = [impl for impl in hooks.samverka_person_export.get_hookimpls()
              if impl.plugin_name not in answering and impl.plugin_name != except_plugin]
    if silent and set(ids) - held:
        for person in session.scalars(select(Person).where(Person.id.in_(sorted(set(ids) - held)))):
            if any(call_impl(impl, {"session": session, "person": person}) is not None for impl in silent):
                held.add(person.id)
    return held


class LegalHold(Exception):
    """The person's record is under a legal hold and may not be erased now."""


def erase_person(session: Session, hooks: TenantHooks, person: Person, *, anonymise: bool) -> dict[str, ErasureReport]:
    """Ask every enabled plugin to erase (or anonymise) its records, then core's own.

    Runs in the caller's transaction: if anything raises, nothing is erased. The person's
    row is locked first (:func:`lock_people`) and read afresh, so the plugins are asked
    about what is theirs once any merge or placing under way has committed. A person
    erased or anonymised meanwhile raises :class:`PersonGone`, one under a legal hold
    :class:`LegalHold`, both before anything is touched.
    """
    if person.id not in lock_people(session, person.id) or person.anonymised_at is not None:
        raise PersonGone(person.id)
    if person.legal_hold_reason:
        raise LegalHold(person.legal_hold_reason)
    person_id = person.id
    reports: dict[str, ErasureReport] = {
        answer.key: answer.result
        for answer in call_each(hooks.samverka_person_erase, session=session, person=person, anonymise=anonymise)
        if answer.result is not None
    }
    kept = [reason for report in reports.values() for reason in report.kept]
    core = ErasureReport(kept=kept)
    if anonymise or kept:
        for key in (*PERSON_FIELDS, "gender"):
            if key in ("interpreter_needed", "protected_identity"):
                continue
            setattr(person, key, None)
        person.first_name, person.last_name = "", ""
        person.retain_until = None
        person.national_id_country = person.national_id_encrypted = None
        person.national_id_index = person.national_id_masked = None
        person.anonymised_at = utcnow()
        core.anonymised["person"] = 1
    else:
        core.erased["consent"] = len(person.consents)
        core.erased["person"] = 1
        session.delete(person)
    session.flush()
    # Answers kept for Idempotency-Key retries may repeat the person's data: they go too.
    idempotency.forget_answers(session)
    reports["core"] = core
    audit.record(session, "person.anonymise" if core.anonymised else "person.erase", object_type="person",
                 object_id=person_id, detail={"plugins": sorted(reports), "kept": len(kept)})
    return reports


def past_retention(session: Session, today: date) -> list[Person]:
    """People of the current tenant whose retention ended, not yet anonymised, not on hold."""
    return list(session.scalars(select(Person).where(
        Person.retain_until < today, Person.anonymised_at.is_(None), Person.legal_hold_reason.is_(None),
    ).options(selectinload(Person.consents)).limit(500)))


def enforce_retention(session: Session, hooks: TenantHooks, today: date) -> int:
    """Anonymise everyone past retention (idempotent: the anonymised are not found again).
    All of them are locked first, in id order, as :func:`lock_people` requires."""
    locked = lock_people(session, *(person.id for person in past_retention(session, today)))
    people = [p for p in locked.values() if p.anonymised_at is None and p.legal_hold_reason is None
              and p.retain_until is not None and p.retain_until < today]
    for person in people:
        erase_person(session, hooks, person, anonymise=True)
    return len(people)
