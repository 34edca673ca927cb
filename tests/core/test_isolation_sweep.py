"""Isolation sweep: every tenant route and method, tenant A's own objects next to tenant B's.

The routes come from ``app.url_map``, so a new route is swept without editing this file. For
each (rule, method), with A's user (every role there is, at A only) and with a bearer token of
an API client of A (every scope), the sweep asks for:

(a) A's object through A's URL: the success status (the positive control);
(b) B's object through A's URL: 403 or 404, and no data of B's object in the answer;
(c) B's object through B's URL: 403 or 404 (a bearer token of A: exactly 404), no data of B.

Each (rule, method, caller) runs inside a savepoint rolled back afterwards, so a change made
by one (an erasure, a revocation) never affects the next. The negatives run first and the
positive last: the positive then proves that the object the negatives were refused was there.
Every text field of B's objects carries B's marker; an answer to (b) or (c) must not hold it.
Routes inside a tenant that take no object id get (a) and (c); public ones follow a policy of
their own (PUBLIC_IN_TENANT).

The tables below are core's; each plugin's test package adds its own (its objects in the
worlds, its URL arguments, bodies and public routes) through ``core.testing.PluginTests``,
named in pyproject.toml's ``samverka_plugin_tests``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from core.auth.permissions import PUBLIC, declared_permission
from core.testing import World, rolled_back
from core.testing.plugin_tests import configured, merged

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
REFUSED = {403, 404}

# --- what the sweep knows ------------------------------------------------------------------

#: How to fill each URL argument: the name of a value every tenant's :class:`World` holds.
#: Object ids point at rows of that tenant; ``key`` and ``role`` are names that mean the same in
#: every tenant (a plugin, a role), so only the tenant of the URL can cross for them.
FILLERS: dict[str, str] = merged("fillers", {
    "person_id": "person_id",
    "consent_id": "consent_id",
    "session_id": "session_id",
    "feed_id": "feed_id",
    "client_pk": "client_pk",
    "user_id": "user_id",
    "role": "role",
    "key": "plugin_key",
})
#: Arguments whose meaning depends on the route: (endpoint, argument) -> World value.
FILLERS_BY_ENDPOINT: dict[tuple[str, str], str] = merged("fillers_by_endpoint", {
    ("sessions.calendar", "token"): "feed_token",
    ("invitations.accept", "token"): "invitation_token",
})
#: The same, for one method of a route only: (endpoint, method, argument) -> World value.
FILLERS_BY_METHOD: dict[tuple[str, str, str], str] = merged("fillers_by_method")
#: Routes outside any tenant that still take an argument, and why the sweep leaves them out.
OUTSIDE_TENANTS: dict[str, str] = merged("outside_tenants", {
    "static": "files shipped with the app; no tenant's data",
    "auth.reset_password": "a one-time token for a global account, not a tenant's object: holding it is "
                           "the permission (tests/core/auth/test_signin.py covers it)",
    "jobs.outbox_message": "the demo's platform-admin mailbox (core.platform, every tenant by design; a 404 in "
                           "production); tests/core/jobs/test_outbox_page.py covers who may read it",
})

#: Public routes inside a tenant: how each is swept (a policy below), or why it is not.
PUBLIC_IN_TENANT: dict[str, str] = merged("public_in_tenant", {
    "sessions.calendar": "capability",
    "oauth.Token": "client_credentials",
    "oidc.tenant_login": "skip: the tenant's public login address; it shows no tenant data",
    "oidc.start": "skip: starts a public sign-in at the tenant's provider (tests/core/auth/test_oidc.py)",
    "oidc.callback": "skip: the provider's redirect back; needs a provider (tests/core/auth/test_oidc.py)",
    "invitations.accept": "capability",
})

#: API blueprints that refuse bearer tokens on purpose (403 even with every scope).
BEARER_REFUSED: dict[str, str] = merged("bearer_refused", {
    "api_clients_api": "API clients are managed by signed-in users, never with a bearer token",
})


def _today(_w: World) -> str:
    return date.today().isoformat()


def _soon(hours: int) -> str:
    return (datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=2, hours=hours)).isoformat()


#: Body of each mutating (endpoint, method): ("json" | "form" | "csv", build(world A)), or None
#: when it takes none. A new mutating endpoint without an entry fails the sweep.
Body = tuple[str, Callable[["World"], dict[str, Any]]] | None
BODIES: dict[tuple[str, str], Body] = merged("bodies", {
    # REST API
    ("people_api.People", "POST"): ("json", lambda w: {"first_name": "Nora", "last_name": "Berg"}),
    ("people_api.Duplicates", "POST"): ("json", lambda w: {"first_name": "Nora", "last_name": "Berg"}),
    ("people_api.PersonResource", "PATCH"): ("json", lambda w: {"phone": "+46 70 111"}),
    ("people_api.Consents", "POST"): ("json", lambda w: {"purpose": "Follow-up", "given_by": "self",
                                                         "given_on": _today(w)}),
    ("people_api.ConsentWithdrawal", "PUT"): ("json", lambda w: {"withdrawn_on": _today(w)}),
    ("people_api.PersonErasure", "POST"): ("json", lambda w: {}),
    ("sessions_api.Sessions", "POST"): ("json", lambda w: {"title": "Planning", "starts_at": _soon(0),
                                                           "ends_at": _soon(1)}),
    ("sessions_api.SessionResource", "PATCH"): ("json", lambda w: {"title": "Moved"}),
    # The worlds' sessions are still to come: only who will not come can be recorded (#7 item 12).
    ("sessions_api.AttendanceResource", "PUT"): ("json", lambda w: {
        "attendance": [{"person_id": w.person_id, "status": "absent_with_notice"}]}),
    ("sessions_api.Feeds", "POST"): ("json", lambda w: {"label": "Leaders"}),
    ("sessions_api.FeedResource", "DELETE"): None,
    ("tenants_api.PluginResource", "PUT"): ("json", lambda w: {"enabled": True, "settings": {"greeting": "Hi"}}),
    ("api_clients_api.ApiClients", "POST"): ("json", lambda w: {"name": "Booking", "scopes": ["core.people.read"]}),
    ("api_clients_api.ApiClientSecret", "PUT"): None,
    ("api_clients_api.ApiClientRevocation", "PUT"): None,
    # pages
    ("people.new", "POST"): ("form", lambda w: {"first_name": "Nora", "last_name": "Berg",
                                                "confirm_not_duplicate": "1"}),
    ("people.edit", "POST"): ("form", lambda w: {"first_name": "Ada", "last_name": "Lind",
                                                 "confirm_not_duplicate": "1"}),
    ("people.add_consent", "POST"): ("form", lambda w: {"purpose": "Follow-up", "given_by": "self",
                                                        "given_on": _today(w)}),
    ("people.withdraw_consent", "POST"): None,
    ("people.erase", "POST"): ("form", lambda w: {"confirm": "yes"}),
    ("sessions.detail", "POST"): ("form", lambda w: {f"status-{w.person_id}": "absent_with_notice"}),
    ("sessions.feeds", "POST"): ("form", lambda w: {"label": "Leaders"}),
    ("sessions.revoke", "POST"): None,
    ("tenants.plugin_settings", "POST"): ("form", lambda w: {"participants_per_group": "5", "audiences": "women",
                                                             "greeting": "Hi"}),
    ("tenants.enable", "POST"): None,
    ("tenants.disable", "POST"): None,
    ("users.invite", "POST"): ("form", lambda w: {"email": f"new-{w.marker}@example.org", "name": "New Colleague",
                                                  "role": "staff"}),
    ("users.grant", "POST"): ("form", lambda w: {"role": "auditor"}),
    ("invitations.accept", "POST"): ("form", lambda w: {"password": "a password of the invitee",
                                                        "password_again": "a password of the invitee"}),
    ("users.revoke", "POST"): None,
    ("api_clients.new", "POST"): ("form", lambda w: {"name": "Booking", "scopes": "core.people.read"}),
    ("api_clients.rotate", "POST"): None,
    ("api_clients.revoke", "POST"): None,
    ("oidc.settings", "POST"): ("form", lambda w: {"display_name": "Login", "issuer": "https://login.example.org",
                                                   "client_id": "samverka", "allowed_domains": "example.org",
                                                   "enabled": "y"}),
    ("oauth.Token", "POST"): ("form", lambda w: {"grant_type": "client_credentials", "client_id": w.machine_id,
                                                 "client_secret": w.machine_secret}),
})


# --- walking the URL map -------------------------------------------------------------------


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _is_public(app: Flask, rule: Rule, method: str) -> bool:
    return declared_permission(app.view_functions[rule.endpoint], method) == PUBLIC


def _filler(rule: Rule, argument: str, method: str | None = None) -> str:
    name = (FILLERS_BY_METHOD.get((rule.endpoint, method or "", argument))
            or FILLERS_BY_ENDPOINT.get((rule.endpoint, argument)) or FILLERS.get(argument))
    if name is None:
        pytest.fail(f"the isolation sweep does not know how to fill <{argument}> in {rule.rule} "
                    f"({rule.endpoint}): give each tenant an object of that kind (core: core/testing/worlds.py; "
                    f"a plugin: its PluginTests.build) and name it in FILLERS (or FILLERS_BY_ENDPOINT) of "
                    f"{__name__.replace('.', '/')}.py or of the plugin's PluginTests",
                    pytrace=False)
    return name


def swept_rules(app: Flask) -> list[Rule]:
    """Every rule inside a tenant; a rule outside one that takes an argument must be explained."""
    rules = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "tenant" in rule.arguments:
            rules.append(rule)
        elif rule.arguments and rule.endpoint not in OUTSIDE_TENANTS:
            pytest.fail(f"{rule.rule} ({rule.endpoint}) takes {sorted(rule.arguments)} outside any tenant: "
                        "sweep it, or say in OUTSIDE_TENANTS why not", pytrace=False)
    return rules


def url(rule: Rule, world: World, overrides: dict[str, Any] | None = None, method: str | None = None) -> str:
    """The rule's path in ``world``'s tenant with ``world``'s objects (``overrides`` win)."""
    values = {"tenant": world.slug}
    for argument in rule.arguments - {"tenant"}:
        values[argument] = world.value(_filler(rule, argument, method))
    values.update(overrides or {})

    def fill(match: re.Match) -> str:
        return str(values[match.group(1)])

    return re.sub(r"<(?:[^:<>]+:)?([A-Za-z_][A-Za-z0-9_]*)>", fill, rule.rule)


def b_variants(rule: Rule, a: World, b: World, method: str | None = None) -> list[str]:
    """A's URL with B's objects: all of them, and (for several) each one alone."""
    arguments = sorted(rule.arguments - {"tenant"})
    variants = [{arg: b.value(_filler(rule, arg, method)) for arg in arguments}]
    if len(arguments) > 1:
        variants += [{arg: b.value(_filler(rule, arg, method))} for arg in arguments]
    own = url(rule, a, method=method)
    urls = []
    for overrides in variants:
        candidate = url(rule, a, overrides, method)
        if candidate != own and candidate not in urls:
            urls.append(candidate)
    return urls


# --- the checks ----------------------------------------------------------------------------


@dataclass
class Sweep:
    app: Flask
    client: Any
    machine: Any
    a: World
    b: World
    failures: list[str] = field(default_factory=list)
    pairs: int = 0
    requests: int = 0

    def send(self, caller: str, method: str, path: str, endpoint: str):
        """``caller``: "user" (A's signed-in user), "bearer" (A's API client) or "anonymous"."""
        spec = BODIES.get((endpoint, method))
        kwargs: dict[str, Any] = {}
        if spec is not None:
            kind, build = spec
            kwargs = {"json": build(self.a)} if kind == "json" else {"data": build(self.a)}
            if kind == "csv":
                kwargs["content_type"] = "text/csv"
        http = self.client if caller == "user" else self.machine
        headers = {"Authorization": f"Bearer {self.a.bearer}"} if caller == "bearer" else {}
        self.requests += 1
        return http.open(path, method=method, headers=headers, **kwargs)

    @staticmethod
    def _text(response) -> str:
        return response.get_data(as_text=True) + "\n" + str(dict(response.headers))

    def expect_refused(self, label: str, response, statuses: set[int], *markers: str) -> None:
        text = self._text(response)
        if response.status_code not in statuses:
            self.failures.append(f"{label}: {response.status_code}, expected {sorted(statuses)}\n"
                                 f"    {response.get_data(as_text=True)[:300]}")
        for marker in markers:
            if marker in text:
                self.failures.append(f"{label}: the answer holds data of another tenant's object ({marker})")

    def expect_success(self, label: str, response, *, shows: str | None = None) -> None:
        text = self._text(response)
        location = response.headers.get("Location", "")
        if not 200 <= response.status_code < 400 or "/login" in location:
            self.failures.append(f"{label}: {response.status_code} {location}, expected success\n"
                                 f"    {response.get_data(as_text=True)[:400]}")
        elif shows is not None and response.status_code == 200 and shows not in text:
            self.failures.append(f"{label}: the answer does not show A's own object ({shows})")

    def sweep(self, rule: Rule, method: str, caller: str) -> None:
        a, b = self.a, self.b
        name = f"{caller} {method} {rule.rule} ({rule.endpoint})"
        has_objects = bool(rule.arguments - {"tenant"})
        shows = a.marker if method == "GET" and has_objects else None
        with rolled_back():
            for path in b_variants(rule, a, b, method):
                self.expect_refused(f"(b) {name} as {path}", self.send(caller, method, path, rule.endpoint),
                                    REFUSED, b.marker)
            path = url(rule, b, method=method)
            self.expect_refused(f"(c) {name} as {path}", self.send(caller, method, path, rule.endpoint),
                                {404} if caller == "bearer" else REFUSED, b.marker)
            response = self.send(caller, method, url(rule, a, method=method), rule.endpoint)
            refused_by_design = caller == "bearer" and rule.endpoint.split(".")[0] in BEARER_REFUSED
            if refused_by_design:
                self.expect_refused(f"(a) {name}, refused by design", response, {403}, a.marker)
            else:
                self.expect_success(f"(a) {name}", response, shows=shows)

    def sweep_public(self, rule: Rule, method: str, policy: str) -> None:
        a, b = self.a, self.b
        name = f"public {method} {rule.rule} ({rule.endpoint})"
        with rolled_back():
            if policy == "capability":
                # The token in the URL is the key: B's key opens nothing at A, A's nothing at B.
                token = _filler(rule, "token")
                self.expect_refused(f"(b) {name} with B's token at A", self.send("anonymous", method, url(
                    rule, a, {"token": b.value(token)}), rule.endpoint), {404}, b.marker)
                self.expect_refused(f"(c) {name} with A's token at B", self.send("anonymous", method, url(
                    rule, b, {"token": a.value(token)}), rule.endpoint), {404}, a.marker, b.marker)
                self.expect_success(f"(a) {name}", self.send("anonymous", method, url(rule, a), rule.endpoint),
                                    shows=a.marker)
            elif policy == "client_credentials":
                # A's client is unknown at B's token endpoint: the same 401 as a wrong secret.
                refused = self.send("anonymous", method, url(rule, b), rule.endpoint)
                self.expect_refused(f"(c) {name} with A's client at B", refused, {401}, b.marker)
                if "access_token" in self._text(refused):
                    self.failures.append(f"(c) {name}: B's token endpoint issued a token to A's client")
                self.expect_success(f"(a) {name}", self.send("anonymous", method, url(rule, a), rule.endpoint))
            else:
                raise AssertionError(policy)


def pairs(app: Flask) -> list[tuple[Rule, str]]:
    return [(rule, method) for rule in swept_rules(app) for method in _methods(rule)]


def test_isolation_sweep(app, tenant_worlds, client):
    a, b = tenant_worlds
    machine = app.test_client()
    sweep = Sweep(app, client, machine, a, b)
    missing_bodies = [f"{method} {rule.rule} ({rule.endpoint})" for rule, method in pairs(app)
                      if method in MUTATING and (rule.endpoint, method) not in BODIES]
    assert not missing_bodies, ("mutating endpoints without an entry in BODIES (a minimal valid body, or None "
                                "when they take none): " + ", ".join(missing_bodies))
    unexplained_public = [rule.endpoint for rule, method in pairs(app)
                          if _is_public(app, rule, method) and rule.endpoint not in PUBLIC_IN_TENANT]
    assert not unexplained_public, f"public routes inside a tenant missing from PUBLIC_IN_TENANT: {unexplained_public}"

    skipped = []
    for rule, method in pairs(app):
        if _is_public(app, rule, method):
            policy = PUBLIC_IN_TENANT[rule.endpoint]
            if policy.startswith("skip:"):
                skipped.append(f"{method} {rule.rule}")
                continue
            sweep.sweep_public(rule, method, policy)
        else:
            sweep.sweep(rule, method, "user")
            if rule.rule.startswith("/api/"):
                sweep.sweep(rule, method, "bearer")
        sweep.pairs += 1

    assert not sweep.failures, f"{len(sweep.failures)} isolation failures:\n" + "\n".join(sweep.failures)
    # The sweep must reach the routes with object ids, or it proves nothing.
    with_ids = {rule.endpoint for rule, _m in pairs(app) if rule.arguments - {"tenant"}}
    assert {"people_api.PersonResource", "people.detail", "sessions_api.FeedResource", "users.revoke",
            "api_clients_api.ApiClientResource", "sessions.calendar", "tenants.plugin_settings"} <= with_ids
    with_objects = sum(1 for rule, _m in pairs(app) if rule.arguments - {"tenant"})
    print(f"isolation sweep: {sweep.pairs} (rule, method) pairs ({with_objects} with object ids), "
          f"{sweep.requests} requests; public pairs left out by design: {skipped}")


def test_the_sweep_tables_name_only_routes_that_exist(app):
    """A renamed or removed route must not leave a stale entry behind."""
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    methods = {(rule.endpoint, m) for rule in app.url_map.iter_rules() for m in rule.methods}
    assert {key for key in BODIES if key not in methods} == set()
    assert {e for e in [*OUTSIDE_TENANTS, *PUBLIC_IN_TENANT] if e not in endpoints} == set()
    assert {e for e, _a in FILLERS_BY_ENDPOINT if e not in endpoints} == set()
    assert {(e, m) for e, m, _a in FILLERS_BY_METHOD if (e, m) not in methods} == set()
    blueprints = {e.split(".")[0] for e in endpoints}
    assert set(BEARER_REFUSED) <= blueprints
    assert {tests.key for tests in configured()} <= set(app.extensions["samverka"].registry.plugins)
