"""Marshmallow schemas for sessions, attendance and calendar feeds."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from core.db import MAX_ID
from core.sessions.models import AttendanceStatus
from core.validation import FreeText, ShortText

ID = validate.Range(min=1, max=MAX_ID)


class SessionInSchema(Schema):
    plugin = fields.String(load_default="core", validate=validate.Length(min=1, max=63))
    kind = fields.String(load_default="meeting", validate=validate.Length(min=1, max=63))
    title = ShortText(required=True, validate=validate.Length(min=1, max=200))
    starts_at = fields.AwareDateTime(required=True, default_timezone=None)
    ends_at = fields.AwareDateTime(required=True, default_timezone=None)
    location = ShortText(load_default=None, allow_none=True, validate=validate.Length(max=300))
    reference = ShortText(load_default=None, allow_none=True, validate=validate.Length(max=100))
    note = FreeText(load_default=None, allow_none=True, validate=validate.Length(max=2000))
    leader_ids = fields.List(fields.Integer(validate=ID), load_default=list, validate=validate.Length(max=500))
    participant_ids = fields.List(fields.Integer(validate=ID), load_default=list, validate=validate.Length(max=500))


class SessionPatchSchema(Schema):
    title = ShortText(validate=validate.Length(min=1, max=200))
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    location = ShortText(allow_none=True, validate=validate.Length(max=300))
    cancelled = fields.Boolean()
    note = FreeText(allow_none=True, validate=validate.Length(max=2000))


class SessionArgsSchema(Schema):
    plugin = fields.String(load_default=None)
    starts_from = fields.AwareDateTime(load_default=None, data_key="from")
    starts_before = fields.AwareDateTime(load_default=None, data_key="before")


class LeaderSchema(Schema):
    user_id = fields.Integer()
    name = fields.String(attribute="user.name")


class SessionSchema(Schema):
    id = fields.Integer()
    plugin = fields.String()
    kind = fields.String()
    title = fields.String(attribute="display_title",
                          metadata={"description": "In the reader's language when the session's programme words it."})
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    location = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    cancelled = fields.Boolean()
    note = fields.String(allow_none=True)
    leaders = fields.List(fields.Nested(LeaderSchema))


class AttendanceSchema(Schema):
    person_id = fields.Integer()
    name = fields.Function(lambda a: a.person.display_name)
    status = fields.Enum(AttendanceStatus, by_value=True, allow_none=True)
    recorded_at = fields.DateTime(allow_none=True)


class AttendanceEntrySchema(Schema):
    person_id = fields.Integer(required=True, validate=ID)
    status = fields.Enum(AttendanceStatus, by_value=True, required=True, allow_none=True)


class AttendanceInSchema(Schema):
    attendance = fields.List(fields.Nested(AttendanceEntrySchema), required=True, validate=validate.Length(min=1, max=500))

    @validates_schema
    def _unique(self, data, **_kwargs):
        ids = [entry["person_id"] for entry in data["attendance"]]
        if len(ids) != len(set(ids)):
            raise ValidationError("A person is listed twice.", "attendance")


class FeedInSchema(Schema):
    label = ShortText(required=True, validate=validate.Length(min=1, max=100))
    plugin = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=63),
                           metadata={"description": "The key of one of the tenant's enabled plugins; null for all."})


class FeedSchema(Schema):
    id = fields.Integer()
    label = fields.String()
    plugin = fields.String(allow_none=True)
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    #: Present only in the answer that creates the feed.
    url = fields.String()
