"""Permission declarations on views, the role registry, and the check a request passes."""

from __future__ import annotations

from typing import Callable, Iterable, TypeVar

from core.hookspecs import Permission, Role

F = TypeVar("F", bound=Callable)

#: The declaration a route carries when anyone may call it, signed in or not.
PUBLIC = "public"
#: The declaration of routes that need a signed-in user but no tenant permission.
AUTHENTICATED = "authenticated"
ATTRIBUTE = "samverka_permission"


def requires(permission: str) -> Callable[[F], F]:
    """Declare the permission a view needs in the request's tenant."""

    def mark(view: F) -> F:
        setattr(view, ATTRIBUTE, permission)
        return view

    return mark


def public(view: F) -> F:
    """Declare a view open to anyone (login page, health checks, public forms)."""
    setattr(view, ATTRIBUTE, PUBLIC)
    return view


def authenticated(view: F) -> F:
    """Declare a view open to any signed-in user, whatever their roles."""
    setattr(view, ATTRIBUTE, AUTHENTICATED)
    return view


def declared_permission(view: Callable, method: str | None = None) -> str | None:
    """The permission a view function (or a MethodView's method) declares, if any."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None and method is not None:
        handler = getattr(view_class, method.lower(), None)
        if handler is not None and hasattr(handler, ATTRIBUTE):
            return getattr(handler, ATTRIBUTE)
        return getattr(view_class, ATTRIBUTE, None)
    return getattr(view, ATTRIBUTE, None)


class RoleRegistry:
    """All roles and permissions of the installation, gathered once from the hooks."""

    def __init__(self, permissions: Iterable[Permission], roles: Iterable[Role]) -> None:
        self.permissions = {p.key: p for p in permissions}
        self.roles = {r.key: r for r in roles}
        unknown = {
            (role.key, perm)
            for role in self.roles.values()
            for perm in role.permissions
            if perm not in self.permissions
        }
        if unknown:
            raise ValueError(f"roles name undeclared permissions: {sorted(unknown)}")

    def permissions_of(self, role_keys: Iterable[str]) -> frozenset[str]:
        granted: set[str] = set()
        for key in role_keys:
            role = self.roles.get(key)
            if role is not None:
                granted |= role.permissions
        return frozenset(granted)
