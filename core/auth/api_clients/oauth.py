"""The OAuth2 token endpoint (client credentials, through authlib), inside the tenant of its URL."""

from __future__ import annotations

import base64
import binascii

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientCredentialsGrant, ClientMixin, OAuth2Error
from authlib.oauth2.rfc6749.util import list_to_scope, scope_to_list
from authlib.oauth2.rfc6750 import BearerTokenGenerator
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from werkzeug.http import HTTP_STATUS_CODES

from core.audit.services import Actor, acting_as
from core.auth.api_clients import services
from core.auth.api_clients.models import ApiClient
from core.auth.permissions import public
from core.web.ratelimit import limited
from core.db import db
from core.web.errors import PROBLEM_JSON, problem
from core.web.openapi import ProblemSchema

AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

bp = Blueprint("oauth", __name__, url_prefix="/oauth",
               description="OAuth2 client credentials: bearer tokens for the tenant's API clients")


class _Client(ClientMixin):
    """authlib's view of an :class:`ApiClient`: confidential, client credentials only."""

    def __init__(self, row: ApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def check_client_secret(self, client_secret: str) -> bool:
        return services.secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == ClientCredentialsGrant.GRANT_TYPE

    def get_allowed_scope(self, scope: str | None) -> str | None:
        """All the client's scopes when none are asked for; a subset when asked; None (an
        ``invalid_scope`` error) when asked for one the client does not have."""
        allowed = set(self.row.scopes)
        requested = set(scope_to_list(scope) or ()) or allowed
        if not requested <= allowed:
            return None
        return list_to_scope(sorted(requested))


class _Grant(ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class TokenServer(AuthorizationServer):
    """authlib's server for one request: clients of the current tenant, problem+json errors."""

    def __init__(self, lifetime_seconds: int) -> None:
        super().__init__()
        self._query_client = self._find_client
        self._save_token = self._store
        self.register_token_generator("default", BearerTokenGenerator(
            access_token_generator=lambda client, grant_type, user, scope: services.new_access_token(
                client.row.tenant_id),
            expires_generator=lambda client, grant_type: lifetime_seconds,
        ))
        self.register_grant(_Grant)

    @staticmethod
    def _find_client(client_id: str) -> _Client | None:
        row = services.find_live_client(db.session, client_id)
        return _Client(row) if row is not None else None

    @staticmethod
    def _store(token: dict, oauth_request) -> None:
        client = oauth_request.client.row
        with acting_as(Actor(label=f"api:{client.client_id}", client_address=request.remote_addr)):
            services.store_token(db.session, client, token["access_token"], scope_to_list(token.get("scope")) or [],
                                 int(token["expires_in"]))
        db.session.commit()

    def handle_error_response(self, oauth_request, error: OAuth2Error):
        """RFC 6749's ``error`` and ``error_description`` inside an RFC 9457 problem."""
        status, body, headers = error(self.get_error_uri(oauth_request, error))
        description = body.get("error_description")
        extra_headers = {k: v for k, v in headers if k.lower() not in {"content-type", "www-authenticate"}}
        if body.get("error") == "invalid_client":
            # Unknown client, wrong secret, revoked client: one answer, so none can be told apart.
            status, description = 401, "Client authentication failed."
            extra_headers["WWW-Authenticate"] = 'Basic realm="samverka", error="invalid_client"'
        response = problem(status, HTTP_STATUS_CODES.get(status, "Error"), description, error=body.get("error"),
                           **({"error_description": description} if description else {}))
        response.headers.update(extra_headers)
        return response


def _basic_header_is_readable() -> bool:
    """authlib decodes HTTP Basic credentials strictly and would raise (a 500) on junk."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return True
    try:
        base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return True


#: The form the token endpoint reads (documented by hand: authlib parses it, not webargs).
TOKEN_REQUEST = {"type": "object", "required": ["grant_type"], "properties": {
    "grant_type": {"type": "string", "enum": ["client_credentials"]},
    "scope": {"type": "string", "description": "Space-separated permission keys; all of the client's by default."},
    "client_id": {"type": "string", "description": "With client_secret_post; otherwise use HTTP Basic."},
    "client_secret": {"type": "string", "description": "With client_secret_post; otherwise use HTTP Basic."},
}}


class TokenSchema(Schema):
    access_token = fields.String(metadata={"description": "Send as `Authorization: Bearer <token>`."})
    token_type = fields.String(metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(metadata={"description": "Seconds until the token stops working."})
    scope = fields.String()


@bp.route("/token")
class Token(MethodView):
    @public
    @limited("api-token", limit=60, window=60)
    @bp.doc(requestBody={"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": TOKEN_REQUEST}}})
    @bp.response(200, TokenSchema)
    @bp.alt_response(400, schema=ProblemSchema, content_type=PROBLEM_JSON, description="The request is not a client credentials grant, or asks for a scope "
                                      "the client does not have (`error`: invalid_request, "
                                      "unsupported_grant_type, invalid_scope).")
    @bp.alt_response(401, schema=ProblemSchema, content_type=PROBLEM_JSON, description="Client authentication failed (`error`: invalid_client): an unknown "
                                      "client, a wrong secret or a revoked client, all alike.")
    @bp.alt_response(429, schema=ProblemSchema, content_type=PROBLEM_JSON,
                     description="More than 60 token requests a minute from one address.")
    def post(self):
        """An access token for an API client of this tenant (OAuth2 client credentials grant).

        Authenticate with HTTP Basic (client_secret_basic) or with client_id and client_secret
        in the form (client_secret_post). The token works only under this tenant's URLs.
        """
        settings = current_app.extensions["samverka"].settings
        server = TokenServer(settings.api_token_minutes * 60)
        try:
            if not _basic_header_is_readable():
                raise OAuth2Error(error="invalid_client", status_code=401)
            return server.create_token_response()
        except OAuth2Error as error:  # raised before authlib's own handling (e.g. plain HTTP)
            return server.handle_error_response(None, error)
