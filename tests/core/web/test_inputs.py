"""Bodies no endpoint should parse: nested too deep or too large are refused before parsing (#7 item 2)."""

import logging
import time

import pytest

from core.web.inputs import MAX_JSON_BYTES, MAX_JSON_DEPTH, json_depth
from core.testing.app import login

DEEP_BODIES = ["[" * 3000 + "]" * 3000, '{"a":' * 3000 + "1" + "}" * 3000, "[" * 3000]


@pytest.mark.parametrize("text, depth", [
    ("1", 0), ("[]", 1), ('{"a": [1, {"b": []}]}', 4), ('["[[[[", "{{\\"]]"]', 1), ('"[[["', 0),
])
def test_json_depth_skips_brackets_inside_strings(text, depth):
    assert json_depth(text.encode()) == depth


def test_json_depth_is_linear_on_many_escaped_quotes():
    # One opening quote, then escaped quotes to the end: a pattern that needs the closing quote
    # rescans the rest from every one of them (half a minute for this body, unauthenticated).
    body = b'"' + b'\\"' * 20_000
    started = time.monotonic()
    assert json_depth(body) == 0
    assert time.monotonic() - started < 1


def _no_traceback(caplog) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.parametrize("body", DEEP_BODIES)
def test_a_deep_body_to_the_public_token_endpoint_is_a_400_problem(client, make_tenant, body, caplog):
    tenant = make_tenant()
    with caplog.at_level(logging.INFO):
        response = client.post(f"/api/v1/t/{tenant.slug}/oauth/token", data=body, content_type="application/json")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert f"deeper than {MAX_JSON_DEPTH} levels" in response.json["detail"]
    _no_traceback(caplog)


@pytest.mark.parametrize("body", DEEP_BODIES)
def test_a_deep_body_to_an_authenticated_endpoint_is_a_400_problem(client, make_tenant, make_user, body, caplog):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    with caplog.at_level(logging.INFO):
        response = client.post(f"/api/v1/t/{tenant.slug}/people", data=body, content_type="application/json")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert f"deeper than {MAX_JSON_DEPTH} levels" in response.json["detail"]
    _no_traceback(caplog)


def test_a_body_at_the_depth_limit_is_read_as_usual(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    body = '{"first_name": "Nora", "last_name": "Berg", "x": ' + "[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1) + "}"
    response = client.post(f"/api/v1/t/{tenant.slug}/people", data=body, content_type="application/json")
    assert response.status_code == 422 and "x" in response.json["errors"]  # unknown field, not a parse refusal


def test_a_json_body_too_large_is_a_413_problem(client, make_tenant):
    tenant = make_tenant()
    body = '["' + "x" * MAX_JSON_BYTES + '"]'
    response = client.post(f"/api/v1/t/{tenant.slug}/oauth/token", data=body, content_type="application/json")
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
