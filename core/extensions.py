"""Unbound extension objects, bound to each app in core.app.create_app (avoids import cycles),
and the app's own parts for the request (or app context) at hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from core.db import db

if TYPE_CHECKING:
    from core.auth.permissions import RoleRegistry
    from core.people.vault import Vault

babel = Babel()
csrf = CSRFProtect()


def current_vault() -> Vault:
    """The app's vault (national IDs encrypted and indexed), for a service that takes one."""
    return current_app.extensions["samverka"].vault


def current_roles() -> RoleRegistry:
    """The app's roles and permissions, as every enabled plugin declared them (``.roles`` lists
    the roles; ``upsert_local_user`` takes the registry)."""
    return current_app.extensions["samverka"].roles


__all__ = ["babel", "csrf", "db", "current_vault", "current_roles"]
