"""Security headers: nothing personal is cached (#7 item 7)."""

from __future__ import annotations

import tests.core.test_isolation_sweep as sweep
from core.web.security import CACHEABLE_ENDPOINTS


def _get_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" in rule.methods and rule.endpoint not in CACHEABLE_ENDPOINTS:
            yield rule


def _path(rule, world) -> str | None:
    if "tenant" in rule.arguments:
        return sweep.url(rule, world, method="GET")
    if rule.arguments:
        return None  # outside tenants with arguments: the password reset link, checked below
    return rule.rule


def test_every_page_and_api_answer_is_no_store_signed_in_and_not(app, tenant_worlds, client):
    a, _b = tenant_worlds
    anonymous = app.test_client()
    seen, missing = 0, []
    for rule in _get_routes(app):
        path = _path(rule, a)
        if path is None:
            continue
        for who, http in (("signed in", client), ("anonymous", anonymous)):
            response = http.get(path)
            seen += 1
            if response.headers.get("Cache-Control") != "no-store":
                missing.append(f"{who} GET {path} ({rule.endpoint}): {response.status_code} "
                               f"{response.headers.get('Cache-Control')!r}")
    assert seen > 50 and missing == []


def test_public_forms_and_their_answers_are_no_store(app, client, make_tenant):
    for path, data in (("/login", {"email": "nobody@example.org", "password": "wrong"}),
                       ("/password/forgot", {"email": "nobody@example.org"}),
                       ("/password/reset/not-a-token", {"password": "x", "password_again": "x"})):
        for response in (client.get(path), client.post(path, data=data)):
            assert response.headers["Cache-Control"] == "no-store", path
    tenant = make_tenant()
    token = client.post(f"/api/v1/t/{tenant.slug}/oauth/token", data={"grant_type": "client_credentials"})
    assert token.status_code == 401 and token.headers["Cache-Control"] == "no-store"


def test_static_files_and_the_openapi_document_may_be_cached(client):
    for path in ("/static/samverka.css", "/api/openapi.json"):
        response = client.get(path)
        try:
            assert response.status_code == 200 and response.headers.get("Cache-Control") != "no-store", path
        finally:
            response.close()
