"""Rate limits per client address on sign-in, password reset, invitations and public forms.

Views declare a limit with :func:`limited`; :func:`init_app` hands every declared limit to
flask-limiter, which counts in Redis when ``SAMVERKA_REDIS_URL`` is set (shared by every
worker and replica) and in this process's memory otherwise. When Redis cannot be reached,
flask-limiter counts in memory until it is back: an outage never turns sign-in into an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, TypeVar

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from core.settings import Settings

F = TypeVar("F", bound=Callable)
ATTRIBUTE = "samverka_rate_limit"
#: Moving windows count exactly: no burst of twice the limit across a window's edge.
STRATEGY = "moving-window"


@dataclass(frozen=True)
class RateLimit:
    """``limit`` requests per ``window`` seconds from one address, counted per ``scope``."""

    scope: str
    limit: int
    window: int
    methods: tuple[str, ...]

    @property
    def value(self) -> str:
        return f"{self.limit} per {self.window} seconds"


def limited(scope: str, limit: int, window: int = 60, methods: tuple[str, ...] = ("POST",)) -> Callable[[F], F]:
    """Declare that one client address may call the view ``limit`` times per ``window``
    seconds with ``methods``, counted together with every view of the same ``scope``; more
    answer 429 with ``Retry-After`` (problem+json for the API, the error page for browsers)."""

    def mark(view: F) -> F:
        setattr(view, ATTRIBUTE, RateLimit(scope, limit, window, tuple(methods)))
        return view

    return mark


def init_app(app: Flask, settings: Settings) -> Limiter:
    """A flask-limiter for ``app``, enforcing every limit its views declare.

    Call after all blueprints are registered. Redis keys start with the installation's
    ``SAMVERKA_REDIS_KEY_PREFIX``, so installations (and test runs) can share one Redis.
    """
    if settings.redis_url:
        storage_uri = settings.redis_url
        options = {"key_prefix": settings.redis_key_prefix, "socket_timeout": 2, "socket_connect_timeout": 2}
    else:
        storage_uri, options = "memory://", {}
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=storage_uri,
        storage_options=options,
        strategy=STRATEGY,
        headers_enabled=True,
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    for endpoint, view in list(app.view_functions.items()):
        declared = _declared(view)
        if declared is not None:
            app.view_functions[endpoint] = limiter.shared_limit(
                declared.value, scope=declared.scope, methods=list(declared.methods))(view)
    return limiter


def _declared(view: Callable) -> RateLimit | None:
    view_class = getattr(view, "view_class", None)
    if view_class is None:
        return getattr(view, ATTRIBUTE, None)
    # A MethodView: the limit sits on its handler; the limit's methods say which it covers.
    found = {getattr(getattr(view_class, m.lower()), ATTRIBUTE, None) for m in view_class.methods} - {None}
    if len(found) > 1:
        raise ValueError(f"{view_class.__name__} declares more than one rate limit")
    return found.pop() if found else None
