"""The API object: every error an operation can answer documented as an RFC 9457 problem."""

from __future__ import annotations

import http

from apispec import BasePlugin
from flask import Flask
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields

from core.auth.permissions import AUTHENTICATED, PUBLIC, declared_permission
from core.web.errors import PROBLEM_JSON
from core.web.idempotency import ATTRIBUTE as IDEMPOTENT
from core.web.idempotency import PARAMETER as IDEMPOTENCY_PARAMETER

#: The security schemes of the document: machine clients and browsers.
OAUTH2, SESSION_COOKIE = "oauth2", "session"
#: Set to True on an API blueprint that refuses bearer tokens (signed-in users only).
SESSION_ONLY = "samverka_session_only"


class ProblemSchema(Schema):
    """An error as problem details (RFC 9457), as ``core.web.errors`` answers every one."""

    type = fields.String(required=True, metadata={"description": "Always about:blank: the status says it all."})
    title = fields.String(required=True, metadata={"description": "The status's name, such as Not Found."})
    status = fields.Integer(required=True)
    detail = fields.String(metadata={"description": "What went wrong, for a person to read."})
    errors = fields.Dict(metadata={"description": "422 only: each invalid field and its messages (nested for "
                                                  "nested fields; query parameters under `query`)."})
    error = fields.String(metadata={"description": "The token endpoint only: the OAuth2 error code (RFC 6749)."})
    error_description = fields.String(metadata={"description": "The token endpoint only: as `detail`."})


class GateResponses(BasePlugin):
    """Document on every operation its ``security`` (from the permission its view declares), and
    on every operation inside a tenant what may be answered before its handler
    runs: 404 (no such tenant, not the caller's tenant, plugin off); 400 and 422 where a body is
    read (not JSON at all; text no database can store, see ``core.web.inputs``); and unless the
    operation is public, 401 (no or a dead credential) and 403 (a permission the caller lacks).
    An ``@idempotent`` operation gets its ``Idempotency-Key`` header and 409 (``core.web.idempotency``).
    What a handler answers itself is declared where it does: 422 by ``@bp.arguments``, 409 and
    others with ``@bp.alt_response``."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs) -> None:
        if rule is None or not operations:
            return
        view = self.app.view_functions[rule.endpoint]
        blueprint = self.app.blueprints.get(rule.endpoint.rpartition(".")[0])
        session_only = getattr(blueprint, SESSION_ONLY, False)
        for method, operation in operations.items():
            operation["security"] = _security(declared_permission(view, method.upper()), session_only)
        if "tenant" not in rule.arguments:
            return
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            present = {str(code) for code in responses}
            wanted = {404: "NOT_FOUND"}
            if "requestBody" in operation:
                wanted |= {400: "BAD_REQUEST", 422: "UNPROCESSABLE_ENTITY"}
            if declared_permission(view, method.upper()) != PUBLIC:
                wanted |= {401: "UNAUTHORIZED", 403: "FORBIDDEN"}
            if getattr(getattr(getattr(view, "view_class", None), method, None), IDEMPOTENT, False):
                operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_PARAMETER))
                wanted |= {409: "CONFLICT"}
            for code, name in wanted.items():
                if str(code) not in present:
                    responses[code] = name


def _security(permission: str | None, session_only: bool) -> list[dict[str, list[str]]]:
    """Who may call: nobody needs a credential for a public operation; otherwise a bearer token
    holding the permission as a scope, or a browser's session (whose roles must grant it)."""
    if permission == PUBLIC:
        return []
    scopes = [] if permission in (None, AUTHENTICATED) else [permission]
    cookie = {SESSION_COOKIE: []}
    return [cookie] if session_only else [{OAUTH2: scopes}, cookie]


class SamverkaApi(Api):
    """flask-smorest's Api with errors documented as they are answered: as problems."""

    ERROR_SCHEMA = ProblemSchema
    #: No catch-all ``default`` answer: every status an operation gives is listed, so a client
    #: (and schemathesis) can tell an undocumented one.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def __init__(self, app: Flask) -> None:
        super().__init__(app, spec_kwargs={"extra_plugins": [GateResponses(app)]})

    def declare_security(self, permissions: dict, cookie_name: str) -> None:
        """The security schemes: OAuth2 client credentials (scopes = permission keys) and the
        browser's session cookie. Called once the permissions are known from the plugins."""
        self.spec.components.security_scheme(OAUTH2, {
            "type": "oauth2",
            "description": "For other systems: an API client of one tenant (made by its admin) gets a bearer "
                           "token with the client credentials grant. The token URL is per tenant and relative "
                           "to this server: replace {tenant} with the tenant's slug. A token works only under "
                           "/api/v1/t/{tenant}/ of that tenant; each scope is a permission key.",
            "flows": {"clientCredentials": {
                "tokenUrl": "/api/v1/t/{tenant}/oauth/token",
                "scopes": {key: permission.description for key, permission in sorted(permissions.items())},
            }},
        })
        self.spec.components.security_scheme(SESSION_COOKIE, {
            "type": "apiKey", "in": "cookie", "name": cookie_name,
            "description": "For browsers: the session cookie of a signed-in user, whose roles at the tenant "
                           "must grant the operation's permission (the scope named beside oauth2).",
        })

    def _register_responses(self) -> None:
        # flask-smorest registers a response per HTTP status for ``@alt_response(409)`` and the
        # like, with the success content type; errors leave core.web.errors as problem+json.
        for status in http.HTTPStatus:
            response = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON if status >= 400 else self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)


def conflict_response(blp, description: str):
    """Document that an operation may answer 409 (a :class:`core.errors.Conflict`) and why."""
    return blp.alt_response(409, schema=ProblemSchema, content_type=PROBLEM_JSON, description=description)
