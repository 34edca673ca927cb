"""Error responses: problem+json (RFC 9457) for the API, an accessible page for browsers."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from core.db import db

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(Exception, _handle_unexpected)


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def problem(status: int, title: str, detail: str | None = None, **extra: Any):
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


def abort_invalid(errors: dict) -> NoReturn:
    """Roll back and answer 422 with ``errors`` (field -> messages), as webargs does."""
    from flask_smorest import abort

    db.session.rollback()
    abort(422, errors={"json": errors})


def _field_errors(exc: HTTPException) -> dict | None:
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages") or data.get("errors")
    if not messages:
        return None
    only = next(iter(messages.values()))
    if len(messages) == 1 and isinstance(only, dict):
        return only  # {"json": {"field": [...]}} -> {"field": [...]}
    return messages  # {"json": ["Invalid JSON body."]} stays a map, as the API documents


def _exception_headers(exc: HTTPException) -> list[tuple[str, str]]:
    """What the exception says beside its body: ``Allow`` on a 405, ``WWW-Authenticate`` ..."""
    return [(k, v) for k, v in exc.get_headers(request.environ) if k.lower() != "content-type"]


def _handle_http(exc: HTTPException):
    if isinstance(exc, SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for this request, so no page with links.
        if wants_json():
            return problem(400, exc.name, "This server does not answer for that host name.")
        return Response(_("This server does not answer for that host name."), 400, mimetype="text/plain")
    if not wants_json():
        if exc.code in {301, 302, 303, 307, 308}:
            return exc
        return render_template("core/error.html", error=exc), exc.code, _exception_headers(exc)
    errors = _field_errors(exc)
    detail = (getattr(exc, "data", None) or {}).get("message") or getattr(exc, "description", None)
    extra = {"errors": errors} if errors is not None else {}
    if errors is not None:
        detail = "The request has invalid fields; see errors."
    response = problem(exc.code or 500, exc.name, detail, **extra)
    response.headers.extend(_exception_headers(exc))
    for header, value in ((getattr(exc, "data", None) or {}).get("headers") or {}).items():
        response.headers[header] = value
    return response


def _handle_unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _handle_http(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    db.session.rollback()  # the page below may query; a failed transaction must not poison it
    error = InternalServerError()
    if wants_json():
        return problem(500, error.name, _("Something went wrong on our side. It has been logged."))
    return render_template("core/error.html", error=error), 500
