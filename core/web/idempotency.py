"""``@idempotent``: a creating API operation answers a retry with the same ``Idempotency-Key``
with its first answer instead of doing the work again."""

from __future__ import annotations

import functools
import re
import time
from datetime import timedelta
from typing import Any, Callable

from flask import current_app, g, make_response, request
from flask_smorest import abort

from core.db import as_utc, db, utcnow
from core.idempotency import services
from core.idempotency.models import IdempotencyKey

HEADER = "Idempotency-Key"
#: Visible ASCII, as a UUID or any other token a client makes; the column holds 255.
KEY_PATTERN = re.compile(r"[!-~]{1,255}")
#: How long a retry waits for the first request with its key to finish before answering 409.
WAIT_SECONDS = 5.0
#: A first request still without an answer after this is dead (gunicorn kills a worker after
#: 30 seconds): its work may or may not be done, and only the client can tell.
ABANDONED_AFTER = timedelta(minutes=2)
#: Marks the view for the OpenAPI document (``core.web.openapi``).
ATTRIBUTE = "samverka_idempotent"

PARAMETER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "Makes a retry safe: a request repeated with the same key and the same body gets the first "
        "answer (status, body, Location) without the work being done again; the same key with another "
        "body is a 422. Keys are kept per tenant and per client (API client or signed-in user) for "
        "24 hours. Only a successful answer is kept, so a corrected request may reuse the key after an "
        "error. While the first request is still at work, a retry waits up to 5 seconds, then gets 409 "
        "with Retry-After. Once a person is erased or anonymised, kept answers lose their body (they may "
        "hold the person's data): a retry then gets the first status and Location only."
    ),
}


def idempotent(view: Callable) -> Callable:
    """Declare a creating API operation safe to retry with an ``Idempotency-Key`` header (put it
    under ``@requires``, above ``@bp.arguments``). The key row is added in the transaction the
    handler commits, so the work and the key commit together; the answer is kept just after."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        key = request.headers.get(HEADER)
        client = _client()
        if key is None or client is None:
            return view(*args, **kwargs)
        if not KEY_PATTERN.fullmatch(key):
            abort(422, errors={"headers": {HEADER: ["Use 1 to 255 visible ASCII characters, such as a UUID."]}})
        fingerprint = services.fingerprint(request.method, request.path, request.get_data())
        deadline = time.monotonic() + WAIT_SECONDS
        while (first := services.claim(db.session, client, key, fingerprint, utcnow())) is not None:
            if first.fingerprint != fingerprint:
                abort(422, message=f"This {HEADER} was used with another request body (or method or path); "
                                   "use a new key for a new request.")
            if first.status is not None:
                return _replay(first)
            if utcnow() - as_utc(first.created_at) > ABANDONED_AFTER:
                abort(409, message=f"The first request with this {HEADER} ended without an answer; its work "
                                   "may be done. Check before sending it again with a new key.")
            if time.monotonic() > deadline:
                abort(409, message=f"The first request with this {HEADER} is still at work; retry shortly.",
                      headers={"Retry-After": "1"})
            db.session.rollback()  # a fresh snapshot, and no lock held while waiting
            time.sleep(0.1)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            db.session.rollback()
            raise
        if 200 <= response.status_code < 300:
            services.record(db.session, client, key, status=response.status_code, body=response.get_data(as_text=True),
                            content_type=response.content_type, location=response.headers.get("Location"))
        else:
            services.release(db.session, client, key)
        db.session.commit()
        return response

    setattr(wrapper, ATTRIBUTE, True)
    return wrapper


def _client() -> str | None:
    """Whose keys these are: the API client of a bearer token, else the signed-in user."""
    access = g.get("api_client")
    if access is not None:
        return f"api:{access.client_id}"
    user = g.get("user")
    return f"user:{user.id}" if user is not None else None


def _replay(first: IdempotencyKey):
    response = current_app.response_class(first.body, status=first.status, content_type=first.content_type)
    if first.location:
        response.headers["Location"] = first.location
    response.headers["Idempotent-Replayed"] = "true"
    return response
