"""The per-tenant settings of the VIP plugin, validated by core when a tenant enables it."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.toolkit import N_, FreeText, ShortText

KEY = "vip"

#: The group audiences a tenant may run. Women and men go in separate groups.
AUDIENCES = ("women", "men", "young_women", "young_men", "mixed")

#: The curriculum when a tenant has not copied its own manual in: the six themes of the
#: programme in the order the manual takes them, two meetings each.
DEFAULT_CURRICULUM = (
    "Emotions", "Emotions",
    "Relationships", "Relationships",
    "Thoughts and feelings steer what we do", "Thoughts and feelings steer what we do",
    "How to feel good", "How to feel good",
    "When something is hard in a relationship", "When something is hard in a relationship",
    "Our rights", "Our rights",
)


#: Group audience key -> label (the msgid), shown wherever an audience is.
AUDIENCE_LABELS = {
    "women": N_("Women"),
    "men": N_("Men"),
    "young_women": N_("Young women"),
    "young_men": N_("Young men"),
    "mixed": N_("Everyone"),
}


class VipSettings(Schema):
    participants_per_group = fields.Integer(
        load_default=6, validate=validate.Range(min=2, max=20), metadata={"label": "Participants per group"})
    leaders_per_group = fields.Integer(
        load_default=2, validate=validate.Range(min=1, max=4), metadata={"label": "Leaders per group"})
    meetings_per_course = fields.Integer(
        load_default=12, validate=validate.Range(min=1, max=40), metadata={"label": "Meetings per course"})
    meeting_minutes = fields.Integer(
        load_default=120, validate=validate.Range(min=30, max=480),
        metadata={"label": "Meeting length in minutes", "description": "Including the break."})
    break_minutes = fields.Integer(
        load_default=15, validate=validate.Range(min=0, max=60), metadata={"label": "Break in minutes"})
    audiences = fields.List(
        fields.String(validate=validate.OneOf(AUDIENCES)), load_default=lambda: ["women", "men"],
        validate=validate.Length(min=1), metadata={"label": "Group audiences", "labels": AUDIENCE_LABELS})
    completion_meetings = fields.Integer(
        load_default=9, validate=validate.Range(min=1, max=40),
        metadata={"label": "Meetings attended to count as completed"})
    offer_days = fields.Integer(
        load_default=7, validate=validate.Range(min=1, max=60),
        metadata={"label": "Days an offer stays open"})
    reminder_hours = fields.Integer(
        load_default=24, validate=validate.Range(min=1, max=168),
        metadata={"label": "Hours before a meeting the reminder goes out"})
    unplaced_retention_days = fields.Integer(
        load_default=365, validate=validate.Range(min=30, max=3650),
        metadata={"label": "Days an application that led to no place is kept after it closed"})
    participant_retention_days = fields.Integer(
        load_default=1095, validate=validate.Range(min=30, max=3650),
        metadata={"label": "Days a participant's course record is kept after the course"})
    curriculum = fields.List(
        ShortText(validate=validate.Length(min=1, max=200)), load_default=lambda: list(DEFAULT_CURRICULUM),
        # The default themes are shown (and may be typed) in the reader's language, stored in English.
        metadata={"label": "Theme of each meeting, one per line, as your copy of the manual lists them",
                  "labels": {theme: theme for theme in DEFAULT_CURRICULUM}})
    trains_leaders = fields.Boolean(
        load_default=False, metadata={"label": "This organisation trains VIP group leaders for the country"})
    contact_name = ShortText(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=200),
        metadata={"label": "Contact for applicants: name",
                  "description": "Shown to the public after an application, with the phone and email below."})
    contact_phone = fields.String(
        load_default=None, allow_none=True, validate=validate.Regexp(r"^[0-9 +()\-]{3,40}$", error="Not a phone number."),
        metadata={"label": "Contact for applicants: phone"})
    contact_email = fields.Email(
        load_default=None, allow_none=True, validate=validate.Length(max=254),
        metadata={"label": "Contact for applicants: email"})
    contact_address = FreeText(
        load_default=None, allow_none=True, validate=validate.Length(min=1, max=300),
        metadata={"label": "Contact for applicants: postal address, where paper applications are sent"})

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_kwargs) -> None:
        meetings = data.get("meetings_per_course", 12)
        if data.get("completion_meetings", 9) > meetings:
            raise ValidationError(N_("Cannot be more than the meetings per course."), "completion_meetings")
        if len(data.get("curriculum", DEFAULT_CURRICULUM)) != meetings:
            raise ValidationError(N_("List exactly one theme per meeting, as many as the meetings per course."),
                                  "curriculum")
        if data.get("break_minutes", 15) >= data.get("meeting_minutes", 120):
            raise ValidationError(N_("The break must be shorter than the meeting."), "break_minutes")


def load_settings(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The tenant's settings with every default filled in (stored settings were validated)."""
    return VipSettings().load(stored or {})


def current_settings(session) -> dict[str, Any]:
    """The current tenant's VIP settings, defaults filled in."""
    from core.toolkit import plugin_settings

    return load_settings(plugin_settings(session, KEY))
