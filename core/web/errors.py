"""Error responses: problem+json (RFC 9457) for the API, an accessible page for browsers."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException, InternalServerError, SecurityError

from core.db import db
from core.errors import Conflict, FieldError, NotFound
from core.web.strings import N_

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"

#: Status -> (heading, text) of the error page, in plain words; werkzeug's own are English.
PAGES = {
    400: (N_("The request could not be understood"),
          N_("Something in what was sent is wrong or missing. Go back and try again.")),
    403: (N_("You do not have access to this page"),
          N_("Your role here does not let you use this page. Ask your organisation's administrator "
             "if you need it.")),
    404: (N_("Page not found"), N_("The page does not exist, or you do not have access to it.")),
    405: (N_("This page cannot be used that way"),
          N_("Go back to the page you came from and use its buttons and links.")),
    413: (N_("What you sent is too large"), N_("Send a smaller file or less text.")),
    429: (N_("Too many attempts"), N_("Wait a while before you try again.")),
    500: (N_("Something went wrong"), N_("Something went wrong on our side. It has been logged.")),
    503: (N_("The service is not available right now"), N_("Try again in a few minutes.")),
}
#: Any other status of 400-499: the page is not one that can be shown.
OTHER = (N_("The request could not be handled"), N_("Go back and try again."))


def init_app(app: Flask) -> None:
    app.register_error_handler(HTTPException, _handle_http)
    app.register_error_handler(FieldError, _handle_field_error)
    app.register_error_handler(Conflict, _handle_conflict)
    app.register_error_handler(NotFound, _handle_not_found)
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
    raise FieldError(errors)


def _handle_field_error(exc: FieldError):
    """422 with the field map; a page that can show the form again catches the error itself."""
    db.session.rollback()
    if not wants_json():
        return _error_page(422)
    return problem(422, "Unprocessable Entity", "The request has invalid fields; see errors.", errors=exc.errors)


def _handle_conflict(exc: Conflict):
    db.session.rollback()
    if not wants_json():
        return _error_page(409)
    return problem(409, "Conflict", exc.detail or str(exc) or None)


def _handle_not_found(exc: NotFound):
    # No rollback, as for abort(404): a failed lookup changed nothing and left the transaction
    # usable; whatever is uncommitted ends with the request's session.
    if not wants_json():
        return _error_page(404)
    return problem(404, "Not Found", str(exc) or None)


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
        page, code = _error_page(exc.code or 500)
        return page, code, _exception_headers(exc)
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
    if wants_json():
        return problem(500, InternalServerError.name, _("Something went wrong on our side. It has been logged."))
    return _error_page(500)


def _error_page(code: int):
    heading, text = PAGES.get(code) or (PAGES[500] if code >= 500 else OTHER)
    return render_template("core/error.html", code=code, heading=_(heading), text=_(text)), code
