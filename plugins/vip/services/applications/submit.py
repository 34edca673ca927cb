"""Submitting a VIP application: the applicant as a core person, the consent, the place in line, the acknowledgement."""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy.orm import Session

from core.toolkit import (
    N_,
    Conflict,
    FieldError,
    Person,
    PersonError,
    Vault,
    _,
    add_consent,
    create_person,
    current_tenant,
    force_locale,
    get_locale,
    lock_people,
    new_token,
    person_or_invalid,
    queue_email,
    record_audit,
    update_person,
    utcnow,
)
from plugins.vip.models import Application, ApplicationStatus, Channel, ContactVia
from plugins.vip.services import letters
from plugins.vip.services.applications.common import ApplicationError, open_applications
from plugins.vip.services.applications.duplicates import possible_duplicates
from plugins.vip.services.ranking import initial_rank
from plugins.vip.settings import KEY, current_settings

#: The interface languages an application may be handled in (the acknowledgement's language).
LANGUAGES = ("sv", "da", "fi", "en")

#: The purpose of the consent, in the words the public form shows (stored in the applicant's language).
CONSENT_PURPOSE = N_("We save your name and how we can reach you. We only use it to give you a place in VIP.")


def _language(data: dict[str, Any], language: str | None) -> str:
    chosen = language or data.get("language")
    if chosen in LANGUAGES:
        return chosen
    current = str(get_locale() or "")
    return current if current in LANGUAGES else "en"


def submit_application(session: Session, vault: Vault, data: dict[str, Any], *, channel: Channel | str,
                       country: str, applied_at: datetime | None = None, person: Person | None = None,
                       language: str | None = None, person_field: str = "person_id") -> Application:
    """Register an application from validated ``data`` (:class:`~plugins.vip.schemas.VipApplicationInSchema`).

    Makes the applicant a core person (or, with ``person``, attaches the application to that
    existing person: staff decided it is the same one), records the consent, puts the
    application on the waitlist of its audience, audits it and queues an acknowledgement to
    the applicant or their contact in ``language`` (default: the language in use). Raises
    :class:`ApplicationError` for an audience the tenant does not run or an invalid national ID.

    An existing ``person`` is locked first (services/locks.py) and must not have an open
    application for the same audience (in line, or a place in a group not yet over): that
    would give them a second place in the line, so it is refused with an
    :class:`ApplicationError` on ``person_field`` (the form's name for the chosen person),
    as is a person erased or anonymised meanwhile.
    """
    channel = Channel(channel)
    settings = current_settings(session)
    if data.get("audience") not in settings["audiences"]:
        raise ApplicationError({"audience": [_("Choose one of the groups this organisation runs.")]})
    if person is not None:
        person = _attachable(session, person, data["audience"], person_field)
    if applied_at is None and data.get("applied_on") is not None and data["applied_on"] < date.today():
        applied_at = datetime.combine(data["applied_on"], time(12, 0), tzinfo=timezone.utc)
    applied_at = applied_at or utcnow()
    language = _language(data, language)
    contact_self = data["contact_via"] is ContactVia.self
    created = person is None
    try:
        if person is None:
            person_data = {
                "first_name": data["first_name"], "last_name": data["last_name"],
                "birth_year": data.get("birth_year"), "preferred_language": language,
                "interpreter_needed": data.get("interpreter_needed", False),
                "interpreter_language": data.get("interpreter_language"),
                "email": data.get("email") if contact_self else None,
                "phone": data.get("phone") if contact_self else None,
                "national_id": data.get("national_id"), "national_id_country": data.get("national_id_country"),
            }
            person = create_person(session, vault, person_data, country=country)
        else:
            _fill_blanks(session, vault, person, data, contact_self=contact_self, language=language, country=country)
        add_consent(session, person, purpose=_consent_purpose(language), given_by=data["consent_given_by"],
                    given_on=min(applied_at.date(), date.today()), plugin=KEY)
    except PersonError as exc:
        raise ApplicationError(exc.errors) from None
    application = Application(
        person_id=person.id, audience=data["audience"], channel=channel, taken_before=data["taken_before"],
        contact_via=data["contact_via"], contact_name=None if contact_self else data.get("contact_name"),
        contact_phone=None if contact_self else data.get("contact_phone"),
        contact_email=None if contact_self else data.get("contact_email"),
        needs=data.get("needs"), applied_at=applied_at, status=ApplicationStatus.waiting,
        queue_rank=initial_rank(data["taken_before"], applied_at), created_person=created,
    )
    application.person = person
    session.add(application)
    session.flush()
    record_audit(session, "vip.application.create", object_type="vip_application", object_id=application.id,
                 detail={"channel": channel.value, "audience": application.audience, "person": person.id,
                         "new_person": created})
    _acknowledge(session, application, person, language)
    return application


class PossibleDuplicates(Conflict, FieldError):
    """Registered people may be the applicant: staff choose before anything is saved (a 409
    showing them, with no field in error)."""

    def __init__(self) -> None:
        FieldError.__init__(self, {"duplicate_choice": []})
        self.args = ("possible duplicates",)


def submit_paper_application(session: Session, vault: Vault, data: dict[str, Any], *, chosen: int | None,
                             as_new: bool, country: str) -> tuple[Application, Person | None]:
    """Save a paper application staff typed in: for the registered person ``chosen`` among the
    possible duplicates, or for a new person (``as_new``, or no possible duplicate). Returns the
    application and the chosen person (None for a new one).

    While registered people may be the applicant and staff chose neither, nothing is saved:
    :class:`PossibleDuplicates`. A chosen person no longer registered is a 422 on
    ``duplicate_choice``, as are the refusals of :func:`submit_application`.
    """
    person = None
    if chosen is not None:
        person = person_or_invalid(session, chosen, field="duplicate_choice",
                                   message=_("Choose one of the people shown."))
    elif not as_new and possible_duplicates(session, vault, data, country=country):
        raise PossibleDuplicates()
    application = submit_application(session, vault, data, channel=Channel.paper, country=country, person=person,
                                     person_field="duplicate_choice")
    return application, person


def _attachable(session: Session, person: Person, audience: str, field: str) -> Person:
    """``person`` locked and read afresh, when a new application for ``audience`` may be
    attached to them; otherwise an :class:`ApplicationError` on ``field`` saying why."""
    locked = lock_people(session, person.id).get(person.id)
    if locked is None or locked.anonymised_at is not None:
        raise ApplicationError({field: [_("This person is no longer registered here.")]})
    if open_applications(session, locked.id, audience):
        raise ApplicationError({field: [_(
            "%(name)s already has an open application for this group. Open that application instead "
            "of registering a second one.", name=locked.display_name)]})
    return locked


def _fill_blanks(session: Session, vault: Vault, person: Person, data: dict[str, Any], *, contact_self: bool,
                 language: str, country: str) -> None:
    """What the application tells about an existing person, where their record has nothing yet."""
    changes: dict[str, Any] = {}
    candidates = {"birth_year": data.get("birth_year"), "preferred_language": language}
    if contact_self:
        candidates.update(email=data.get("email"), phone=data.get("phone"))
    if data.get("interpreter_needed") and not person.interpreter_needed:
        changes.update(interpreter_needed=True, interpreter_language=data.get("interpreter_language"))
    for key, value in candidates.items():
        if value is not None and getattr(person, key) in (None, ""):
            changes[key] = value
    if person.birth_date is not None:
        changes.pop("birth_year", None)
    if changes:
        update_person(session, vault, person, changes, country=country)


def _consent_purpose(language: str) -> str:
    with force_locale(language):
        return _(CONSENT_PURPOSE)


def _acknowledge(session: Session, application: Application, person: Person, language: str) -> None:
    to = letters.recipient(application, person)
    if not to:
        return  # no email address: staff contact the applicant another way
    tenant = current_tenant(session)
    token, application.withdraw_token_hash = new_token()
    session.flush()
    queue_email(session, to=to, template="vip/email/acknowledgement", key=f"vip.ack.{application.id}",
                language=language, tenant=tenant,
                context={"first_name": person.first_name, "organisation": tenant.name, "token": token,
                         "to_contact": application.contact_via is not ContactVia.self})
