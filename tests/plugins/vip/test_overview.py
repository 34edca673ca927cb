"""The VIP overview page and ``GET /overview``: the tenant's own figures, waitlists, groups, links."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from werkzeug.routing import BuildError

from core.db import utcnow
from plugins.vip.models import ApplicationStatus, GroupStatus
from plugins.vip.services import register
from plugins.vip.views.overview import LINKS
from core.testing.app import login
from tests.plugins.vip.test_metrics import vip_rows, weekly  # noqa: F401  (the fixture)

EN = {"Accept-Language": "en"}


def _dd(body: str, key: str) -> str:
    match = re.search(rf'<dd id="fig-{key}">(.*?)</dd>', body, re.S)
    assert match, key
    return " ".join(match.group(1).split())


@pytest.fixture
def busy(db_session, vip_tenant, vip_rows, trained_leaders):  # noqa: F811
    """``vip_tenant`` with applications in two audiences, a finished and a running group,
    a planned one, outreach rows and two trained leaders."""
    past = (utcnow() - timedelta(days=150)).replace(hour=17)
    finished = [vip_rows.application(vip_tenant, applied_at=past - timedelta(days=d)) for d in (10, 14, 30)]
    group = vip_rows.group(vip_tenant, starts=weekly(past, 12), placed=finished, status=GroupStatus.finished,
                           name="Spring women")
    for application, present in zip(finished, (12, 9, 3)):
        vip_rows.attend(vip_tenant, group, application, present)
    running = [vip_rows.application(vip_tenant, audience="men", taken_before=True,
                                    applied_at=utcnow() - timedelta(days=60)) for _ in range(2)]
    vip_rows.group(vip_tenant, starts=weekly(utcnow() - timedelta(days=14), 12), placed=running,
                   audience="men", name="Autumn men")
    vip_rows.group(vip_tenant, starts=weekly(utcnow() + timedelta(days=20), 12), status=GroupStatus.planned,
                   name="Winter women")
    for audience in ("women", "women", "men", "young_women"):
        vip_rows.application(vip_tenant, audience=audience)
    vip_rows.application(vip_tenant, status=ApplicationStatus.offered)
    vip_rows.application(vip_tenant, status=ApplicationStatus.withdrawn, taken_before=True)
    for offered in (date(2026, 1, 2), None, None):
        vip_rows.outreach(vip_tenant, offered_on=offered)
    return vip_tenant


def test_the_overview_shows_the_tenants_own_figures_unsuppressed(client, busy, coordinator):
    login(client, coordinator)
    response = client.get(f"/t/{busy.slug}/vip/", headers=EN)
    assert response.status_code == 200
    body = response.text
    assert _dd(body, "applications") == "11"
    assert _dd(body, "first-timers") == "72.7% (8 of 11)"
    assert _dd(body, "days-to-start") == "30 days (5 participants)"  # 10, 14, 30, 46, 46
    assert _dd(body, "groups-started") == "2"
    assert _dd(body, "participants") == "5"
    assert _dd(body, "completion") == "66.7% (2 of 3)"  # 12 and 9 of 12 meetings; 3 is too few
    assert _dd(body, "outreach") == "1 of 3 offered (33.3%)"
    assert _dd(body, "trained-leaders") == "2"
    waitlists = dict(re.findall(r'<tr><th scope="row">(.*?)</th><td>(\d+)</td></tr>', body))
    # Every audience the tenant runs (women, men), then any other with people in line.
    assert waitlists == {"Women": "3", "Men": "1", "Young women": "1"}
    assert "Running: 1. Planned: 1. Finished: 1." in body
    assert body.index("Autumn men") < body.index("Winter women") and "Spring women" not in body


def test_the_figures_are_written_as_the_readers_locale_writes_numbers(client, busy, coordinator):
    login(client, coordinator)
    body = client.get(f"/t/{busy.slug}/vip/", headers={"Accept-Language": "sv"}).text
    assert _dd(body, "first-timers") == "72,7 % (8 av 11)"
    assert _dd(body, "completion") == "66,7 % (2 av 3)"
    assert _dd(body, "outreach") == "1 av 3 erbjudna (33,3 %)"
    assert "72.7" not in body and "66.7" not in body


def test_an_empty_tenant_says_there_is_nothing_yet(client, vip_tenant, coordinator):
    login(client, coordinator)
    body = client.get(f"/t/{vip_tenant.slug}/vip/", headers=EN).text
    assert _dd(body, "applications") == "0"
    assert _dd(body, "first-timers") == "Nothing to measure yet"
    assert _dd(body, "days-to-start") == "No group has started yet"
    assert _dd(body, "outreach") == "No one is registered yet"
    assert "No group is running or planned." in body


def test_a_groups_first_meeting_is_dated_on_the_tenants_clock(client, vip_tenant, coordinator, vip_rows):  # noqa: F811
    """#7 item 14: 23:30 UTC on 5 May is already 6 May in Sweden."""
    from datetime import datetime, timezone

    vip_rows.group(vip_tenant, starts=[datetime(2031, 5, 5, 23, 30, tzinfo=timezone.utc)], name="Late group",
                   status=GroupStatus.planned)
    login(client, coordinator)
    body = re.sub(r"\s+", " ", client.get(f"/t/{vip_tenant.slug}/vip/", headers=EN).text)
    assert "2031-05-06" in body and "2031-05-05" not in body


def test_the_api_gives_the_same_figures(client, busy, coordinator):
    login(client, coordinator)
    response = client.get(f"/api/v1/t/{busy.slug}/vip/overview")
    assert response.status_code == 200
    data = response.json
    assert data["figures"] == {
        "applications": 11,
        "first_timers": {"percent": 72.7, "count": 8, "of": 11},
        "days_to_start": {"median": 30.0, "of": 5},
        "groups_started": 2,
        "participants": 5,
        "completion": {"percent": 66.7, "count": 2, "of": 3},
        "outreach": {"percent": 33.3, "count": 1, "of": 3},
        "trained_leaders": 2,
    }
    assert data["waitlists"] == [{"audience": "women", "in_line": 3}, {"audience": "men", "in_line": 1},
                                 {"audience": "young_women", "in_line": 1}]
    assert data["groups"]["counts"] == {"planned": 1, "running": 1, "finished": 1, "cancelled": 0}
    assert [(g["name"], g["status"], g["participants"], g["capacity"]) for g in data["groups"]["groups"]] == [
        ("Autumn men", "running", 2, 6), ("Winter women", "planned", 0, 6)]
    assert data["groups"]["groups"][1]["starts_at"] > data["groups"]["groups"][0]["starts_at"]
    assert data["trains_leaders"] is False


def test_the_figures_are_the_tenants_own_and_not_a_neighbours(client, busy, make_vip_tenant, make_user, vip_rows):  # noqa: F811
    neighbour = make_vip_tenant()
    for _ in range(4):
        vip_rows.application(neighbour)
    login(client, make_user(("vip.coordinator", neighbour)))
    own = client.get(f"/api/v1/t/{neighbour.slug}/vip/overview").json
    assert own["figures"]["applications"] == 4 and own["figures"]["trained_leaders"] == 0  # positive: its own
    assert own["groups"]["groups"] == [] and own["figures"]["outreach"]["of"] == 0  # nothing of busy's
    assert client.get(f"/api/v1/t/{busy.slug}/vip/overview").status_code == 404
    assert client.get(f"/t/{busy.slug}/vip/").status_code == 404


@pytest.mark.parametrize("path", ["/t/{slug}/vip/", "/api/v1/t/{slug}/vip/overview"])
def test_the_overview_needs_vip_view(client, vip_tenant, make_user, path):
    login(client, make_user(("staff", vip_tenant)))  # core staff, no VIP role
    assert client.get(path.format(slug=vip_tenant.slug)).status_code == 403
    login(client, make_user(("vip.leader", vip_tenant)))
    assert client.get(path.format(slug=vip_tenant.slug)).status_code == 200


def test_a_tenant_without_vip_has_no_overview(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))
    assert client.get(f"/t/{tenant.slug}/vip/").status_code == 404
    assert client.get(f"/api/v1/t/{tenant.slug}/vip/overview").status_code == 404


def _hrefs(body: str) -> set[str]:
    nav = re.search(r'<nav aria-label="VIP pages">(.*?)</nav>', body, re.S)
    return set(re.findall(r'href="([^"]+)"', nav.group(1))) if nav else set()


def test_links_go_to_the_vip_pages_that_exist_and_the_user_may_open(app, client, make_vip_tenant, make_user):
    from core.auth.permissions import declared_permission

    trainer_tenant = make_vip_tenant(trains_leaders=True)
    # The training courses only where the tenant trains leaders, even for a trainer elsewhere.
    for tenant, roles in ((make_vip_tenant(), ("vip.coordinator", "vip.trainer")),
                          (trainer_tenant, ("vip.coordinator", "vip.trainer")), (trainer_tenant, ("vip.leader",))):
        user = make_user(*[(role, tenant) for role in roles])
        login(client, user)
        permissions = app.extensions["samverka"].roles.permissions_of(list(roles))
        hrefs = _hrefs(client.get(f"/t/{tenant.slug}/vip/", headers=EN).text)
        expected = set()
        with app.test_request_context(f"/t/{tenant.slug}/vip/"):
            from flask import g, url_for

            g.tenant = tenant
            for endpoint, _text in LINKS:
                view = app.view_functions.get(endpoint)
                if view is None or (endpoint == "vip.training" and tenant is not trainer_tenant):
                    continue
                if declared_permission(view, "GET") in permissions:
                    try:
                        expected.add(url_for(endpoint))
                    except BuildError:
                        pass
        assert hrefs == expected, (roles, hrefs, expected)
        assert all(h.startswith(f"/t/{tenant.slug}/vip/") for h in hrefs)


def test_a_page_not_there_yet_gets_no_link_and_breaks_nothing(app, client, vip_tenant, coordinator, monkeypatch):
    login(client, coordinator)
    # An endpoint known but not buildable (no rule), and one that is gone: both left out.
    monkeypatch.setitem(app.view_functions, "vip.waitlist", app.view_functions["vip.overview"])
    monkeypatch.delitem(app.view_functions, "vip.applications", raising=False)
    response = client.get(f"/t/{vip_tenant.slug}/vip/", headers=EN)
    assert response.status_code == 200
    assert not any(h.endswith(("/applications", "/applications/")) for h in _hrefs(response.text))


def test_the_overview_runs_constant_queries(client, db_session, vip_tenant, coordinator, vip_rows, make_user,  # noqa: F811
                                           query_counter):
    login(client, coordinator)
    vip_rows.application(vip_tenant)

    def grow():
        past = utcnow() - timedelta(days=120)
        for n in range(3):
            people = [vip_rows.application(vip_tenant, audience=a) for a in ("women", "men", "mixed")]
            group = vip_rows.group(vip_tenant, starts=weekly(past + timedelta(days=n), 12), placed=people,
                                   status=(GroupStatus.finished, GroupStatus.running, GroupStatus.planned)[n])
            for application in people:
                vip_rows.attend(vip_tenant, group, application, 9)
            vip_rows.outreach(vip_tenant, offered_on=date(2026, 1, 1))
            vip_rows.application(vip_tenant, audience="young_men")
            register.enter(db_session, email=make_user(("vip.leader", vip_tenant)).email, trained_on=date(2025, 1, 1))
        db_session.commit()

    query_counter.assert_constant(client, [f"/t/{vip_tenant.slug}/vip/", f"/api/v1/t/{vip_tenant.slug}/vip/overview"],
                                  grow)


@pytest.mark.browser
def test_the_overview_in_a_browser_is_accessible(page, live_server):
    from playwright.sync_api import expect
    from sqlalchemy.orm import sessionmaker

    from core.db import tenant_scope
    from core.people.models import Person
    from core.tenants.models import TenantPlugin
    from plugins.vip.models import Application, Channel, ContactVia, Group
    from core.testing.browser import assert_accessible, log_in

    account = live_server.make_account("tenant_admin", languages=("sv", "en"))
    with tenant_scope(live_server.tenant_id(account)), sessionmaker(live_server.engine)() as session:
        session.add(TenantPlugin(plugin="vip", enabled=True, settings={}))
        person = Person(first_name="Ada", last_name="Lind")
        session.add_all([person, Group(name="Spring women", audience="women", capacity=6)])
        session.flush()
        applied = utcnow() - timedelta(days=3)
        session.add(Application(person_id=person.id, audience="women", channel=Channel.paper,
                                contact_via=ContactVia.self, applied_at=applied, queue_rank=applied.timestamp()))
        session.commit()
    log_in(page, live_server.add_user(account, "vip.coordinator"))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="VIP").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("VIP overview")
    expect(page.get_by_role("table", name="People in line for a place, per group audience")).to_be_visible()
    expect(page.get_by_role("table", name="Running and planned groups")).to_contain_text("Spring women")
    assert_accessible(page)
