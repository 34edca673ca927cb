"""VIP applications: the shared input schema, submitting, duplicates and merging, withdrawal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any, Iterable

from flask import render_template
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from core.audit import services as audit
from core.db import MAX_ID, current_tenant_id, utcnow
from core.errors import Conflict, FieldError, NotFound, get_or_404
from core.people import services as people
from core.people.models import Consent, ConsentGiver, Person
from core.people.vault import Vault
from core.plugins import TenantHooks
from core.sessions.models import Attendance, ScheduledSession
from core.tenants.models import Tenant
from core.validation import FreeText, Name, ShortText
from core.web.strings import N_
from plugins.vip.models import (
    IN_LINE,
    Application,
    ApplicationStatus,
    Channel,
    ContactVia,
    Group,
    GroupStatus,
    Meeting,
    OfferStatus,
    Outreach,
)
from plugins.vip.services import letters, links, locks, offers
from plugins.vip.services.ranking import initial_rank
from plugins.vip.settings import AUDIENCES, KEY, current_settings

#: How "have you taken VIP before?" may be answered; "don't know" counts as no.
TAKEN_BEFORE = ("yes", "no", "dont_know")
#: The interface languages an application may be handled in (the acknowledgement's language).
LANGUAGES = ("sv", "da", "fi", "en")
NATIONAL_ID_COUNTRIES = ("SE", "DK", "FI")
PHONE = re.compile(r"^[0-9 +()\-]*[0-9][0-9 +()\-]*$")
EMAIL = validate.Email()
NEEDS_MAX = 2000

#: Why an application was withdrawn: the key is stored (``closed_reason``), the label shown.
WITHDRAWAL_REASONS = {
    "applicant_asked": N_("The applicant no longer wants a place"),
    "moved_away": N_("The applicant has moved away"),
    "not_reached": N_("We could not reach the applicant"),
    "other_support": N_("The applicant gets other support instead"),
    "other": N_("Another reason"),
}

#: Why an application ended without a place, in words (``closed_reason``).
CLOSED_REASONS = {
    **WITHDRAWAL_REASONS,
    "merged": N_("The same person applied twice"),
    "consent_withdrawn": N_("The consent was withdrawn"),
    "declined": N_("Said no to the offer"),
    "expired": N_("Did not answer the offer in time"),
}

#: The purpose of the consent, in the words the public form shows (stored in the applicant's language).
CONSENT_PURPOSE = N_("We save your name and how we can reach you. We only use it to give you a place in VIP.")


class ApplicationError(FieldError):
    """Invalid application data; ``errors`` maps field name to messages, as the API returns them."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__({k: [str(m) for m in v] for k, v in errors.items()})


class ApplicationConflict(Conflict):
    """The application is in a state that does not allow this (already withdrawn, say)."""


class ApplicationGone(NotFound, ApplicationConflict):
    """The application was erased, or its applicant anonymised, while the request was on its
    way: a 404 (there is nothing left to act on), and still an :class:`ApplicationConflict`."""


# --------------------------------------------------------------------------- input schema

#: Messages by field (or problem). The public form speaks to the applicant ("your"); staff
#: and API clients get the same rules in neutral words. Marked here, translated when shown.
PUBLIC_MESSAGES = {
    "first_name": N_("Write your first name."),
    "last_name": N_("Write your last name."),
    "name_long": N_("The name is too long. Write at most 100 letters."),
    "birth_year": N_("Write the year you were born with four numbers, for example 1990."),
    "contact_via": N_("Choose who we should contact."),
    "self_contact": N_("Write your phone number or your email address. One of them is enough."),
    "contact_name": N_("Write the name of the person we should contact."),
    "other_contact": N_("Write a phone number or an email address for the person we should contact."),
    "email": N_("The email address is not right. It should look like name@example.se."),
    "phone": N_("The phone number is not right. Use numbers only."),
    "audience": N_("Choose the group you want to be in."),
    "taken_before": N_("Answer if you have been in a VIP group before."),
    "interpreter_needed": N_("Answer yes or no."),
    "interpreter_language": N_("Write the language you need an interpreter for."),
    "needs": N_("The text is too long. Write at most 2000 letters."),
    "consent": N_("You must say yes before you can send the application."),
    "consent_given_by": N_("Choose who says yes."),
    "too_long": N_("The text is too long."),
}

STAFF_MESSAGES = {
    **PUBLIC_MESSAGES,
    "first_name": N_("Enter the applicant's first name."),
    "last_name": N_("Enter the applicant's last name."),
    "birth_year": N_("Enter a birth year with four digits, not in the future."),
    "contact_via": N_("Choose who is contacted."),
    "self_contact": N_("Enter the applicant's phone number or email address (at least one)."),
    "contact_name": N_("Enter the name of the person to contact."),
    "other_contact": N_("Enter a phone number or an email address of the person to contact (at least one)."),
    "email": N_("Enter a valid email address."),
    "phone": N_("Use digits, spaces and + ( ) - only."),
    "audience": N_("Choose one of the groups this organisation runs."),
    "taken_before": N_("Choose yes, no or don't know."),
    "interpreter_language": N_("Enter the interpreter's language."),
    "consent": N_("The application needs the consent: tick that it was given."),
    "consent_given_by": N_("Choose who gave the consent."),
    "national_id": N_("Enter a valid national identity number for the country."),
    "national_id_country": N_("Choose Sweden, Denmark or Finland."),
    "applied_on": N_("Enter the date the application arrived (not in the future)."),
    "language": N_("Choose one of the languages."),
    "channel": N_("Choose web or paper."),
    "person_id": N_("Enter the id of a person in this organisation."),
}


def _plain(messages: Any) -> Any:
    if isinstance(messages, dict):
        return {key: _plain(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [str(m) if not isinstance(m, (dict, list)) else _plain(m) for m in messages]
    return [str(messages)]


def _text(kind: type[fields.String] = ShortText, **kwargs: Any) -> fields.String:
    return kind(allow_none=True, load_default=None, **kwargs)


class VipApplicationInSchema(Schema):
    """An application as the public form sends it: minimal data about the applicant, how to
    reach them (and through whom), the group, first time or not, needs, and the consent."""

    class Meta:
        unknown = EXCLUDE

    messages = PUBLIC_MESSAGES

    first_name = Name(required=True, metadata={"maxLength": 100})
    last_name = Name(required=True, metadata={"maxLength": 100})
    birth_year = fields.Integer(allow_none=True, load_default=None,
                                metadata={"description": "Optional; helps to tell people with the same name apart."})
    contact_via = fields.String(required=True, metadata={
        "enum": [c.value for c in ContactVia],
        "description": "Who the programme contacts: the applicant (`self`: `phone` and/or `email` needed) "
                       "or someone on their behalf (`contact_name` and `contact_phone` and/or `contact_email`)."})
    email = _text(metadata={"description": "The applicant's own email, when contact_via is self."})
    phone = _text(metadata={"description": "The applicant's own phone, when contact_via is self."})
    contact_name = _text(Name, metadata={"maxLength": 200})
    contact_phone = _text(metadata={"maxLength": 40})
    contact_email = _text(metadata={"maxLength": 254})
    audience = fields.String(required=True, metadata={
        "enum": list(AUDIENCES), "description": "One of the group audiences the tenant runs (its settings)."})
    taken_before = fields.String(required=True, metadata={
        "enum": list(TAKEN_BEFORE), "description": "Has the applicant taken VIP before? `dont_know` counts as no."})
    interpreter_needed = fields.Boolean(load_default=False)
    interpreter_language = _text(metadata={"maxLength": 35, "description": "Needed when interpreter_needed."})
    needs = _text(FreeText, metadata={"maxLength": NEEDS_MAX,
                            "description": "What the applicant needs to take part (accessibility, support)."})
    consent = fields.Boolean(required=True, metadata={"description": "Must be true: the consent was given."})
    consent_given_by = fields.String(required=True, metadata={"enum": [g.value for g in ConsentGiver]})

    def __init__(self, *args: Any, audiences: Iterable[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The tenant's audiences; None checks against every audience (the service checks the tenant's).
        self.audiences = tuple(audiences) if audiences is not None else None
        for name, field in self.fields.items():
            message = self.messages.get(name)
            if message is not None:
                lazy = lazy_gettext(message)  # this schema may be made before any request
                field.error_messages = {**field.error_messages, "required": lazy, "null": lazy, "invalid": lazy}

    @pre_load
    def _blanks_are_absent(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        cleaned = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "":
                    continue
            cleaned[key] = value
        return cleaned

    def handle_error(self, error: ValidationError, data: Any, *, many: bool, **kwargs: Any) -> None:
        """Every message as a list of plain strings, in the language of the request (the
        field messages are lazy: this schema may be made before any request)."""
        raise ValidationError(_plain(error.messages), data=data, valid_data=error.valid_data)

    def _msg(self, key: str) -> str:
        return _(self.messages[key])

    @validates_schema(skip_on_field_errors=False)
    def _rules(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}

        def fail(field: str, key: str | None = None) -> None:
            errors.setdefault(field, []).append(self._msg(key or field))

        for name in ("first_name", "last_name"):
            if name in data and len(data[name]) > 100:
                fail(name, "name_long")
        year = data.get("birth_year")
        if year is not None and not 1900 <= year <= date.today().year:
            fail("birth_year")
        for name in ("email", "contact_email"):
            value = data.get(name)
            if value is not None:
                try:
                    EMAIL(value)
                except ValidationError:
                    fail(name, "email")
                else:
                    if len(value) > 254:
                        fail(name, "email")
        for name in ("phone", "contact_phone"):
            value = data.get(name)
            if value is not None and (len(value) > 40 or not PHONE.match(value)):
                fail(name, "phone")
        via = data.get("contact_via")
        if "contact_via" in data and via not in {c.value for c in ContactVia}:
            fail("contact_via")
        elif via == ContactVia.self.value:
            if not (data.get("phone") or data.get("email")) and "phone" not in errors and "email" not in errors:
                fail("phone", "self_contact")
        elif via is not None:
            if not data.get("contact_name"):
                fail("contact_name")
            elif len(data["contact_name"]) > 200:
                fail("contact_name", "too_long")
            if not (data.get("contact_phone") or data.get("contact_email")) and not (
                    "contact_phone" in errors or "contact_email" in errors):
                fail("contact_phone", "other_contact")
        audience = data.get("audience")
        if "audience" in data and audience not in (self.audiences if self.audiences is not None else AUDIENCES):
            fail("audience")
        if "taken_before" in data and data["taken_before"] not in TAKEN_BEFORE:
            fail("taken_before")
        if data.get("interpreter_needed"):
            language = data.get("interpreter_language")
            if not language:
                fail("interpreter_language")
            elif len(language) > 35:
                fail("interpreter_language", "too_long")
        if data.get("needs") is not None and len(data["needs"]) > NEEDS_MAX:
            fail("needs")
        if "consent" in data and data["consent"] is not True:
            fail("consent")
        if "consent_given_by" in data and data["consent_given_by"] not in {g.value for g in ConsentGiver}:
            fail("consent_given_by")
        if errors:
            raise ValidationError(errors)

    @post_load
    def _shape(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        """Keep only what the chosen way of contact needs (minimal data), typed for the service."""
        via = ContactVia(data["contact_via"])
        if via is ContactVia.self:
            data["contact_name"] = data["contact_phone"] = data["contact_email"] = None
        else:
            data["email"] = data["phone"] = None
        data["contact_via"] = via
        data["taken_before"] = data["taken_before"] == "yes"
        data["consent_given_by"] = ConsentGiver(data["consent_given_by"])
        if not data.get("interpreter_needed"):
            data["interpreter_needed"], data["interpreter_language"] = False, None
        data.pop("consent", None)
        return data


class VipStaffApplicationInSchema(VipApplicationInSchema):
    """An application entered by staff (a paper form): the same rules, plus an optional
    national identity number, the date it arrived and the applicant's language."""

    messages = STAFF_MESSAGES

    national_id = _text(load_only=True, metadata={
        "description": "Optional. Validated for the country, stored encrypted, never returned."})
    national_id_country = _text(metadata={"enum": list(NATIONAL_ID_COUNTRIES),
                                          "description": "Defaults to the tenant's country."})
    applied_on = fields.Date(allow_none=True, load_default=None, metadata={
        "description": "The day the application arrived (default today); its place in line follows it."})
    language = _text(metadata={"enum": list(LANGUAGES),
                               "description": "The applicant's language, for the acknowledgement and later letters."})

    @validates_schema(skip_on_field_errors=False)
    def _staff_rules(self, data: dict[str, Any], **_kwargs: Any) -> None:
        errors: dict[str, list[str]] = {}
        if data.get("national_id") is not None and len(data["national_id"]) > 20:
            errors["national_id"] = [self._msg("national_id")]
        if data.get("national_id_country") is not None and data["national_id_country"] not in NATIONAL_ID_COUNTRIES:
            errors["national_id_country"] = [self._msg("national_id_country")]
        applied_on = data.get("applied_on")
        if applied_on is not None and not date(2000, 1, 1) <= applied_on <= date.today():
            errors["applied_on"] = [self._msg("applied_on")]
        if data.get("language") is not None and data["language"] not in LANGUAGES:
            errors["language"] = [self._msg("language")]
        if errors:
            raise ValidationError(errors)


class VipApplicationCreateSchema(VipStaffApplicationInSchema):
    """An application registered through the API: the staff fields, the channel it came by,
    and optionally the existing person it belongs to."""

    channel = fields.String(load_default=Channel.paper.value, metadata={
        "enum": [c.value for c in Channel], "description": "How the application arrived; default paper."})
    person_id = fields.Integer(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_ID),
                               metadata={"description": "Attach the application to this existing person "
                                                        "(staff checked it is the same person) instead of "
                                                        "registering a new one."})

    @validates_schema(skip_on_field_errors=False)
    def _channel(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "channel" in data and data["channel"] not in {c.value for c in Channel}:
            raise ValidationError({"channel": [self._msg("channel")]})

    @post_load
    def _channel_enum(self, data: dict[str, Any], **_kwargs: Any) -> dict[str, Any]:
        data["channel"] = Channel(data["channel"])
        return data


def load_form(schema: Schema, form: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """Validate ``form`` with ``schema``: (data, {}) or (None, errors as plain strings)."""
    try:
        return schema.load(form), {}
    except ValidationError as exc:
        messages = _plain(exc.normalized_messages())
        return None, {k: [str(m) for m in v] for k, v in messages.items()}


# --------------------------------------------------------------------------- submitting

def _tenant(session: Session) -> Tenant:
    return session.get(Tenant, current_tenant_id())


def _language(data: dict[str, Any], language: str | None) -> str:
    chosen = language or data.get("language")
    if chosen in LANGUAGES:
        return chosen
    current = str(get_locale() or "")
    return current if current in LANGUAGES else "en"


def submit_application(session: Session, vault: Vault, data: dict[str, Any], *, channel: Channel | str,
                       country: str, applied_at: datetime | None = None, person: Person | None = None,
                       language: str | None = None, person_field: str = "person_id") -> Application:
    """Register an application from validated ``data`` (:class:`VipApplicationInSchema`).

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
            person = people.create_person(session, vault, person_data, country=country)
        else:
            _fill_blanks(session, vault, person, data, contact_self=contact_self, language=language, country=country)
        people.add_consent(session, person, purpose=_consent_purpose(language), given_by=data["consent_given_by"],
                           given_on=min(applied_at.date(), date.today()), plugin=KEY)
    except people.PersonError as exc:
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
    audit.record(session, "vip.application.create", object_type="vip_application", object_id=application.id,
                 detail={"channel": channel.value, "audience": application.audience, "person": person.id,
                         "new_person": created})
    _acknowledge(session, application, person, language)
    return application


def open_applications(session: Session, person_id: int, audience: str) -> list[Application]:
    """The person's applications for ``audience`` still open: in line, or placed in a group
    that has not finished (nor been cancelled)."""
    return list(session.scalars(
        select(Application).outerjoin(Group, Group.id == Application.group_id)
        .where(Application.person_id == person_id, Application.audience == audience,
               or_(Application.status.in_(IN_LINE),
                   and_(Application.status == ApplicationStatus.placed,
                        Group.status.in_((GroupStatus.planned, GroupStatus.running)))))
        .order_by(Application.id)))


def _attachable(session: Session, person: Person, audience: str, field: str) -> Person:
    """``person`` locked and read afresh, when a new application for ``audience`` may be
    attached to them; otherwise an :class:`ApplicationError` on ``field`` saying why."""
    locked = people.lock_people(session, person.id).get(person.id)
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
        people.update_person(session, vault, person, changes, country=country)


def _consent_purpose(language: str) -> str:
    with force_locale(language):
        return _(CONSENT_PURPOSE)


def _acknowledge(session: Session, application: Application, person: Person, language: str) -> None:
    to = letters.recipient(application, person)
    if not to:
        return  # no email address: staff contact the applicant another way
    tenant = _tenant(session)
    token, application.withdraw_token_hash = links.new_token()
    session.flush()
    context = {"first_name": person.first_name, "organisation": tenant.name,
               "to_contact": application.contact_via is not ContactVia.self,
               "withdraw_link": links.external(tenant, "vip.withdraw", token)}
    with force_locale(language):
        subject = _("We have got the application for VIP") if context["to_contact"] else \
            _("We have got your application for VIP")
        text = render_template("vip/email/acknowledgement.txt", **context)
        html = render_template("vip/email/acknowledgement.html", lang=language, subject=subject, **context)
    letters.queue(session, to=to, subject=subject, text=text, html=html, key=f"vip.ack.{application.id}")


# --------------------------------------------------------------------------- reading

def applications_query(*, audience: str | None = None, status: ApplicationStatus | None = None,
                       channel: Channel | None = None):
    """The current tenant's applications, newest first, with their people, filtered."""
    # The condition on the person sits in the join: in a WHERE, core's tenancy check cannot
    # see through the count subquery of a page that the table is reached through its class.
    stmt = (select(Application)
            .join(Person, and_(Person.id == Application.person_id, Person.anonymised_at.is_(None)))
            .options(contains_eager(Application.person))
            .order_by(Application.applied_at.desc(), Application.id.desc()))
    if audience:
        stmt = stmt.where(Application.audience == audience)
    if status is not None:
        stmt = stmt.where(Application.status == status)
    if channel is not None:
        stmt = stmt.where(Application.channel == channel)
    return stmt


def application_or_404(session: Session, application_id: int) -> Application:
    """One application of the current tenant with its offers, or :class:`NotFound`, also when its
    applicant was anonymised (what is left is statistics, not an application to act on)."""
    application = get_or_404(session, Application, application_id,
                             selectinload(Application.offers), selectinload(Application.person))
    if application.person.anonymised_at is not None:
        raise NotFound("no such application in this tenant")
    return application


def _changed_meanwhile(session: Session, application_id: int) -> Exception:
    """What to raise for an application that changed while the request was on its way:
    :class:`ApplicationGone` when it is gone (erased, or its applicant anonymised), else
    :class:`ApplicationConflict` (withdrawn, merged into someone else)."""
    current = session.scalar(select(Application).where(Application.id == application_id)
                             .options(selectinload(Application.person))
                             .execution_options(populate_existing=True))
    if current is None or current.person.anonymised_at is not None:
        return ApplicationGone("no such application in this tenant")
    return ApplicationConflict(_(locks.CHANGED))


def get_application(session: Session, application_id: int) -> Application | None:
    """One application of the current tenant with its offers, or None (also for other tenants' ids)."""
    return session.scalar(select(Application).where(Application.id == application_id)
                          .options(selectinload(Application.offers), selectinload(Application.person)))


# --------------------------------------------------------------------------- duplicates

@dataclass(frozen=True)
class PossibleDuplicate:
    """Someone already registered who may be the applicant, why, and their VIP applications."""

    person: Person
    reasons: tuple[str, ...]
    applications: tuple[Application, ...] = ()


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "").lstrip("0")


def _phones_match(a: str, b: str) -> bool:
    """The same number written with or without the country code or a leading zero."""
    if len(a) < 6 or len(b) < 6:
        return a == b and bool(a)
    return a.endswith(b) or b.endswith(a)


@dataclass
class _Side:
    """What is compared of an applicant or a registered person."""

    first_name: str
    last_name: str
    birth_year: int | None
    national_id_index: str | None
    emails: set[str]
    phones: set[str]

    @classmethod
    def of(cls, person_like: Any, applications: Iterable[Any] = ()) -> _Side:
        birth_date = getattr(person_like, "birth_date", None)
        emails = {(getattr(person_like, "email", None) or "").strip().lower()}
        phones = {_digits(getattr(person_like, "phone", None))}
        for app in applications:
            emails.add((app.contact_email or "").strip().lower())
            phones.add(_digits(app.contact_phone))
        return cls(
            first_name=(person_like.first_name or "").strip().lower(),
            last_name=(person_like.last_name or "").strip().lower(),
            birth_year=birth_date.year if birth_date else getattr(person_like, "birth_year", None),
            national_id_index=getattr(person_like, "national_id_index", None),
            emails={e for e in emails if e}, phones={p for p in phones if p},
        )

    def reasons_against(self, other: _Side) -> tuple[str, ...]:
        reasons = []
        if self.national_id_index and self.national_id_index == other.national_id_index:
            reasons.append("national_id")
        if self.first_name and self.first_name == other.first_name and self.last_name == other.last_name:
            if self.emails & other.emails or any(_phones_match(a, b) for a in self.phones for b in other.phones):
                reasons.append("name+contact")
            if self.birth_year and self.birth_year == other.birth_year:
                reasons.append("name+birth_year")
        return tuple(reasons)


#: Reasons shown to staff, in words.
REASON_LABELS = {
    "national_id": N_("The same national identity number"),
    "name+contact": N_("The same name and the same phone number or email address"),
    "name+birth_year": N_("The same name and the same birth year"),
}


def _applications_of(session: Session, person_ids: Iterable[int]) -> dict[int, list[Application]]:
    ids = sorted(set(person_ids))
    found: dict[int, list[Application]] = {pid: [] for pid in ids}
    if ids:
        for app in session.scalars(select(Application).where(Application.person_id.in_(ids))
                                   .order_by(Application.applied_at, Application.id)):
            found[app.person_id].append(app)
    return found


def possible_duplicates(session: Session, vault: Vault, application_or_candidate: Application | dict[str, Any], *,
                        country: str | None = None) -> list[PossibleDuplicate]:
    """People of the current tenant who may be the applicant: the same national ID (through
    the blind index), or the same name with the same phone or email (the applicant's own or
    their contact's) or birth year. Shown to staff, who decide; nothing is merged here.

    ``application_or_candidate`` is a saved application or validated form data not yet saved.
    """
    country = country or _tenant(session).country
    if isinstance(application_or_candidate, Application):
        application = application_or_candidate
        person = application.person
        own = _applications_of(session, [person.id])[person.id]
        target = _Side.of(person, own)
        found = {d.person.id: d.person for d in people.find_duplicates(
            session, vault, {"first_name": person.first_name, "last_name": person.last_name},
            country=country, exclude_id=person.id)}
        if person.national_id_index:
            for other in session.scalars(select(Person).where(
                    Person.national_id_index == person.national_id_index, Person.id != person.id,
                    Person.anonymised_at.is_(None))):
                found[other.id] = other
        national_id_matches: set[int] = set()
    else:
        candidate = dict(application_or_candidate)
        contact = _ContactOnly(candidate.get("contact_phone"), candidate.get("contact_email"))
        target = _Side.of(_PersonLike(candidate), [contact])
        core_found = people.find_duplicates(session, vault, {
            k: candidate.get(k) for k in ("first_name", "last_name", "email", "phone", "national_id",
                                          "national_id_country")}, country=country)
        found = {d.person.id: d.person for d in core_found}
        national_id_matches = {d.person.id for d in core_found if "national_id" in d.reasons}
    apps = _applications_of(session, found)
    result = []
    for pid, other in found.items():
        reasons = list(target.reasons_against(_Side.of(other, apps[pid])))
        if pid in national_id_matches and "national_id" not in reasons:
            reasons.insert(0, "national_id")
        if reasons:
            result.append(PossibleDuplicate(other, tuple(reasons), tuple(apps[pid])))
    return sorted(result, key=lambda d: (d.person.last_name.lower(), d.person.first_name.lower(), d.person.id))


@dataclass
class _PersonLike:
    data: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        if name == "national_id_index":
            return None
        return self.data.get(name)


@dataclass
class _ContactOnly:
    contact_phone: str | None
    contact_email: str | None


def _like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def duplicate_flags(session: Session, applications: Iterable[Application]) -> set[int]:
    """Ids of ``applications`` whose applicant may be registered twice (the rules of
    :func:`possible_duplicates`), in two queries whatever the number of applications."""
    applications = list(applications)
    people_by_id = {a.person.id: a.person for a in applications}
    names = {((p.first_name or "").strip(), (p.last_name or "").strip()) for p in people_by_id.values()}
    names = {n for n in names if n[0] and n[1]}
    indexes = {p.national_id_index for p in people_by_id.values() if p.national_id_index}
    conditions = [and_(Person.first_name.ilike(_like(f), escape="\\"), Person.last_name.ilike(_like(l), escape="\\"))
                  for f, l in sorted(names)]
    if indexes:
        conditions.append(Person.national_id_index.in_(sorted(indexes)))
    if not conditions:
        return set()
    others = list(session.scalars(select(Person).where(or_(*conditions), Person.anonymised_at.is_(None))))
    apps = _applications_of(session, [*people_by_id, *(p.id for p in others)])
    sides = {p.id: _Side.of(p, apps.get(p.id, ())) for p in [*people_by_id.values(), *others]}
    flagged = set()
    for application in applications:
        own = sides[application.person.id]
        if any(other.id != application.person.id and own.reasons_against(sides[other.id]) for other in others):
            flagged.add(application.id)
    return flagged


# --------------------------------------------------------------------------- merging

def merge(session: Session, application: Application, into_person: Person, *,
          hooks: TenantHooks | None = None) -> Application:
    """Move ``application`` and every other VIP record of its person onto ``into_person``,
    who staff decided is the same person; then erase the person record the application had
    made, through core's erasure, when it holds nothing else. Only ever on staff action.

    When both had an application in line for the same group audience, the one with the
    better place stays in line and the other is closed as ``merged`` (a place it held is
    offered to the next in line).

    Both people are locked first (in id order), then their applications, then the groups
    (services/locks.py), and everything is read afresh: an application that moved to
    another person, or whose person was erased or anonymised, while the request was on
    its way raises :class:`ApplicationConflict`, as does a person to merge into who was.
    """
    old_id, application_id = application.person_id, application.id
    if into_person.id == old_id:
        raise ApplicationError({"person_id": [_("The application already belongs to this person.")]})
    locked, applications = locks.people_and_applications(session, old_id, into_person.id)
    old, into = locked.get(old_id), locked.get(into_person.id)
    application = next((a for a in applications if a.id == application.id), None)
    if old is None or old.anonymised_at is not None or application is None or application.person_id != old_id:
        raise _changed_meanwhile(session, application_id)
    if into is None or into.anonymised_at is not None:
        raise ApplicationConflict(_("The person to merge into was erased or anonymised meanwhile."))
    moved = [a for a in applications if a.person_id == old_id]
    made_by_application = any(a.created_person for a in moved)
    for app in moved:
        app.person_id = into.id
        app.person = into
        app.created_person = False
    _merge_outreach(session, old, into)
    _move_attendance(session, old, into)
    _copy_consents(session, old, into)
    session.flush()
    now = utcnow()
    closed, freed = _close_repeated(session, into, now)
    audit.record(session, "vip.application.merge", object_type="vip_application", object_id=application.id,
                 detail={"from_person": old.id, "into_person": into.id,
                         "applications": sorted(a.id for a in moved), "closed": sorted(closed)})
    _offer_on(session, freed, now)
    if made_by_application and _holds_nothing_else(session, old, hooks):
        people.erase_person(session, _hooks(hooks), old, anonymise=False)
    return application


def _hooks(hooks: TenantHooks | None) -> TenantHooks:
    if hooks is not None:
        return hooks
    from flask import g

    return g.hooks


def _merge_outreach(session: Session, old: Person, into: Person) -> None:
    """Outreach is one row per person: move it, or fold it into the row already there."""
    rows = {row.person_id: row for row in session.scalars(
        select(Outreach).where(Outreach.person_id.in_([old.id, into.id])))}
    source, target = rows.get(old.id), rows.get(into.id)
    if source is None:
        return
    if target is None:
        source.person_id = into.id
        return
    for name in ("informed_on", "offered_on"):
        dates = [d for d in (getattr(source, name), getattr(target, name)) if d is not None]
        setattr(target, name, min(dates) if dates else None)
    target.service = target.service or source.service
    if source.note and source.note != target.note:
        target.note = "; ".join(filter(None, [target.note, source.note]))[:500]
    session.delete(source)


def _move_attendance(session: Session, old: Person, into: Person) -> None:
    """Where the person was expected at VIP meetings (and whether they came) goes with their
    place; a meeting both records were expected at keeps the record already there."""
    vip_sessions = select(Meeting.session_id)
    rows = list(session.scalars(select(Attendance).where(
        Attendance.person_id.in_([old.id, into.id]), Attendance.session_id.in_(vip_sessions))))
    kept = {row.session_id for row in rows if row.person_id == into.id}
    for row in rows:
        if row.person_id != old.id:
            continue
        if row.session_id in kept:
            session.delete(row)
        else:
            row.person_id = into.id


def _copy_consents(session: Session, old: Person, into: Person) -> None:
    """The applicant's VIP consent goes with their applications (the old record may be erased)."""
    held = {(c.purpose, c.given_by, c.given_on) for c in into.consents if c.plugin == KEY and c.active}
    for consent in list(old.consents):
        if consent.plugin == KEY and consent.active and (consent.purpose, consent.given_by, consent.given_on) not in held:
            people.add_consent(session, into, purpose=consent.purpose, given_by=consent.given_by,
                               given_on=consent.given_on, plugin=KEY)
            held.add((consent.purpose, consent.given_by, consent.given_on))


def _close_repeated(session: Session, person: Person, now: datetime) -> tuple[list[int], set[int]]:
    """Of a person's applications in line for one audience, keep the one with an open offer
    or else the best place; close the others as merged. Returns the closed and the groups
    whose offered place they gave up."""
    in_line = list(session.scalars(select(Application).where(
        Application.person_id == person.id, Application.status.in_(IN_LINE))
        .options(selectinload(Application.offers))))
    closed, freed = [], set()
    by_audience: dict[str, list[Application]] = {}
    for app in in_line:
        by_audience.setdefault(app.audience, []).append(app)
    for apps in by_audience.values():
        apps.sort(key=lambda a: (a.status is not ApplicationStatus.offered, a.queue_rank, a.id))
        for extra in apps[1:]:
            freed |= _close(extra, ApplicationStatus.closed, "merged", now)
            closed.append(extra.id)
    return closed, freed


def _holds_nothing_else(session: Session, person: Person, hooks: TenantHooks | None) -> bool:
    """Whether the person record holds nothing but what the merge took away."""
    if person.legal_hold_reason:
        return False
    if session.scalar(select(Application.id).where(Application.person_id == person.id).limit(1)) is not None:
        return False
    if session.scalar(select(Outreach.id).where(Outreach.person_id == person.id).limit(1)) is not None:
        return False
    if any(c.plugin != KEY for c in person.consents):
        return False
    if session.scalar(select(Attendance.id).where(Attendance.person_id == person.id).limit(1)) is not None:
        return False
    for impl in _hooks(hooks).samverka_person_export.get_hookimpls():
        if impl.plugin_name == KEY:
            continue
        if impl.function(session=session, person=person):
            return False
    return True


# --------------------------------------------------------------------------- ending

def _close(application: Application, status: ApplicationStatus, reason: str, now: datetime) -> set[int]:
    """End the application; returns the groups whose place it held (an open offer, or a
    place in a group), so the caller can offer them on."""
    freed = {application.group_id} if application.status is ApplicationStatus.placed and application.group_id else set()
    application.status = status
    application.closed_at = now
    application.closed_reason = reason
    application.withdraw_token_hash = None
    for offer in application.offers:
        if offer.status is OfferStatus.open:
            offer.status = OfferStatus.withdrawn
            offer.answered_at = now
            offer.token_hash = None
            freed.add(offer.group_id)
    return freed


def _offer_on(session: Session, group_ids: Iterable[int], now: datetime) -> None:
    """A place given up goes to the next in line, as when an offer expires. The groups are
    locked in id order, after the applications (services/locks.py)."""
    for group in locks.groups(session, *group_ids).values():
        offers.offer_next(session, group, now=now)


#: Statuses an application can be withdrawn from: in line, or placed before it ends.
WITHDRAWABLE = (*IN_LINE, ApplicationStatus.placed)


def withdraw(session: Session, application: Application, reason: str, *, via_link: bool = False) -> Application:
    """The applicant (or staff on their word) takes the application back, for ``reason``
    (a key of :data:`WITHDRAWAL_REASONS`). Open offers are withdrawn with it; a place held
    in a group is given up: no longer expected at the meetings to come (``group_id`` stays,
    the record of where it was), and each place freed is offered to the next in line. Takes
    the locks placing takes (the person, the application, the groups) and reads them afresh.
    Raises :class:`ApplicationConflict` when it has already ended, or was erased or
    anonymised meanwhile. Returns the application as read under the lock."""
    if reason not in WITHDRAWAL_REASONS:
        raise ApplicationError({"reason": [_("Choose one of the reasons.")]})
    application_id = application.id
    application = locks.application_with_person(session, application_id)
    if application is None:
        raise _changed_meanwhile(session, application_id)
    if application.status not in WITHDRAWABLE:
        raise ApplicationConflict(_("The application has already ended."))
    held = {o.group_id for o in application.offers if o.status is OfferStatus.open}
    if application.status is ApplicationStatus.placed and application.group_id:
        held.add(application.group_id)
    locks.groups(session, *held)  # as placing takes them: person, application, groups
    was = application.status
    now = utcnow()
    freed = _close(application, ApplicationStatus.withdrawn, reason, now)
    if was is ApplicationStatus.placed and application.group_id is not None:
        _leave_future_meetings(session, application, now)
    session.flush()
    audit.record(session, "vip.application.withdraw", object_type="vip_application", object_id=application.id,
                 detail={"reason": reason, "was": was.value, **({"via_link": True} if via_link else {})})
    _offer_on(session, freed, now)
    return application


def application_for_withdrawal(session: Session, token: str | None) -> Application | None:
    """The application the acknowledgement's withdrawal link opens, while it can still be
    withdrawn; None for an unknown or used link (or one of another tenant)."""
    token_hash = links.stored_hash(token)
    if token_hash is None:
        return None
    application = session.scalar(select(Application).where(Application.withdraw_token_hash == token_hash)
                                 .options(selectinload(Application.person), selectinload(Application.offers)))
    if application is None or application.status not in WITHDRAWABLE:
        return None
    return application


def withdraw_by_link(session: Session, token: str | None) -> Application | None:
    """The applicant (or their contact) withdraws through the link: as staff withdrawal on
    their word (reason ``applicant_asked``), places freed are offered on. The link works once:
    its token is claimed with a conditional UPDATE first, so of two presses at the same
    moment one withdraws and the other finds it used. None when the link is unknown or used.

    The person, then the application, are locked before the token is claimed (the order of
    services/locks.py): claiming it first would hold the application while waiting for the
    person, and deadlock with a merge or erasure holding the person and waiting for it."""
    application = application_for_withdrawal(session, token)
    if application is None:
        return None
    application = locks.application_with_person(session, application.id)
    if (application is None or application.withdraw_token_hash != links.stored_hash(token)
            or application.status not in WITHDRAWABLE):
        return None  # used, withdrawn, merged or erased while this press waited for its locks
    application.withdraw_token_hash = None
    return withdraw(session, application, "applicant_asked", via_link=True)


def _leave_future_meetings(session: Session, application: Application, now: datetime) -> None:
    """A participant who gave up their place is no longer expected at the meetings to come."""
    upcoming = (select(Meeting.session_id).join(ScheduledSession, ScheduledSession.id == Meeting.session_id)
                .where(Meeting.group_id == application.group_id, ScheduledSession.starts_at > now))
    for row in session.scalars(select(Attendance).where(
            Attendance.person_id == application.person_id, Attendance.session_id.in_(upcoming),
            Attendance.status.is_(None))):
        session.delete(row)


def consent_withdrawn(session: Session, person: Person, consent: Consent) -> None:
    """The person withdrew their VIP consent: their applications still in line close
    (``consent_withdrawn``) and open offers are withdrawn, so no offer or reminder goes out.
    Another VIP consent still in force keeps them in line."""
    if any(c.id != consent.id and c.plugin == KEY and c.withdrawn_on is None for c in person.consents):
        return
    now = utcnow()
    closed, freed = [], set()
    in_line = session.scalars(select(Application.id).where(
        Application.person_id == person.id, Application.status.in_(IN_LINE))).all()
    for application in locks.applications(session, *in_line).values():
        if application.status not in IN_LINE:
            continue
        freed |= _close(application, ApplicationStatus.closed, "consent_withdrawn", now)
        closed.append(application.id)
    if closed:
        session.flush()
        audit.record(session, "vip.application.consent_withdrawn", object_type="person", object_id=person.id,
                     detail={"applications": sorted(closed)})
        _offer_on(session, freed, now)

