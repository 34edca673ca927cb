"""VIP metrics: each figure per tenant, many tenants in constant queries, core's page suppressing them.

Also home of ``vip_rows``, the builder the other reporting tests use: it makes VIP rows
directly with the models (and core's people and sessions services), so these tests do not
depend on the services the other parts of the plugin provide.
"""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import tenant_scope, utcnow
from core.sessions.models import Attendance, AttendanceStatus
from core.sessions.services import create_session
from core.stats import services as stats
from core.tenants.models import TenantKind
from plugins.vip.models import (
    Application,
    ApplicationStatus,
    Channel,
    ContactVia,
    Group,
    GroupStatus,
    Meeting,
    Outreach,
)
from plugins.vip.services import metrics, register
from plugins.vip.services.ranking import initial_rank
from core.testing.app import login


class VipRows:
    """Makes VIP rows for a tenant: ``application``, ``group`` (with meetings and
    participants), ``attend``, ``outreach``. Every method commits (a savepoint). A person
    is given as a Person or its id (never ``application.person``: loaded outside the
    tenant's scope, row-level security on PostgreSQL hides it)."""

    def __init__(self, db_session, make_person):
        self.db = db_session
        self.make_person = make_person

    def application(self, tenant, person=None, *, audience="women", taken_before=False,
                    status=ApplicationStatus.waiting, applied_at=None, closed_at=None, placed_at=None,
                    created_person=False, **extra) -> Application:
        person_id = person if isinstance(person, int) else (person or self.make_person(tenant)).id
        applied_at = applied_at or utcnow() - timedelta(days=30)
        with tenant_scope(tenant.id):
            application = Application(
                person_id=person_id, audience=audience, channel=extra.pop("channel", Channel.web),
                taken_before=taken_before, contact_via=extra.pop("contact_via", ContactVia.self),
                applied_at=applied_at, status=status, queue_rank=initial_rank(taken_before, applied_at),
                closed_at=closed_at, placed_at=placed_at, created_person=created_person, **extra)
            self.db.add(application)
            self.db.flush()
        self.db.commit()
        return application

    def group(self, tenant, *, starts: list[datetime], placed=(), name=None, audience="women",
              status=GroupStatus.running, capacity=6) -> Group:
        """A group with a meeting at each of ``starts`` and the ``placed`` applications in it
        (they become status placed, and expected at every meeting)."""
        with tenant_scope(tenant.id):
            group = Group(name=name or f"Group {len(starts)}-{id(starts)}", audience=audience, capacity=capacity,
                          status=status)
            self.db.add(group)
            self.db.flush()
            for application in placed:
                application = self.db.get(Application, application.id)
                application.status, application.group_id = ApplicationStatus.placed, group.id
                application.placed_at = application.placed_at or application.applied_at + timedelta(days=1)
            people = [a.person_id for a in placed]
            for number, start in enumerate(starts, 1):
                scheduled = create_session(self.db, {
                    "plugin": "vip", "kind": "group_meeting", "title": f"{group.name} {number}",
                    "starts_at": start, "ends_at": start + timedelta(hours=2), "location": "Room 1",
                    "reference": f"vip_group:{group.id}"}, participant_ids=people)
                self.db.add(Meeting(group_id=group.id, session_id=scheduled.id, number=number,
                                    theme=f"Theme {number}"))
            self.db.flush()
        self.db.commit()
        return group

    def attend(self, tenant, group, application, present: int, *, absent: int = 0) -> None:
        """``application``'s person present at the first ``present`` meetings, absent at the next."""
        with tenant_scope(tenant.id):
            meetings = sorted(self.db.get(Group, group.id).meetings, key=lambda m: m.number)
            rows = {a.session_id: a for a in self.db.scalars(
                select(Attendance).where(Attendance.person_id == application.person_id))}
            for i, meeting in enumerate(meetings[:present + absent]):
                row = rows[meeting.session_id]
                row.status = AttendanceStatus.present if i < present else AttendanceStatus.absent
                row.recorded_at = utcnow()
            self.db.flush()
        self.db.commit()

    def outreach(self, tenant, person=None, *, offered_on=None, informed_on=None, **extra) -> Outreach:
        person_id = person if isinstance(person, int) else (person or self.make_person(tenant)).id
        with tenant_scope(tenant.id):
            row = Outreach(person_id=person_id, offered_on=offered_on, informed_on=informed_on, **extra)
            self.db.add(row)
            self.db.flush()
        self.db.commit()
        return row


@pytest.fixture
def vip_rows(db_session, make_person) -> VipRows:
    return VipRows(db_session, make_person)


def weekly(first: datetime, n: int) -> list[datetime]:
    return [first + timedelta(weeks=i) for i in range(n)]


def _compute(db_session, key, tenant_ids):
    metric = {m.key: m for m in metrics.METRICS}[key]
    return stats.compute(db_session, metric, tenant_ids)


def test_the_plugin_offers_every_metric_to_core(app):
    keys = {"vip.applications", "vip.first_timers", "vip.days_to_start", "vip.groups_started", "vip.participants",
            "vip.completion_rate", "vip.outreach_coverage", "vip.trained_leaders"}
    known = app.extensions["samverka"].metrics
    assert keys <= set(known)
    assert {k: known[k].kind for k in keys if known[k].kind != "count"} == {
        "vip.first_timers": "rate", "vip.days_to_start": "median", "vip.completion_rate": "rate",
        "vip.outreach_coverage": "rate"}


def test_application_figures_per_tenant(db_session, make_vip_tenant, make_tenant, vip_rows):
    a, b = make_vip_tenant(), make_vip_tenant()
    without = make_tenant()
    for taken_before in (False, False, False, True):
        vip_rows.application(a, taken_before=taken_before)
    for status in (ApplicationStatus.withdrawn, ApplicationStatus.closed):
        vip_rows.application(b, taken_before=True, status=status)
    placed = [vip_rows.application(a), vip_rows.application(b)]
    vip_rows.group(a, starts=weekly(utcnow() + timedelta(days=3), 2), placed=placed[:1])
    vip_rows.group(b, starts=weekly(utcnow() + timedelta(days=3), 2), placed=placed[1:])
    ids = [a.id, b.id, without.id]

    assert _compute(db_session, "vip.applications", ids) == {a.id: 5, b.id: 3, without.id: 0}
    # A: four first-timers of five; B: one (the placed one) of three; no base where no applications.
    assert _compute(db_session, "vip.first_timers", ids) == {a.id: (80.0, 5), b.id: (33.3, 3), without.id: (0.0, 0)}
    assert _compute(db_session, "vip.participants", ids) == {a.id: 1, b.id: 1, without.id: 0}


def test_days_to_start_is_the_median_over_started_groups(db_session, make_vip_tenant, vip_rows):
    a, b = make_vip_tenant(), make_vip_tenant()
    start = (utcnow() - timedelta(days=60)).replace(hour=17, minute=0)
    placed = [vip_rows.application(a, applied_at=start - timedelta(days=d, hours=3)) for d in (10, 20, 40)]
    # The first meeting is the earliest one not called off.
    group = vip_rows.group(a, starts=[start - timedelta(days=7), *weekly(start, 3)], placed=placed)
    with tenant_scope(a.id):
        first = min(db_session.get(Group, group.id).meetings, key=lambda m: m.session.starts_at)
        first.session.cancelled = True
        db_session.commit()
    later = vip_rows.application(a, applied_at=start - timedelta(days=400))  # its group has not started
    vip_rows.group(a, starts=weekly(utcnow() + timedelta(days=30), 2), placed=[later])
    vip_rows.application(a, applied_at=start - timedelta(days=500))  # still waiting: not counted
    placed_b = [vip_rows.application(b, applied_at=start - timedelta(days=d)) for d in (5, 6)]
    vip_rows.group(b, starts=weekly(start, 2), placed=placed_b)

    assert _compute(db_session, "vip.days_to_start", [a.id, b.id]) == {a.id: (20.0, 3), b.id: (5.5, 2)}
    assert _compute(db_session, "vip.groups_started", [a.id, b.id]) == {a.id: 1, b.id: 1}


def test_groups_started_counts_groups_whose_first_meeting_has_begun(db_session, make_vip_tenant, vip_rows):
    tenant = make_vip_tenant()
    now = utcnow()
    vip_rows.group(tenant, starts=weekly(now - timedelta(days=100), 12), status=GroupStatus.finished)
    vip_rows.group(tenant, starts=weekly(now - timedelta(days=8), 12))
    vip_rows.group(tenant, starts=weekly(now + timedelta(days=8), 12), status=GroupStatus.planned)
    vip_rows.group(tenant, starts=[], status=GroupStatus.planned)
    assert _compute(db_session, "vip.groups_started", [tenant.id]) == {tenant.id: 2}


def test_completion_uses_each_tenants_own_setting(db_session, make_vip_tenant, vip_rows):
    strict = make_vip_tenant()  # the default: 9 of 12
    lenient = make_vip_tenant(meetings_per_course=4, completion_meetings=2,
                              curriculum=["One", "Two", "Three", "Four"])
    past = utcnow() - timedelta(days=120)

    def finished_group(tenant, meetings, attended, *, status=GroupStatus.finished):
        people = [vip_rows.application(tenant) for _ in attended]
        group = vip_rows.group(tenant, starts=weekly(past, meetings), placed=people, status=status)
        for application, present in zip(people, attended):
            vip_rows.attend(tenant, group, application, present, absent=meetings - present)

    finished_group(strict, 12, [12, 9, 8, 2, 0])
    finished_group(strict, 12, [10, 11], status=GroupStatus.running)  # not finished: not counted yet
    finished_group(lenient, 4, [2, 1, 4])
    assert _compute(db_session, "vip.completion_rate", [strict.id, lenient.id]) == {
        strict.id: (40.0, 5), lenient.id: (66.7, 3)}


def test_completion_never_counts_meetings_still_to_come(db_session, make_vip_tenant, vip_rows):
    """#7 item 12: presence recorded at meetings that have not begun (moved after it was
    recorded, or from before the rule) does not complete the course."""
    tenant = make_vip_tenant(meetings_per_course=4, completion_meetings=2, curriculum=["One", "Two", "Three", "Four"])
    people = [vip_rows.application(tenant) for _ in range(5)]
    starts = [utcnow() - timedelta(days=7)] + [utcnow() + timedelta(days=7 * n) for n in (1, 2, 3)]
    group = vip_rows.group(tenant, starts=starts, placed=people, status=GroupStatus.finished)
    for application in people:
        vip_rows.attend(tenant, group, application, 4)  # "present" at all four, three of them to come
    assert _compute(db_session, "vip.completion_rate", [tenant.id]) == {tenant.id: (0.0, 5)}


def test_outreach_coverage_is_offered_over_registered(db_session, make_vip_tenant, vip_rows):
    a, b = make_vip_tenant(), make_vip_tenant()
    for offered in (date(2026, 1, 10), date(2026, 2, 1), None, None):
        vip_rows.outreach(a, offered_on=offered, informed_on=date(2026, 1, 5))
    vip_rows.outreach(b, informed_on=date(2026, 1, 5))
    assert _compute(db_session, "vip.outreach_coverage", [a.id, b.id]) == {a.id: (50.0, 4), b.id: (0.0, 1)}


def test_trained_leaders_are_the_tenants_staff_in_the_register(db_session, make_vip_tenant, make_tenant, make_user):
    a, b = make_vip_tenant(), make_vip_tenant()
    without = make_tenant()
    both = make_user(("vip.leader", a), ("vip.coordinator", a), ("vip.leader", b), ("staff", without))
    only_a = make_user(("vip.leader", a), email="Only.A@Example.org")
    untrained = make_user(("vip.leader", a))
    stranger = make_user(("vip.leader", make_vip_tenant()))  # trained, but staff elsewhere
    gone = make_user(("vip.leader", a))  # trained, but the account is closed
    gone.is_active = False
    for email in (both.email, "only.a@example.org", stranger.email, gone.email):
        register.enter(db_session, email=email, trained_on=date(2025, 5, 1))
    db_session.commit()
    assert untrained.id  # in a's staff, not in the register
    assert _compute(db_session, "vip.trained_leaders", [a.id, b.id, without.id]) == {a.id: 2, b.id: 1, without.id: 0}


def _world(make_vip_tenant, vip_rows, parent, n_applications):
    tenant = make_vip_tenant()
    tenant.parent = parent
    start = utcnow() - timedelta(days=90)
    apps = [vip_rows.application(tenant, applied_at=start - timedelta(days=20 + i), taken_before=i % 2 == 1)
            for i in range(n_applications)]
    group = vip_rows.group(tenant, starts=weekly(start, 12), placed=apps[:3], status=GroupStatus.finished)
    for application in apps[:3]:
        vip_rows.attend(tenant, group, application, 10)
    vip_rows.outreach(tenant, offered_on=date(2026, 1, 1))
    return tenant


def test_every_metric_takes_the_same_queries_for_two_tenants_or_six(db_session, make_tenant, make_vip_tenant, vip_rows,
                                                                    make_user, query_counter):
    region = make_tenant(kind=TenantKind.region)
    tenants = [_world(make_vip_tenant, vip_rows, region, 4) for _ in range(6)]
    for tenant in tenants:
        register.enter(db_session, email=make_user(("vip.leader", tenant)).email, trained_on=date(2025, 1, 1))
    db_session.commit()
    for metric in metrics.METRICS:
        with query_counter.counting() as few:
            small = stats.compute(db_session, metric, [t.id for t in tenants[:2]])
        with query_counter.counting() as many:
            large = stats.compute(db_session, metric, [t.id for t in tenants])
        assert few.count == many.count, (metric.key, many.statements)
        assert many.count <= 3, metric.key
        assert large[tenants[5].id] == small[tenants[1].id] != 0, metric.key  # identical worlds, same figure


def _stats_table(response, app) -> dict[str, dict[str, str]]:
    """Row heading -> {metric key: cell}, for the statistics page (columns by metric key)."""
    keys = sorted(app.extensions["samverka"].metrics)
    body, _sep, foot = response.get_data(as_text=True).partition("<tfoot>")
    rows = {}
    for part, total in ((body, False), (foot, True)):
        for heading, rest in re.findall(r'<tr><th scope="row"[^>]*>(.*?)</th>(.*?)</tr>', part, re.S):
            cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", rest, re.S)]
            cells = cells if total else cells[1:]  # a tenant's row starts with its kind
            rows["Total" if total else html.unescape(heading)] = dict(zip(keys, cells))
    return rows


def test_a_coordinator_sees_vip_figures_on_the_statistics_page_suppressed(client, app, db_session, make_tenant,
                                                                         make_vip_tenant, make_user, vip_rows):
    region = make_tenant(kind=TenantKind.region)
    big = _world(make_vip_tenant, vip_rows, region, 9)
    small = _world(make_vip_tenant, vip_rows, region, 3)
    middle = _world(make_vip_tenant, vip_rows, region, 6)
    db_session.commit()
    login(client, make_user(("coordinator", region)))

    response = client.get(f"/t/{region.slug}/stats/", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "VIP applications" in response.text
    rows = _stats_table(response, app)
    applications = {t: rows[t.name]["vip.applications"] for t in (region, big, small, middle)}
    # small's 3 is shown as "<5", and middle's 6 (the smallest other) hidden so it cannot be
    # worked out from the total.
    assert applications == {region: "0", big: "9", small: "<5", middle: ".."}
    assert rows["Total"]["vip.applications"] == "18"
    assert rows[big.name]["vip.participants"] == "<5" and rows[small.name]["vip.participants"] == "<5"
    # Rates: big has 5 first-timers of 9 (55.6 %); small's 3 applications are too few to show.
    assert rows[big.name]["vip.first_timers"] == "55.6"
    assert rows[small.name]["vip.first_timers"] == ".." and rows[region.name]["vip.first_timers"] == ".."
    # Three participants per tenant: every completion rate and median is hidden.
    assert {rows[t.name]["vip.completion_rate"] for t in (big, small, middle)} == {".."}
    assert {rows[t.name]["vip.days_to_start"] for t in (big, small, middle)} == {".."}
    assert rows["Total"]["vip.first_timers"] == "–"


def test_a_coordinator_of_one_municipality_sees_no_neighbours_vip_figures(client, app, db_session, make_tenant,
                                                                         make_vip_tenant, make_user, vip_rows):
    region = make_tenant(kind=TenantKind.region)
    own = _world(make_vip_tenant, vip_rows, region, 7)
    neighbour = _world(make_vip_tenant, vip_rows, region, 23)
    db_session.commit()
    login(client, make_user(("coordinator", own)))
    rows = _stats_table(client.get(f"/t/{own.slug}/stats/"), app)
    assert set(rows) == {own.name, "Total"} and rows[own.name]["vip.applications"] == "7"
    assert neighbour.name not in str(rows) and "23" not in rows["Total"].values()
