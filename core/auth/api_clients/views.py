"""Tenant admin pages: list API clients, create one, rotate its secret, revoke it."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from core.auth.api_clients import services
from core.auth.api_clients.models import ApiClient
from core.auth.guard import current_user
from core.auth.permissions import requires
from core.db import db
from core.errors import get_or_404
from core.pagination import paginate, requested_page
from core.web.i18n import programme
from core.web.urls import external_url

bp = Blueprint("api_clients", __name__, url_prefix="/t/<tenant>/admin/api-clients")


def _state():
    return current_app.extensions["samverka"]


def _grantable() -> frozenset[str]:
    return services.grantable_scopes(_state().roles.permissions, g.permissions)


def scope_groups(keys) -> list[tuple[str, list[tuple[str, str]]]]:
    """(key, description) pairs grouped by the plugin that declares them (the key's first part),
    core first. Translated here, not in the template, so a description is escaped as text."""
    state = _state()
    groups: dict[str, list] = {}
    for key in sorted(keys):
        groups.setdefault(key.split(".", 1)[0], []).append((key, _(state.roles.permissions[key].description)))

    def title(prefix: str) -> str:
        return _("Samverka core") if prefix == "core" else programme(prefix)

    return sorted(((title(p), perms) for p, perms in groups.items()), key=lambda t: (t[0] != _("Samverka core"), t[0]))


def _minutes() -> int:
    return max(1, _state().settings.api_token_minutes)


def _secret_page(client, secret: str, *, rotated: bool):
    """The secret, shown this once; never cached by the browser or a proxy."""
    body = render_template("api_clients/secret.html", client=client, secret=secret, rotated=rotated,
                           token_url=external_url("oauth.Token"), minutes=_minutes())
    return body, 200, {"Cache-Control": "no-store"}


@bp.get("/")
@requires("core.tenant.admin")
def index():
    page = paginate(db.session, services.list_clients(), requested_page(), 50)
    return render_template("api_clients/index.html", page=page, minutes=_minutes())


@bp.route("/new", methods=["GET", "POST"])
@requires("core.tenant.admin")
def new():
    grantable = _grantable()
    name, chosen, errors = "", set(), {}
    if request.method == "POST":
        name = request.form.get("name", "")[:200]
        chosen = set(request.form.getlist("scopes"))
        try:
            client, secret = services.create_client(db.session, name=name, scopes=chosen, grantable=grantable,
                                                    created_by_id=current_user().id)
        except services.ApiClientError as exc:
            db.session.rollback()
            errors = {field: [_(message) for message in messages] for field, messages in exc.errors.items()}
        else:
            db.session.commit()
            return _secret_page(client, secret, rotated=False)
    return render_template("api_clients/form.html", name=name, chosen=chosen, errors=errors,
                           groups=scope_groups(grantable)), 422 if errors else 200


@bp.post("/<int:client_pk>/rotate")
@requires("core.tenant.admin")
def rotate(client_pk: int):
    client = get_or_404(db.session, ApiClient, client_pk, what="API client")
    try:
        secret = services.rotate_secret(db.session, client)
    except services.ApiClientError:
        db.session.rollback()
        flash(_("A revoked client cannot get a new secret."), "error")
        return redirect(url_for("api_clients.index"))
    db.session.commit()
    return _secret_page(client, secret, rotated=True)


@bp.post("/<int:client_pk>/revoke")
@requires("core.tenant.admin")
def revoke(client_pk: int):
    client = get_or_404(db.session, ApiClient, client_pk, what="API client")
    services.revoke_client(db.session, client)
    db.session.commit()
    flash(_("%(name)s is revoked; its tokens no longer work.", name=client.name), "success")
    return redirect(url_for("api_clients.index"))
