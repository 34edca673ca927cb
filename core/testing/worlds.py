"""Two tenants, A and B, each with a realistic object of every kind, for the sweeps over all
routes (core's tests/core/test_isolation_sweep.py, tests/core/test_api_schema.py). Core makes
its own objects; each plugin adds its own through its :class:`~core.testing.PluginTests`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select

from core.auth import services as auth_services
from core.auth.api_clients import services as client_services
from core.db import tenant_scope
from core.people import services as people_services
from core.sessions import services as session_services
from core.tenants.models import Tenant
from core.testing.app import login
from core.testing.plugin_tests import configured


@dataclass
class World:
    """One tenant and one object of every kind in it; every text field of them holds ``marker``.
    What the plugins add (``PluginTests.build``) is read as attributes too: ``world.group_id``."""

    slug: str
    marker: str
    person_id: int
    consent_id: int
    session_id: int
    feed_id: int
    #: The calendar feed's secret token (only its hash is stored).
    feed_token: str
    client_pk: int
    #: A colleague (role ``staff`` here only): the object of the role admin routes.
    user_id: int
    #: An API client with every scope a tenant can grant, and a bearer token of it.
    machine_id: str
    machine_secret: str
    role: str = "staff"
    #: The plugin whose settings routes are swept: the first one the configuration names.
    plugin_key: str = ""
    bearer: str = ""
    #: The secret of an open invitation of a new account (no password yet) to a role here.
    invitation_token: str = ""
    #: The plugins' objects, by the names their tables use.
    plugins: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        plugins = self.__dict__.get("plugins", {})
        if name in plugins:
            return plugins[name]
        raise AttributeError(f"World has no {name!r}: no plugin's PluginTests.build returns it")

    def value(self, name: str) -> Any:
        return getattr(self, name)


def build_world(app, db_session, make_tenant, make_user, make_person, marker: str) -> World:
    """A tenant with every installed plugin on and one object of every kind, made by the
    factories and the real services: core's own, then each plugin's (``PluginTests.build``)."""
    roles = app.extensions["samverka"].roles
    tests = configured()
    settings = {key: {} for key in app.extensions["samverka"].registry.plugins}
    settings.update({t.key: t.settings(marker) for t in tests})
    tenant = make_tenant(plugins=settings)
    colleague = make_user(("staff", tenant), name=f"Colleague {marker}", email=f"colleague-{marker}@example.org")
    person = make_person(tenant, first_name=f"Ada{marker}", last_name=f"Lind{marker}",
                         email=f"ada-{marker}@example.org", address=f"Storgatan {marker}", national_id="19811218-9876")
    with tenant_scope(tenant.id):
        consent = people_services.add_consent(db_session, person, purpose=f"Purpose {marker}", given_by="self",
                                              given_on=date.today() - timedelta(days=10))
        starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=1)
        scheduled = session_services.create_session(
            db_session, {"plugin": "core", "kind": "meeting", "title": f"Session {marker}", "starts_at": starts,
                         "ends_at": starts + timedelta(hours=1), "location": f"Room {marker}"},
            leader_ids=[colleague.id], participant_ids=[person.id])
        feed, feed_token = session_services.create_feed(db_session, label=f"Feed {marker}")
        scopes = frozenset(client_services.grantable_scopes(roles.permissions, roles.permissions))
        api_client, _secret = client_services.create_client(
            db_session, name=f"Client {marker}", scopes=["core.people.read"], grantable=scopes,
            created_by_id=colleague.id)
        machine, machine_secret = client_services.create_client(
            db_session, name=f"Machine {marker}", scopes=sorted(scopes), grantable=scopes, created_by_id=None)
    _invitee, invitation_token = auth_services.invite(
        db_session, roles, tenant, email=f"invitee-{marker}@example.org", name=f"Invitee {marker}", role="staff",
        now=datetime.now(timezone.utc))
    db_session.commit()
    values: dict[str, Any] = {}
    for t in tests:
        made = t.build(app, db_session, tenant, make_user, make_person, marker) if t.build else {}
        clash = set(made) & (set(values) | set(World.__dataclass_fields__))
        if clash:
            raise ValueError(f"{t.key}'s world names {sorted(clash)}, which another part of the world already uses")
        values.update(made)
    return World(slug=tenant.slug, marker=marker, person_id=person.id, consent_id=consent.id,
                 session_id=scheduled.id, feed_id=feed.id, feed_token=feed_token, client_pk=api_client.id,
                 user_id=colleague.id, machine_id=machine.client_id, machine_secret=machine_secret,
                 invitation_token=invitation_token, plugin_key=tests[0].key if tests else "", plugins=values)




@pytest.fixture
def tenant_worlds(app, db_session, client, make_tenant, make_user, make_person) -> tuple[World, World]:
    """Tenants A and B; ``client`` is signed in as A's user, who holds every role there is at A
    (so permissions are never why access is refused) and none at B."""
    a = build_world(app, db_session, make_tenant, make_user, make_person, f"zqa{uuid.uuid4().hex[:10]}")
    b = build_world(app, db_session, make_tenant, make_user, make_person, f"zqb{uuid.uuid4().hex[:10]}")
    tenant_a = db_session.scalar(select(Tenant).where(Tenant.slug == a.slug))
    every_role = sorted(app.extensions["samverka"].roles.roles)
    admin = make_user(*[(role, tenant_a) for role in every_role], name=f"Admin {a.marker}",
                      email=f"admin-{a.marker}@example.org")
    login(client, admin)
    for world in (a, b):
        token = client.post(f"/api/v1/t/{world.slug}/oauth/token",
                            data={"grant_type": "client_credentials", "client_id": world.machine_id,
                                  "client_secret": world.machine_secret})
        assert token.status_code == 200, token.get_data(as_text=True)
        world.bearer = token.json["access_token"]
    return a, b
