"""Statistics: which tenants a coordinator sees, suppression of small counts, no personal data."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest

from core.db import tenant_scope, utcnow
from core.hookspecs import Metric, Rate
from core.people.models import Person
from core.sessions.models import ScheduledSession
from core.stats import services
from core.tenants.models import TenantKind
from core.testing.app import login

COLUMNS = ("core.people", "core.sessions", "sample.groups")  # sorted by key, as the page shows them


def _add_people(db_session, tenant, n, *, anonymised=0):
    with tenant_scope(tenant.id):
        for i in range(n + anonymised):
            db_session.add(Person(first_name=f"Zed{i}", last_name="Secretsson",
                                  anonymised_at=utcnow() if i >= n else None))
        db_session.flush()
    db_session.commit()


def _add_sessions(db_session, tenant, held, *, future=0, cancelled=0):
    now = utcnow()
    with tenant_scope(tenant.id):
        for i in range(held + future + cancelled):
            starts = now + timedelta(days=3) if held <= i < held + future else now - timedelta(days=3)
            db_session.add(ScheduledSession(plugin="core", kind="meeting", title=f"Meeting {i}", starts_at=starts,
                                            ends_at=starts + timedelta(hours=1), cancelled=i >= held + future))
        db_session.flush()
    db_session.commit()


def _table(response) -> dict[str, list[str]]:
    """Row heading -> cells (kind, then one per metric), unescaped."""
    body, _sep, foot = response.get_data(as_text=True).partition("<tfoot>")
    rows = {}
    for part, total in ((body, False), (foot, True)):
        for heading, rest in re.findall(r'<tr><th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', part, re.S):
            cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", rest, re.S)]
            rows["Total" if total else html.unescape(heading)] = cells  # the page may be in Swedish
    return rows


def _column(row: list[str], key: str, *, total: bool = False) -> str:
    return row[COLUMNS.index(key) + (0 if total else 1)]


def test_visible_tenants_are_the_subtree_and_node_members(db_session, make_tenant):
    country = make_tenant(kind=TenantKind.country)
    region = make_tenant(kind=TenantKind.region, parent=country)
    a = make_tenant(parent=region)
    b = make_tenant(parent=region)
    school = make_tenant(kind=TenantKind.organisation, parent=a)
    node = make_tenant(kind=TenantKind.node, parent=region)
    outside = make_tenant(parent=country)  # another region's municipality, a member of the node
    elsewhere = make_tenant(parent=country)
    node.members.append(outside)
    node.members.append(a)
    db_session.commit()

    seen = services.visible_tenants(db_session, region)
    assert seen[0] == region
    assert set(seen) == {region, a, b, school, node, outside}
    assert elsewhere not in seen and country not in seen
    assert set(services.visible_tenants(db_session, node)) == {node, outside, a}
    assert services.visible_tenants(db_session, b) == [b]


def test_suppression_of_small_counts():
    assert services.suppress({1: 0, 2: 3, 3: 12, 4: 40}, None) == {1: "0", 2: "<5", 3: "12", 4: "40"}
    # One small cell and a total shown: the smallest other non-zero cell is hidden too.
    assert services.suppress({1: 0, 2: 3, 3: 12, 4: 40}, 55) == {1: "0", 2: "<5", 3: "..", 4: "40"}
    # Two small cells already hide each other.
    assert services.suppress({1: 1, 2: 4, 3: 40}, 45) == {1: "<5", 2: "<5", 3: "40"}
    assert services.suppress({1: 5, 2: 6}, 11) == {1: "5", 2: "6"}
    assert services.suppress_total(3) == "<5" and services.suppress_total(0) == "0"
    # A rate whose base count is below five is hidden; a bare value has no base and is shown.
    assert services.show_rates({1: (0.5, 4), 2: (0.75, 8), 3: 1.5, 4: 2.0}) == {1: "..", 2: 0.8, 3: 1.5, 4: 2}
    assert services.show_rates({1: Rate(12.5, 4), 2: Rate(12.5, 5)}) == {1: "..", 2: 12.5}  # the contract's Rate


def test_a_metric_is_of_a_kind_core_stats_handles():
    assert [Metric(f"x.{kind}", "X", dict, kind=kind).kind for kind in ("count", "rate", "median")] == [
        "count", "rate", "median"]
    with pytest.raises(ValueError, match="'ratio' is not one of"):
        Metric("x.share", "X", dict, kind="ratio")


def test_a_region_coordinator_sees_aggregates_of_its_municipalities(client, db_session, make_tenant, make_user):
    region = make_tenant(kind=TenantKind.region)
    a = make_tenant(parent=region)
    b = make_tenant(parent=region)
    c = make_tenant(parent=region)
    _add_people(db_session, a, 7)
    _add_people(db_session, b, 3)
    _add_people(db_session, c, 9, anonymised=2)
    _add_sessions(db_session, a, 6, future=2, cancelled=1)
    login(client, make_user(("coordinator", region)))

    response = client.get(f"/t/{region.slug}/stats/")
    assert response.status_code == 200
    rows = _table(response)
    assert set(rows) == {region.name, a.name, b.name, c.name, "Total"}
    # B's 3 could be recovered from the total 19: the smallest other count (A's 7) is hidden
    # too; C's two anonymised people are not counted.
    people = [_column(rows[t.name], "core.people") for t in (region, a, b, c)]
    assert people == ["0", "..", "<5", "9"]
    assert _column(rows["Total"], "core.people", total=True) == "19"
    assert _column(rows[a.name], "core.sessions") == "6"  # held: begun and not cancelled
    assert _column(rows["Total"], "core.sessions", total=True) == "6"
    body = response.get_data(as_text=True)
    assert "Secretsson" not in body and "Zed" not in body  # aggregates only
    assert '<caption>' in body and 'scope="col"' in body


def test_a_municipality_coordinator_does_not_see_its_neighbours_figures(client, db_session, make_tenant, make_user):
    region = make_tenant(kind=TenantKind.region)
    a = make_tenant(parent=region)
    b = make_tenant(parent=region)
    _add_people(db_session, a, 8)
    _add_people(db_session, b, 23)
    login(client, make_user(("coordinator", a)))

    own = client.get(f"/t/{a.slug}/stats/")
    assert own.status_code == 200
    rows = _table(own)
    assert set(rows) == {a.name, "Total"}  # positive: A's own figures
    assert _column(rows[a.name], "core.people") == "8"
    body = own.get_data(as_text=True)
    assert b.name not in body and "23" not in body and region.name not in body  # negative twin: nothing of B
    assert client.get(f"/t/{b.slug}/stats/").status_code == 404
    assert client.get(f"/t/{region.slug}/stats/").status_code == 404


def test_a_coordinator_sees_no_personal_data(client, make_tenant, make_user):
    region = make_tenant(kind=TenantKind.region)
    login(client, make_user(("coordinator", region)))
    assert client.get(f"/t/{region.slug}/people/").status_code == 403
    assert client.get(f"/t/{region.slug}/sessions/").status_code == 403
    overview = client.get(f"/t/{region.slug}/").get_data(as_text=True)
    assert f'href="/t/{region.slug}/stats/"' in overview  # the navigation offers the page


def test_staff_without_the_permission_are_refused(client, make_tenant, make_user):
    tenant = make_tenant()
    login(client, make_user(("staff", tenant)))
    assert client.get(f"/t/{tenant.slug}/stats/").status_code == 403


def test_the_page_runs_constant_queries(client, db_session, make_tenant, make_user, query_counter):
    region = make_tenant(kind=TenantKind.region)
    first = make_tenant(parent=region)
    _add_people(db_session, first, 6)
    login(client, make_user(("coordinator", region)))

    def grow():
        node = make_tenant(kind=TenantKind.node, parent=region)
        for _ in range(3):
            member = make_tenant(parent=region)
            _add_people(db_session, member, 6)
            _add_sessions(db_session, member, 2)
            node.members.append(member)
        db_session.commit()

    query_counter.assert_constant(client, [f"/t/{region.slug}/stats/"], grow)
