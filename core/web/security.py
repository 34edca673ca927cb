"""Security headers on every response."""

from __future__ import annotations

from flask import Flask, Response, request

from core.settings import Settings

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ]
)

#: Endpoints whose answers hold nothing personal and may be cached: files shipped with the app
#: and the OpenAPI document. Every other answer (pages, API, exports, error pages) is no-store.
CACHEABLE_ENDPOINTS = frozenset({"static", "api-docs.openapi_json"})


def init_app(app: Flask, settings: Settings) -> None:
    hsts = settings.is_production

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint not in CACHEABLE_ENDPOINTS:
            response.headers["Cache-Control"] = "no-store"
        if hsts:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
