"""What the partner API reads and answers, in marshmallow."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.toolkit import ID, FreeText, page_schema


class NoteInSchema(Schema):
    person_id = fields.Integer(required=True, validate=ID)
    text = FreeText(required=True, validate=validate.Length(min=1, max=2000))


class NoteSchema(Schema):
    id = fields.Integer()
    person_id = fields.Integer()
    text = fields.String()
    written_at = fields.DateTime()


NotePageSchema = page_schema(NoteSchema, "PartnerNotePage")
