"""Refuse text no database can store (NUL characters, lone surrogates) before it reaches one.

PostgreSQL text cannot hold U+0000 and UTF-8 cannot encode a lone surrogate (which JSON's
``\\ud800`` escapes can carry): either would fail in the driver, a 500, wherever the value
reaches a query. One check on every request keeps that from every form and endpoint.
"""

from __future__ import annotations

from typing import Any

from flask import abort, request

#: For API clients, in English like marshmallow's own messages (a page answers a plain 400).
MESSAGE = "Holds characters that cannot be stored (such as NUL)."


def storable(value: str) -> bool:
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def first_unstorable(data: Any, path: tuple[str, ...] = ()) -> str | None:
    """The dotted path of the first string in ``data`` (JSON) that cannot be stored, or None."""
    if isinstance(data, str):
        return None if storable(data) else ".".join(path) or "_schema"
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = ((str(i), v) for i, v in enumerate(data))
    else:
        return None
    for key, value in items:
        if not storable(key):
            return ".".join(path) or "_schema"
        found = first_unstorable(value, (*path, key))
        if found is not None:
            return found
    return None


def check_path():
    """Before the request gate, which looks the URL's tenant up: such a path names nothing."""
    if not storable(request.path):
        abort(404)  # no resource has such a name
    return None


def check_body():
    """After the request gate (a caller without access hears that first): the query, a form
    and a JSON body; 422 with the fields for the API, 400 for a page."""
    errors: dict[str, dict[str, list[str]]] = {}
    for location, values in (("query", request.args), ("form", request.form)):
        for name, value in values.items(multi=True):
            if name is None:  # a multipart part without a name (Werkzeug keeps it under None)
                errors.setdefault(location, {})["_schema"] = [MESSAGE]
            elif not (storable(name) and storable(value)):
                errors.setdefault(location, {})[name if storable(name) else "_schema"] = [MESSAGE]
    if request.is_json:
        found = first_unstorable(request.get_json(silent=True))
        if found is not None:
            errors["json"] = {found: [MESSAGE]}
    if not errors:
        return None
    if request.path.startswith("/api/"):
        from flask_smorest import abort as api_abort

        api_abort(422, errors=errors)
    abort(400)
