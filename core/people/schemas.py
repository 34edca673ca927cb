"""Marshmallow schemas for people and consents in the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.people.models import ConsentGiver
from core.validation import FreeText, Name, ShortText

LANGUAGE = validate.Length(max=35)


class PersonInSchema(Schema):
    """What a client may send to create or change a person."""

    first_name = Name(required=True, validate=validate.Length(min=1, max=100))
    last_name = Name(required=True, validate=validate.Length(min=1, max=100))
    birth_date = fields.Date(allow_none=True)
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(min=1880, max=2100))
    gender = ShortText(allow_none=True, validate=validate.Length(max=50),
                           metadata={"description": "As the person describes it."})
    preferred_language = ShortText(allow_none=True, validate=LANGUAGE)
    interpreter_needed = fields.Boolean(load_default=False)
    interpreter_language = ShortText(allow_none=True, validate=LANGUAGE)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=[validate.Length(max=40), validate.Regexp(r"^[0-9 +()\-]*$", error="Use digits, spaces and + ( ) - only.")])
    address = FreeText(allow_none=True, validate=validate.Length(max=500))
    protected_identity = fields.Boolean(load_default=False)
    national_id = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=20),
                                metadata={"description": "Validated for the country, stored encrypted, never returned."})
    national_id_country = fields.String(load_only=True, allow_none=True, validate=validate.OneOf(["DK", "SE", "FI"]),
                                        metadata={"description": "Defaults to the tenant's country."})


class PersonPatchSchema(PersonInSchema):
    """The same fields, each optional: a PATCH changes only what it sends."""

    def __init__(self, **kwargs) -> None:
        super().__init__(partial=True, **kwargs)


class PersonSchema(Schema):
    """A person as the API shows them: the national ID masked, protected details withheld."""

    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date(allow_none=True)
    birth_year = fields.Integer(allow_none=True)
    gender = fields.String(allow_none=True)
    preferred_language = fields.String(allow_none=True)
    interpreter_needed = fields.Boolean()
    interpreter_language = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    protected_identity = fields.Boolean()
    #: True when email, phone and address are withheld from this caller.
    contact_withheld = fields.Boolean()
    national_id_country = fields.String(allow_none=True)
    national_id_masked = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PersonArgsSchema(Schema):
    q = ShortText(load_default=None, validate=validate.Length(max=100), metadata={"description": "Part of a name."})


class ConsentInSchema(Schema):
    purpose = ShortText(required=True, validate=validate.Length(min=1, max=300))
    plugin = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=63))
    given_by = fields.Enum(ConsentGiver, by_value=True, required=True)
    given_on = fields.Date(required=True)


class ConsentWithdrawSchema(Schema):
    withdrawn_on = fields.Date(required=True)


class ConsentSchema(Schema):
    id = fields.Integer()
    purpose = fields.String()
    plugin = fields.String(allow_none=True)
    given_by = fields.Enum(ConsentGiver, by_value=True)
    given_on = fields.Date()
    withdrawn_on = fields.Date(allow_none=True)
    active = fields.Boolean()


class DuplicateQuerySchema(Schema):
    first_name = Name(load_default=None)
    last_name = Name(load_default=None)
    birth_date = fields.Date(load_default=None)
    email = fields.String(load_default=None)
    phone = fields.String(load_default=None)
    national_id = fields.String(load_default=None, load_only=True)
    national_id_country = fields.String(load_default=None, validate=validate.OneOf(["DK", "SE", "FI"]))


class DuplicateSchema(Schema):
    person = fields.Nested(PersonSchema)
    reasons = fields.List(fields.String())


class ErasureSchema(Schema):
    anonymise = fields.Boolean(load_default=False, metadata={
        "description": "Strip identifying fields instead of deleting (also chosen when a plugin must keep records)."})


class ErasureReportSchema(Schema):
    erased = fields.Dict(keys=fields.String(), values=fields.Integer())
    anonymised = fields.Dict(keys=fields.String(), values=fields.Integer())
    kept = fields.List(fields.String())


class ErasureResultSchema(Schema):
    reports = fields.Dict(keys=fields.String(), values=fields.Nested(ErasureReportSchema))
