"""Marshmallow schemas for managing API clients through the API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.auth.api_clients.services import NAME_MAX
from core.validation import Name


class ApiClientInSchema(Schema):
    name = Name(required=True, validate=validate.Length(min=1, max=NAME_MAX))
    scopes = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                         validate=validate.Length(min=1, max=500),
                         metadata={"description": "Permission keys the client may act with; only ones the caller holds."})


class ApiClientSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    client_id = fields.String(metadata={"description": "Public; sent with the secret to the token endpoint."})
    scopes = fields.List(fields.String())
    active = fields.Boolean()
    created_by = fields.Function(lambda client: client.created_by.name if client.created_by else None,
                                 metadata={"type": "string"}, allow_none=True)
    created_at = fields.DateTime()
    rotated_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)


class ApiClientSecretSchema(ApiClientSchema):
    """A client with its secret: answered once, at creation and at each rotation."""

    client_secret = fields.String(metadata={"description": "Shown only in this answer; only a hash is kept."})
    token_url = fields.String(metadata={"description": "Where to ask for access tokens (client credentials)."})
