"""The OpenAPI document describes authentication; 405 carries Allow; a required body is required (#7 item 11)."""

from __future__ import annotations

import re

from sqlalchemy import select

import tests.core.test_isolation_sweep as sweep
from core.auth.permissions import AUTHENTICATED, PUBLIC, declared_permission
from core.db import tenant_scope
from core.people.models import Person
from core.web.inputs import BODY_REQUIRED
from core.testing.app import login, rolled_back

METHODS = {"get", "post", "put", "patch", "delete"}


def _rules_by_path(app) -> dict[str, object]:
    return {re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", rule.rule): rule for rule in app.url_map.iter_rules()}


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_document_declares_oauth2_client_credentials_and_the_session_cookie(app, client):
    schemes = client.get("/api/openapi.json").json["components"]["securitySchemes"]
    flow = schemes["oauth2"]["flows"]["clientCredentials"]
    assert schemes["oauth2"]["type"] == "oauth2" and flow["tokenUrl"] == "/api/v1/t/{tenant}/oauth/token"
    assert "relative" in schemes["oauth2"]["description"]
    assert set(flow["scopes"]) == set(app.extensions["samverka"].roles.permissions)
    assert schemes["session"] == {"type": "apiKey", "in": "cookie", "name": "samverka_session",
                                  "description": schemes["session"]["description"]}


def test_every_operation_says_what_it_needs(app, client):
    spec = client.get("/api/openapi.json").json
    rules = _rules_by_path(app)
    checked = 0
    for path, method, operation in _operations(spec):
        rule = rules[path]
        permission = declared_permission(app.view_functions[rule.endpoint], method.upper())
        security = operation.get("security")
        checked += 1
        if permission == PUBLIC:
            assert security == [], f"{method} {path}"
            continue
        scopes = [] if permission == AUTHENTICATED else [permission]
        if rule.endpoint.startswith("api_clients_api."):
            assert security == [{"session": []}], f"{method} {path}: bearer tokens are refused there"
        else:
            assert security == [{"oauth2": scopes}, {"session": []}], f"{method} {path}"
    assert checked > 30
    assert spec["paths"]["/api/v1/t/{tenant}/oauth/token"]["post"]["security"] == []


def test_a_405_says_which_methods_are_allowed_in_the_api_and_on_pages(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    api = client.delete(f"/api/v1/t/{tenant.slug}/tenant")
    assert api.status_code == 405 and api.mimetype == "application/problem+json"
    assert set(api.headers["Allow"].split(", ")) >= {"GET", "HEAD", "OPTIONS"}
    page = client.put("/login")
    assert page.status_code == 405 and set(page.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_every_operation_that_requires_a_json_body_refuses_none(app, tenant_worlds, client):
    a, _b = tenant_worlds
    spec = client.get("/api/openapi.json").json
    rules = _rules_by_path(app)
    checked, wrong = 0, []
    for path, method, operation in _operations(spec):
        body = operation.get("requestBody") or {}
        if not body.get("required") or "application/json" not in body.get("content", {}):
            continue
        url = sweep.url(rules[path], a, method=method.upper())
        for kwargs in ({}, {"data": "", "content_type": "application/json"}, {"data": "x=1", "content_type": "text/plain"}):
            with rolled_back():
                response = client.open(url, method=method.upper(), **kwargs)
            checked += 1
            if response.status_code != 422 or response.json.get("errors") != {"json": [BODY_REQUIRED]}:
                wrong.append(f"{method} {path} {kwargs}: {response.status_code} {response.get_data(as_text=True)[:200]}")
    assert checked > 20 and wrong == []


def test_a_bodyless_erasure_or_change_does_nothing(client, make_tenant, make_user, make_person, db_session):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    person = make_person(tenant, first_name="Ada", last_name="Lind")
    base = f"/api/v1/t/{tenant.slug}/people/{person.id}"
    assert client.post(f"{base}/erasure").status_code == 422
    assert client.patch(base).status_code == 422
    with tenant_scope(tenant.id):
        db_session.expire_all()
        kept = db_session.scalar(select(Person).where(Person.id == person.id))
        assert kept is not None and kept.first_name == "Ada"
    assert client.patch(base, json={}).status_code == 200  # an empty change stays allowed
