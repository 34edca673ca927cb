"""Marshmallow schemas for tenants and plugin enablement in the API."""

from marshmallow import Schema, fields

from core.tenants.models import TenantKind


class TenantRefSchema(Schema):
    slug = fields.String()
    name = fields.String()
    kind = fields.Enum(TenantKind, by_value=True)


class TenantSchema(TenantRefSchema):
    country = fields.String()
    languages = fields.List(fields.String())
    parent = fields.Nested(TenantRefSchema, allow_none=True)
    members = fields.List(fields.Nested(TenantRefSchema))
    nodes = fields.List(fields.Nested(TenantRefSchema))


class PluginStateSchema(Schema):
    key = fields.String()
    title = fields.String()
    version = fields.String()
    description = fields.String()
    enabled = fields.Boolean()
    settings = fields.Dict()


class PluginChangeSchema(Schema):
    enabled = fields.Boolean(required=True)
    settings = fields.Dict(load_default=None, metadata={"description": "Validated by the plugin's settings schema; omitted keeps the current settings."})
