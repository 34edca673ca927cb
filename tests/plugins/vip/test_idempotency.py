"""VIP's creating operations take core's Idempotency-Key (tests/core/web/test_idempotency.py)."""

from __future__ import annotations


def test_the_openapi_document_declares_the_header_on_creating_an_application(client):
    spec = client.get("/api/openapi.json").json
    vip = spec["paths"]["/api/v1/t/{tenant}/vip/applications"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in vip["parameters"])
