"""Refuse text no database can store (NUL characters, lone surrogates) before it reaches one.

PostgreSQL text cannot hold U+0000 and UTF-8 cannot encode a lone surrogate (which JSON's
``\\ud800`` escapes can carry): either would fail in the driver, a 500, wherever the value
reaches a query. One check on every request keeps that from every form and endpoint.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

from flask import abort, current_app, request

#: For API clients, in English like marshmallow's own messages (a page answers a plain 400).
MESSAGE = "Holds characters that cannot be stored (such as NUL)."
#: No endpoint takes a JSON body anywhere near these; Python's JSON parser and every walk
#: over the parsed value recurse once per level, so depth is bounded before any of them runs.
MAX_JSON_DEPTH = 64
MAX_JSON_BYTES = 1024 * 1024
BODY_REQUIRED = "A JSON body is required (Content-Type: application/json)."
#: A string, or what is left of an unterminated one: with the closing quote optional every match
#: succeeds where it starts, so no start is scanned twice (a required quote made a body of many
#: escaped quotes quadratic: 32 kB took 18 s).
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


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


def json_depth(data: bytes) -> int:
    """How deep the arrays and objects of a JSON text nest (brackets inside strings do not count),
    found without parsing it: linear and without recursion, whatever the text holds."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))
    return max(accumulate(1 if c in b"[{" else -1 for c in brackets), default=0)


def check_json_shape():
    """Before anything parses a JSON body (the gate included): 413 when it is too large, 400
    when it nests too deep, rather than a RecursionError (a 500) in the parser."""
    if not request.is_json:
        return None
    if (request.content_length or 0) > MAX_JSON_BYTES:
        abort(413, description=f"A JSON body may hold at most {MAX_JSON_BYTES} bytes.")
    data = request.get_data(cache=True)
    if len(data) > MAX_JSON_BYTES:  # a chunked body has no Content-Length to refuse it by
        abort(413, description=f"A JSON body may hold at most {MAX_JSON_BYTES} bytes.")
    if json_depth(data) > MAX_JSON_DEPTH:
        abort(400, description=f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels of arrays and objects.")
    return None


def requires_json_body(view, method: str) -> bool:
    """Whether the operation declares a required JSON body (flask-smorest's ``@bp.arguments``
    with its default ``required=True``), which webargs alone does not enforce: without a body it
    loads ``{}``, and a schema with only optional fields lets the handler run on nothing."""
    handler = getattr(getattr(view, "view_class", None), method.lower(), None) or view
    parameters = (getattr(handler, "_apidoc", None) or {}).get("arguments", {}).get("parameters", [])
    return any(p.get("in") == "json" and p.get("required") for p in parameters)


def check_body():
    """After the request gate (a caller without access hears that first): a required JSON body
    present, then the query, a form and a JSON body storable; 422 with the fields for the API,
    400 for a page."""
    if (request.method in {"POST", "PUT", "PATCH"} and request.endpoint is not None
            and requires_json_body(current_app.view_functions[request.endpoint], request.method)
            and not (request.is_json and request.get_data(cache=True).strip())):
        from flask_smorest import abort as api_abort

        api_abort(422, errors={"json": [BODY_REQUIRED]})
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
