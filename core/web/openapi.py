"""The API object: every error an operation can answer documented as an RFC 9457 problem."""

from __future__ import annotations

import http
import re

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
    """Give every operation its ``operationId`` (:func:`operation_id`; unique, or the app does not
    start) and its area's tag (:func:`api_area`). Document on every operation its ``security``
    (from the permission its view declares), and
    on every operation inside a tenant what may be answered before its handler
    runs: 404 (no such tenant, not the caller's tenant, plugin off); 400 and 422 where a body is
    read (not JSON at all; text no database can store, see ``core.web.inputs``); and unless the
    operation is public, 401 (no or a dead credential) and 403 (a permission the caller lacks).
    An ``@idempotent`` operation gets its ``Idempotency-Key`` header and 409 (``core.web.idempotency``).
    What a handler answers itself is declared where it does: 422 by ``@bp.arguments``, 409 and
    others with ``@bp.alt_response``."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.spec = None
        self.operation_ids: dict[str, str] = {}

    def init_spec(self, spec) -> None:
        super().init_spec(spec)
        self.spec = spec

    def _is_a_list(self, operation: dict) -> bool:
        """Whether a success answer is an array or a page of items (``{items: [...], ...}``)."""
        for status, response in operation.get("responses", {}).items():
            if not str(status).startswith("2") or not isinstance(response, dict):
                continue
            for content in (response.get("content") or {}).values():
                schema = content.get("schema") or {}
                ref = schema.get("$ref", "").rpartition("/")[2]
                if ref:
                    schema = self.spec.components.schemas.get(ref) or {}
                items = (schema.get("properties") or {}).get("items") or {}
                if schema.get("type") == "array" or items.get("type") == "array":
                    return True
        return False

    def operation_helper(self, path=None, operations=None, rule=None, **kwargs) -> None:
        if rule is None or not operations:
            return
        view = self.app.view_functions[rule.endpoint]
        blueprint = self.app.blueprints.get(rule.endpoint.rpartition(".")[0])
        area = api_area(rule.endpoint.rpartition(".")[0])
        for method, operation in operations.items():
            operation.setdefault("operationId", operation_id(self.app, rule, method, self._is_a_list(operation)))
            operation["tags"] = [area]
            where = f"{method.upper()} {rule.rule}"
            if self.operation_ids.setdefault(operation["operationId"], where) != where:
                raise RuntimeError(f"operationId {operation['operationId']!r} of {where} is already that of "
                                   f"{self.operation_ids[operation['operationId']]}: rename a view class or "
                                   "declare one with @bp.doc(operationId=...)")
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


#: The verb of an operation id, by HTTP method (a GET answering an array or a page is a ``list``).
VERBS = {"get": "get", "post": "create", "put": "set", "patch": "update", "delete": "delete"}


def api_area(blueprint_name: str) -> str:
    """The area of an API blueprint, its tag and the first word of its operation ids: the
    blueprint's name without ``_api`` (``people_api`` -> ``people``, ``vip_api`` -> ``vip``)."""
    return blueprint_name.removesuffix("_api")


def operation_id(app: Flask, rule, method: str, answers_a_list: bool) -> str:
    """``{area}_{noun}_{verb}``, derived from code, not from the path: the area of the blueprint;
    the noun of the MethodView class (snake case, without a ``Resource`` or ``List`` suffix and
    without the area's words it begins with); the verb of the method (``get``, ``create``, ``set``
    for PUT, ``update``, ``delete``), ``list`` for a GET that answers an array or a page
    (``core.pagination.page_schema``).
    An item view (``PersonResource`` at ``/<int:person_id>``) takes the noun of its collection's
    view (``People`` at ``""``) when the blueprint has one, so ``people_list`` and ``people_get``
    belong together. ``@bp.doc(operationId=...)`` declares one where this would read badly."""
    blueprint_name, _, view_name = rule.endpoint.rpartition(".")
    noun = _noun(blueprint_name, view_name)
    if view_name.endswith("Resource") and rule.rule.endswith(">"):
        parent = rule.rule.rpartition("/")[0]
        for other in app.url_map.iter_rules():
            if other.rule == parent and other.endpoint.startswith(f"{blueprint_name}."):
                noun = _noun(blueprint_name, other.endpoint.rpartition(".")[2])
    verb = VERBS[method]
    if method == "get" and answers_a_list:
        verb = "list"
    return "_".join(word for word in (api_area(blueprint_name), noun, verb) if word)


def _noun(blueprint_name: str, view_name: str) -> str:
    name = view_name.removesuffix("Resource").removesuffix("List")
    words = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower().split("_")
    for word in api_area(blueprint_name).split("_"):
        if words and words[0] == word:
            words.pop(0)
    return "_".join(words)


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

    def register_blueprint(self, blp, *, parameters=None, **options) -> None:
        """Register as flask-smorest does, with the blueprint's tag named by its area
        (``people``, ``vip``), one per area; operations are tagged alike by :class:`GateResponses`."""
        super().register_blueprint(blp, parameters=parameters, **options)
        tags, area = self.spec._tags, api_area(blp.name)  # apispec keeps the tag list there
        tag = next(tag for tag in tags if tag["name"] == blp.name)
        tags.remove(tag)
        if not any(other["name"] == area for other in tags):
            tags.append({**tag, "name": area})

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
