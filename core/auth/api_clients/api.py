"""REST endpoints to manage the tenant's API clients (signed-in users only, never a token)."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from core.auth.api_clients import services
from core.auth.api_clients.models import ApiClient
from core.auth.api_clients.schemas import ApiClientInSchema, ApiClientSchema, ApiClientSecretSchema
from core.auth.guard import current_user
from core.auth.permissions import requires
from core.db import db
from core.pagination import PageArgsSchema, page_schema, paginate
from core.errors import get_or_404
from core.web.openapi import SESSION_ONLY, conflict_response
from core.web.urls import external_url

bp = Blueprint("api_clients_api", __name__, url_prefix="/api-clients",
               description="The tenant's API clients (managed with a signed-in session)")
setattr(bp, SESSION_ONLY, True)  # documented: the session cookie is the only way in
ApiClientPage = page_schema(ApiClientSchema, "ApiClientPage")
NO_STORE = {"Cache-Control": "no-store"}


@bp.before_request
def _signed_in_users_only():
    # A token with core.tenant.admin in scope must still not mint or rotate clients.
    if g.get("api_client") is not None:
        abort(403, message="API clients are managed by signed-in users, not with a bearer token.")


def _grantable() -> frozenset[str]:
    return services.grantable_scopes(current_app.extensions["samverka"].roles.permissions, g.permissions)


class _WithSecret:
    """A client as answered once after creation or rotation: with its secret and token URL."""

    def __init__(self, client, secret: str) -> None:
        self._client = client
        self.client_secret = secret
        self.token_url = external_url("oauth.Token")

    def __getattr__(self, name: str):
        return getattr(self._client, name)


def _with_secret(client, secret: str) -> _WithSecret:
    return _WithSecret(client, secret)


@bp.route("")
class ApiClients(MethodView):
    @requires("core.tenant.admin")
    @bp.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @bp.response(200, ApiClientPage)
    def get(self, page, per_page):
        """The tenant's API clients, live ones first, by name."""
        return paginate(db.session, services.list_clients(), page, per_page)

    @requires("core.tenant.admin")
    @bp.arguments(ApiClientInSchema)
    @bp.response(201, ApiClientSecretSchema)
    def post(self, data):
        """Create a client with some of the caller's permissions as scopes. The answer holds
        the secret; it is never shown again."""
        client, secret = services.create_client(db.session, name=data["name"], scopes=data["scopes"],
                                                grantable=_grantable(), created_by_id=current_user().id)
        db.session.commit()
        return _with_secret(client, secret), 201, NO_STORE


@bp.route("/<int:client_pk>")
class ApiClientResource(MethodView):
    @requires("core.tenant.admin")
    @bp.response(200, ApiClientSchema)
    def get(self, client_pk):
        """One API client (never its secret)."""
        return get_or_404(db.session, ApiClient, client_pk, what="API client")


@bp.route("/<int:client_pk>/secret")
class ApiClientSecret(MethodView):
    @requires("core.tenant.admin")
    @bp.response(200, ApiClientSecretSchema)
    @conflict_response(bp, "The client is revoked.")
    def put(self, client_pk):
        """Rotate the secret: the answer holds the new one; the old secret and every token
        issued with it stop working at once."""
        client = get_or_404(db.session, ApiClient, client_pk, what="API client")
        try:
            secret = services.rotate_secret(db.session, client)
        except services.ApiClientError:
            db.session.rollback()
            abort(409, message="A revoked client cannot get a new secret.")
        db.session.commit()
        return _with_secret(client, secret), 200, NO_STORE


@bp.route("/<int:client_pk>/revocation")
class ApiClientRevocation(MethodView):
    @requires("core.tenant.admin")
    @bp.response(200, ApiClientSchema)
    def put(self, client_pk):
        """Revoke the client for good: its tokens stop working at once. Revoking again changes nothing."""
        client = get_or_404(db.session, ApiClient, client_pk, what="API client")
        services.revoke_client(db.session, client)
        db.session.commit()
        return client
