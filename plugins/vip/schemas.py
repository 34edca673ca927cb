"""VIP's marshmallow schemas: what the API and the forms take in and give out."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Iterable

from marshmallow import (
    EXCLUDE,
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from core.toolkit import (
    ID,
    MAX_ID,
    N_,
    ConsentGiver,
    FreeText,
    Name,
    OfferStatus,
    ProblemSchema,
    ShortText,
    _,
    lazy_gettext,
    page_schema,
)
from plugins.vip.models import ApplicationStatus, Channel, ContactVia, GroupStatus
from plugins.vip.services import meetings as meeting_services
from plugins.vip.services import outreach as outreach_services
from plugins.vip.services import waitlist
from plugins.vip.services.applications import LANGUAGES, WITHDRAWAL_REASONS
from plugins.vip.services.group_errors import LOCATION_MAX, NAME_MAX
from plugins.vip.settings import AUDIENCES

# --------------------------------------------------------------------------- applications: input

#: How "have you taken VIP before?" may be answered; "don't know" counts as no.
TAKEN_BEFORE = ("yes", "no", "dont_know")
NATIONAL_ID_COUNTRIES = ("SE", "DK", "FI")
PHONE = re.compile(r"^[0-9 +()\-]*[0-9][0-9 +()\-]*$")
EMAIL = validate.Email()
NEEDS_MAX = 2000

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
    # None in the enums: null is accepted (the tenant's country, no language), as ``type`` says.
    national_id_country = _text(metadata={"enum": [*NATIONAL_ID_COUNTRIES, None],
                                          "description": "Defaults to the tenant's country."})
    applied_on = fields.Date(allow_none=True, load_default=None, metadata={
        "description": "The day the application arrived (default today); its place in line follows it."})
    language = _text(metadata={"enum": [*LANGUAGES, None],
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


# --------------------------------------------------------------------------- applications: API

class VipApplicationArgsSchema(Schema):
    audience = fields.String(load_default=None, validate=validate.OneOf(AUDIENCES))
    status = fields.Enum(ApplicationStatus, load_default=None)
    channel = fields.Enum(Channel, load_default=None)


class VipApplicationSchema(Schema):
    """An application as lists show it: the applicant's name and the application's facts."""

    id = fields.Integer()
    person_id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    audience = fields.String(metadata={"description": "The group audience applied for."})
    channel = fields.Enum(Channel, metadata={"description": "web or paper."})
    status = fields.Enum(ApplicationStatus)
    taken_before = fields.Boolean(metadata={"description": "False for first-timers, who come first in line."})
    contact_via = fields.Enum(ContactVia)
    applied_at = fields.DateTime()
    group_id = fields.Integer(allow_none=True)
    placed_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    closed_reason = fields.String(allow_none=True, metadata={
        "description": "Why it ended without a place: a withdrawal reason, merged, consent_withdrawn, ..."})
    created_person = fields.Boolean(metadata={"description": "The person record was made for this application."})
    possible_duplicate = fields.Boolean(metadata={
        "description": "Someone else registered may be the same person: see the duplicates endpoint."})


class VipApplicantSchema(Schema):
    """The applicant as the caller may see them: protected contact details withheld."""

    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    birth_year = fields.Integer(allow_none=True)
    preferred_language = fields.String(allow_none=True)
    interpreter_needed = fields.Boolean()
    interpreter_language = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    national_id_masked = fields.String(allow_none=True)
    contact_withheld = fields.Boolean(metadata={"description": "Protected identity: contact details are withheld."})


class VipApplicationOfferSchema(Schema):
    id = fields.Integer()
    group_id = fields.Integer()
    offered_at = fields.DateTime()
    expires_at = fields.DateTime()
    status = fields.Enum(OfferStatus)
    answered_at = fields.DateTime(allow_none=True)


class VipApplicationDetailSchema(VipApplicationSchema):
    """One application in full: the contact, the needs, the applicant, the offers made."""

    contact_name = fields.String(allow_none=True)
    contact_phone = fields.String(allow_none=True)
    contact_email = fields.String(allow_none=True)
    needs = fields.String(allow_none=True)
    has_consent = fields.Boolean(metadata={"description": "A VIP consent of the applicant is in force."})
    applicant = fields.Nested(VipApplicantSchema)
    offers = fields.List(fields.Nested(VipApplicationOfferSchema))


class VipWithdrawalSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(list(WITHDRAWAL_REASONS)), metadata={
        "description": "Why: " + "; ".join(f"`{k}` {v.lower()}" for k, v in WITHDRAWAL_REASONS.items())})


class VipMergeSchema(Schema):
    person_id = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "The registered person the applicant is (staff checked); the application moves there."})


class VipDuplicateSchema(Schema):
    person = fields.Nested(VipApplicantSchema)
    reasons = fields.List(fields.String(), metadata={
        "description": "national_id, name+contact (phone or email, the applicant's or their contact's), "
                       "name+birth_year."})
    application_ids = fields.List(fields.Integer(), metadata={"description": "The person's VIP applications."})


VipApplicationPage = page_schema(VipApplicationSchema, "VipApplicationPage")


# --------------------------------------------------------------------------- groups and meetings

class VipLeaderSchema(Schema):
    user_id = fields.Integer()
    name = fields.String()
    trained_on = fields.Date(allow_none=True,
                             metadata={"description": "When the leader was trained (the national register)."})


class VipGroupSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    audience = fields.String()
    location = fields.String(allow_none=True)
    capacity = fields.Integer()
    status = fields.Enum(GroupStatus, by_value=True)
    created_at = fields.DateTime()
    leaders = fields.List(fields.Nested(VipLeaderSchema))
    places_taken = fields.Integer(metadata={"description": "Participants placed in the group."})
    places_offered = fields.Integer(metadata={"description": "Places held by open offers."})
    next_meeting_at = fields.DateTime(allow_none=True)


class VipGroupInSchema(Schema):
    name = Name(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    audience = fields.String(required=True, validate=validate.Length(min=1, max=30))
    location = ShortText(load_default=None, allow_none=True, validate=validate.Length(max=LOCATION_MAX))
    leader_ids = fields.List(fields.Integer(validate=ID), required=True, validate=validate.Length(max=10),
                             metadata={"description": "Staff user ids: exactly the tenant's leaders per group, "
                                                      "each a trained VIP leader."})


class VipGroupPatchSchema(Schema):
    name = Name(validate=validate.Length(min=1, max=NAME_MAX))
    location = ShortText(allow_none=True, validate=validate.Length(max=LOCATION_MAX))
    leader_ids = fields.List(fields.Integer(validate=ID), validate=validate.Length(max=10))
    status = fields.String(validate=validate.OneOf(["cancelled"]),
                           metadata={"description": "Only \"cancelled\": the other statuses follow the meetings."})


class VipGroupArgsSchema(Schema):
    status = fields.Enum(GroupStatus, by_value=True, load_default=None)
    audience = fields.String(load_default=None, validate=validate.Length(max=30))


class VipMeetingsInSchema(Schema):
    first_start = fields.AwareDateTime(required=True, metadata={"description": "Start of meeting 1, with its offset."})
    every_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=meeting_services.MAX_EVERY_DAYS))
    location = ShortText(load_default=None, allow_none=True, validate=validate.Length(min=1, max=LOCATION_MAX),
                             metadata={"description": "The place; the group's room when left out."})
    skip_dates = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=100),
                             metadata={"description": "Local dates without a meeting; the course goes on after them."})


class VipMeetingSchema(Schema):
    id = fields.Integer()
    group_id = fields.Integer()
    number = fields.Integer()
    theme = fields.String(metadata={"description": "As the curriculum has it."})
    theme_label = fields.String(metadata={"description": "In the reader's language when it is a default theme."})
    session_id = fields.Integer()
    title = fields.String(metadata={"description": "In the reader's language."})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    location = fields.String(allow_none=True)
    cancelled = fields.Boolean()


class VipMeetingPatchSchema(Schema):
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "Still to come, after the previous "
                                                                             "meeting and before the next one."})
    location = ShortText(load_default=None, allow_none=True, validate=validate.Length(min=1, max=LOCATION_MAX))
    move_later = fields.Boolean(load_default=False, metadata={
        "description": "Move every later meeting by the same amount (on the local clock), so the next meeting "
                       "need not come after the new time."})


class VipCompletionEntrySchema(Schema):
    person_id = fields.Integer()
    name = fields.String()
    attended = fields.Integer()
    completed = fields.Boolean()


class VipCompletionSchema(Schema):
    completion_meetings = fields.Integer(metadata={"description": "Meetings attended to count as completed."})
    meetings = fields.Integer()
    participants = fields.List(fields.Nested(VipCompletionEntrySchema))


VipGroupPage = page_schema(VipGroupSchema, "VipGroupPage")


# --------------------------------------------------------------------------- outreach

DATES = "YYYY-MM-DD, not in the future."


class OutreachPersonSchema(Schema):
    """The person a row is about, as far as outreach needs them."""

    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date(allow_none=True)
    birth_year = fields.Integer(allow_none=True)


class OutreachSchema(Schema):
    id = fields.Integer()
    person_id = fields.Integer()
    person = fields.Nested(OutreachPersonSchema)
    service = fields.String(allow_none=True, metadata={"description": "The service the person uses."})
    informed_on = fields.Date(allow_none=True)
    offered_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.Method("_status", metadata={"type": "string", "enum": list(outreach_services.STATUSES),
                                                "description": "not_informed, informed (not offered) or offered."})
    updated_at = fields.DateTime()

    def _status(self, row) -> str:
        return outreach_services.status_of(row)


class OutreachFieldsSchema(Schema):
    service = ShortText(allow_none=True, validate=validate.Length(max=200))
    informed_on = fields.Date(allow_none=True, metadata={"description": DATES + " Set to offered_on when empty."})
    offered_on = fields.Date(allow_none=True, metadata={"description": DATES + " An offer counts as information."})
    note = FreeText(allow_none=True, validate=validate.Length(max=500))


class OutreachInSchema(OutreachFieldsSchema):
    """A registered person (``person_id``) or a new one (names and a birth date, birth year or
    national ID; matched to the register first). When the person has a row already it is
    updated: given values replace, absent ones stay."""

    person_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=MAX_ID))
    first_name = Name(allow_none=True, validate=validate.Length(max=100))
    last_name = Name(allow_none=True, validate=validate.Length(max=100))
    birth_date = fields.Date(allow_none=True)
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(min=1880, max=2100))
    national_id = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=20),
                                metadata={"description": "Validated for the country, stored encrypted, never returned."})
    national_id_country = fields.String(load_only=True, allow_none=True, validate=validate.OneOf(["DK", "SE", "FI"]),
                                        metadata={"description": "Defaults to the tenant's country."})


class OutreachPatchSchema(OutreachFieldsSchema):
    """The fields to change; a field sent as null is cleared."""


class OutreachArgsSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(outreach_services.STATUSES))
    q = ShortText(load_default=None, validate=validate.Length(max=100), metadata={"description": "Part of a name."})


class OutreachCoverageSchema(Schema):
    offered = fields.Integer(metadata={"description": "Users offered the course at least once."})
    total = fields.Integer(metadata={"description": "All registered users of the disability outreach_services."})
    percent = fields.Integer(allow_none=True, metadata={"description": "offered / total in whole per cent, "
                                                                       "rounded down; null when total is 0."})


class OutreachImportResultSchema(Schema):
    rows = fields.Integer(metadata={"description": "Data rows read (empty rows are skipped)."})
    created = fields.Integer(metadata={"description": "Outreach rows added."})
    updated = fields.Integer(metadata={"description": "Outreach rows changed."})
    unchanged = fields.Integer(metadata={"description": "Rows that matched what was on file."})
    people_created = fields.Integer(metadata={"description": "People added to the register of people."})


class OutreachImportRowErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "As a spreadsheet numbers it: the column names are row 1; "
                                                  "0 is the file as a whole."})
    column = fields.String(allow_none=True)
    message = fields.String()


class OutreachImportErrorsSchema(Schema):
    """``rows`` for the file's problems; a request refused before the file is read (a form
    field no database can store) names its fields instead, as every 422 does."""

    class Meta:
        unknown = INCLUDE

    rows = fields.List(fields.Nested(OutreachImportRowErrorSchema))


class OutreachImportProblemSchema(ProblemSchema):
    errors = fields.Nested(OutreachImportErrorsSchema, metadata={"description": "Every problem of the file, by row."})


OutreachPage = page_schema(OutreachSchema, "OutreachPage")


# --------------------------------------------------------------------------- overview

class VipOverviewRateSchema(Schema):
    percent = fields.Float(allow_none=True, metadata={"description": "count / of, in per cent; null when of is 0"})
    count = fields.Integer()
    of = fields.Integer()


class VipOverviewMedianSchema(Schema):
    median = fields.Float(allow_none=True, metadata={"description": "null when no placed applicant's group has started"})
    of = fields.Integer(metadata={"description": "The participants the median is taken over"})


class VipOverviewFiguresSchema(Schema):
    applications = fields.Integer()
    first_timers = fields.Nested(VipOverviewRateSchema, metadata={
        "description": "Applications from people who had not taken the course before"})
    days_to_start = fields.Nested(VipOverviewMedianSchema, metadata={
        "description": "Days from application to the first meeting of the group placed in"})
    groups_started = fields.Integer()
    participants = fields.Integer(metadata={"description": "Applications that got a place in a group"})
    completion = fields.Nested(VipOverviewRateSchema, metadata={
        "description": "Participants of finished groups who attended the meetings needed to complete"})
    outreach = fields.Nested(VipOverviewRateSchema, metadata={
        "description": "Registered users of disability services offered the course at least once"})
    trained_leaders = fields.Integer(metadata={"description": "Staff in the national register of trained leaders"})


class VipOverviewWaitlistSchema(Schema):
    audience = fields.String()
    in_line = fields.Integer(metadata={"description": "Applications waiting or offered a place"})


class VipOverviewGroupSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    audience = fields.String()
    status = fields.Enum(GroupStatus, by_value=True)
    participants = fields.Integer()
    capacity = fields.Integer()
    starts_at = fields.DateTime(allow_none=True, metadata={"description": "The first meeting; null before planning"})


class VipOverviewGroupsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Groups per status: planned, running, finished, cancelled"})
    groups = fields.List(fields.Nested(VipOverviewGroupSchema), metadata={"description": "Running and planned groups"})


class VipOverviewSchema(Schema):
    figures = fields.Nested(VipOverviewFiguresSchema)
    waitlists = fields.List(fields.Nested(VipOverviewWaitlistSchema))
    groups = fields.Nested(VipOverviewGroupsSchema)
    trains_leaders = fields.Boolean()


# --------------------------------------------------------------------------- leader training

class TraineeSchema(Schema):
    id = fields.Integer()
    course_id = fields.Integer()
    name = fields.String()
    email = fields.String(metadata={"description": "Lower-case."})
    organisation = fields.String()
    municipality = fields.String(allow_none=True)
    completed_on = fields.Date(allow_none=True, metadata={"description": "Set: in the national register since then."})


class LeaderCourseSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    starts_on = fields.Date()
    ends_on = fields.Date()
    location = fields.String(allow_none=True)
    trainees_count = fields.Method("_trainees", metadata={"type": "integer"})
    completed_count = fields.Method("_completed", metadata={"type": "integer"})

    def _trainees(self, course) -> int:
        return len(course.trainees)

    def _completed(self, course) -> int:
        return sum(1 for t in course.trainees if t.completed_on is not None)


class LeaderCourseDetailSchema(LeaderCourseSchema):
    trainees = fields.List(fields.Nested(TraineeSchema))


class LeaderCourseInSchema(Schema):
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(required=True, metadata={"description": "Not before starts_on."})
    location = ShortText(load_default=None, allow_none=True, validate=validate.Length(max=300))


class LeaderCoursePatchSchema(LeaderCourseInSchema):
    def __init__(self, **kwargs) -> None:
        super().__init__(partial=True, **kwargs)


class TraineeInSchema(Schema):
    name = Name(required=True, validate=validate.Length(min=1, max=200))
    email = fields.String(required=True, validate=validate.Length(min=1, max=254),
                          metadata={"description": "Work email; how the trainee's municipality finds them in the "
                                                   "register. Stored lower-case."})
    organisation = Name(required=True, validate=validate.Length(min=1, max=200))
    municipality = Name(load_default=None, allow_none=True, validate=validate.Length(max=100),
                                 metadata={"description": "Where the trainee leads groups; the register groups by it."})


class TraineeCompletionSchema(Schema):
    completed_on = fields.Date(required=True, allow_none=True, metadata={
        "description": "Not before the course started, not in the future; null takes the completion back."})


class StaffTrainingSchema(Schema):
    user_id = fields.Integer(attribute="user.id")
    name = fields.String(attribute="user.name")
    email = fields.String(attribute="user.email")
    roles = fields.List(fields.String(), metadata={"description": "The user's roles in this tenant."})
    trained = fields.Boolean()
    trained_on = fields.Date(allow_none=True, metadata={"description": "In the national register since."})


CoursePage = page_schema(LeaderCourseSchema, "LeaderCoursePage")
StaffTrainingPage = page_schema(StaffTrainingSchema, "StaffTrainingPage")


# --------------------------------------------------------------------------- waitlists and offers

class VipOfferSchema(Schema):
    """An offer of a place; the token of its answer link is never shown (only the email has it)."""

    id = fields.Integer()
    application_id = fields.Integer()
    group_id = fields.Integer()
    group_name = fields.String(attribute="group.name", metadata={"description": "The group the place is in."})
    offered_at = fields.DateTime()
    expires_at = fields.DateTime()
    status = fields.Enum(OfferStatus, metadata={"description": "open, accepted, declined, expired or withdrawn."})
    answered_at = fields.DateTime(allow_none=True)
    answered_by = fields.Integer(allow_none=True, metadata={"description": "The staff user who recorded the answer."})
    answered_via_link = fields.Boolean(metadata={"description": "The applicant answered through the emailed link."})


class VipWaitlistEntrySchema(Schema):
    position = fields.Integer(metadata={"description": "1 is first in line."})
    application_id = fields.Integer()
    person_id = fields.Integer()
    name = fields.String()
    taken_before = fields.Boolean(metadata={"description": "False for first-timers, who come first."})
    applied_at = fields.DateTime()
    status = fields.String(metadata={"description": "waiting, or offered (an open offer waits for an answer)."})
    open_offer = fields.Nested(VipOfferSchema, allow_none=True)


class VipMoveInSchema(Schema):
    application_id = fields.Integer(required=True, validate=ID)
    to_position = fields.Integer(required=True, validate=ID, metadata={"description": "1 is first in line."})
    reason = FreeText(required=True, validate=validate.Length(max=waitlist.REASON_MAX),
                           metadata={"description": "Required, not blank: every manual move needs a reason."})


class VipMoveSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    from_position = fields.Integer()
    to_position = fields.Integer()
    reason = fields.String()
    moved_by = fields.Integer(allow_none=True,
                              metadata={"description": "The user; null for an API client or the system."})
    moved_at = fields.DateTime()


class VipOfferInSchema(Schema):
    application_id = fields.Integer(required=True, validate=ID)
    group_id = fields.Integer(required=True, validate=ID)
    out_of_turn_reason = FreeText(load_default=None, allow_none=True,
                                  validate=validate.Length(max=waitlist.REASON_MAX),
                                  metadata={"description": "Required when the applicant is not next in line."})


class VipAnswerInSchema(Schema):
    accept = fields.Boolean(required=True)
    keep_in_line = fields.Boolean(load_default=False, metadata={
        "description": "On a decline: keep the application waiting for a later group instead of closing it."})


class VipParticipantInSchema(Schema):
    application_id = fields.Integer(required=True, validate=ID)


class VipParticipantSchema(Schema):
    application_id = fields.Integer(attribute="id")
    person_id = fields.Integer()
    group_id = fields.Integer()
    status = fields.String(attribute="status.value")
    placed_at = fields.DateTime()


WaitlistPage = page_schema(VipWaitlistEntrySchema, "VipWaitlistPage")
MovePage = page_schema(VipMoveSchema, "VipWaitlistMovePage")
