"""Every route declares its permission; a route without one fails this test."""

from core.auth.permissions import declared_permission

#: Routes allowed to declare nothing (none: even Flask's static files are declared public).
UNDECLARED_BY_DESIGN: set[str] = set()


def test_every_route_declares_a_permission(app):
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDECLARED_BY_DESIGN:
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if declared_permission(view, method) is None:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == []


def test_a_known_permission_or_public_is_declared(app):
    known = set(app.extensions["samverka"].roles.permissions) | {"public", "authenticated"}
    unknown = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in UNDECLARED_BY_DESIGN:
            continue
        view = app.view_functions[rule.endpoint]
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            permission = declared_permission(view, method)
            if permission not in known:
                unknown.append((rule.rule, permission))
    assert unknown == []


def test_the_stylesheet_is_served_to_everyone(client):
    response = client.get("/static/samverka.css")
    try:
        assert response.status_code == 200 and response.mimetype == "text/css"
    finally:
        response.close()


def test_an_undeclared_route_is_refused_at_runtime(app, client):
    app.view_functions["web.healthz"].samverka_permission = None
    try:
        assert client.get("/healthz").status_code == 403
    finally:
        app.view_functions["web.healthz"].samverka_permission = "public"
