"""VIP's part of a person's export and erasure, through core's real pages and endpoints."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db import tenant_scope, utcnow
from core.people import services as people
from core.people.models import Person
from core.sessions.models import Attendance
from core.toolkit import OfferStatus
from plugins.vip.models import (
    Application,
    ApplicationStatus,
    ContactVia,
    Offer,
    Outreach,
    WaitlistMove,
)
from plugins.vip.services import metrics
from core.testing.app import login
from tests.plugins.vip.test_metrics import vip_rows, weekly  # noqa: F401  (the fixture)

NEEDS = "Sign language interpreter; a quiet room"
REASON = "Moved up: her support worker leaves in May"


@pytest.fixture
def admin(client, vip_tenant, make_user):
    login(client, make_user(("tenant_admin", vip_tenant)))
    return client


@pytest.fixture
def maja(db_session, vip_tenant, make_person, make_user, vip_rows):  # noqa: F811
    """Maja: a finished course (placed, attended, an accepted offer, a waitlist move), a new
    application in line with an open offer, and an outreach row."""
    person = make_person(vip_tenant, first_name="Maja", last_name="Berg")
    staff = make_user(("vip.coordinator", vip_tenant))
    past = utcnow() - timedelta(days=200)
    first = vip_rows.application(vip_tenant, person, applied_at=past - timedelta(days=30),
                                 contact_via=ContactVia.guardian, contact_name="Greta Berg",
                                 contact_phone="070-123 45 67", contact_email="greta@example.org", needs=NEEDS)
    group = vip_rows.group(vip_tenant, starts=weekly(past, 12), placed=[first], name="Spring women")
    vip_rows.attend(vip_tenant, group, first, 10, absent=2)
    again = vip_rows.application(vip_tenant, person, taken_before=True, status=ApplicationStatus.offered,
                                 needs=NEEDS)
    planned = vip_rows.group(vip_tenant, starts=weekly(utcnow() + timedelta(days=10), 12), name="Autumn women")
    with tenant_scope(vip_tenant.id):
        db_session.add_all([
            Offer(application_id=first.id, group_id=group.id, offered_at=past - timedelta(days=10),
                  expires_at=past - timedelta(days=3), status=OfferStatus.accepted, answered_at=past - timedelta(days=9),
                  answered_via_link=True),
            Offer(application_id=again.id, group_id=planned.id, expires_at=utcnow() + timedelta(days=5),
                  token_hash=hashlib.sha256(b"secret-token").hexdigest()),
            WaitlistMove(application_id=first.id, from_position=4, to_position=1, reason=REASON, moved_by=staff.id),
        ])
        db_session.flush()
    db_session.commit()
    vip_rows.outreach(vip_tenant, person, service="Daily activity Verkstan", informed_on=date(2025, 1, 10),
                      offered_on=date(2025, 2, 1), note="Prefers mornings")
    return person


def _vip_rows(db_session, tenant, person_id):
    with tenant_scope(tenant.id):
        applications = db_session.scalars(select(Application).where(Application.person_id == person_id)
                                          .execution_options(populate_existing=True)).all()
        ids = [a.id for a in applications]
        return {
            "applications": applications,
            "offers": db_session.scalars(select(Offer).where(Offer.application_id.in_(ids))
                                         .execution_options(populate_existing=True)).all(),
            "moves": db_session.scalars(select(WaitlistMove).where(WaitlistMove.application_id.in_(ids))).all(),
            "outreach": db_session.scalar(select(Outreach).where(Outreach.person_id == person_id)
                                          .execution_options(populate_existing=True)),
            "attendance": db_session.scalars(select(Attendance).where(Attendance.person_id == person_id)).all(),
        }


def test_the_export_holds_everything_vip_keeps_about_the_person(admin, vip_tenant, maja):
    response = admin.get(f"/api/v1/t/{vip_tenant.slug}/people/{maja.id}/export")
    assert response.status_code == 200
    vip = response.json["plugins"]["vip"]
    first, again = vip["applications"]
    assert first["channel"] == "web" and first["audience"] == "women" and first["status"] == "placed"
    assert (first["contact_via"], first["contact_name"], first["contact_phone"], first["contact_email"]) == (
        "guardian", "Greta Berg", "070-123 45 67", "greta@example.org")
    assert first["needs"] == NEEDS and first["taken_before"] is False
    assert first["group"]["name"] == "Spring women"
    applied = datetime.fromisoformat(first["applied_at"])  # on the tenant's clock, with its offset
    assert applied.utcoffset() == ZoneInfo(vip_tenant.timezone).utcoffset(applied.replace(tzinfo=None))
    assert applied.utcoffset() != timedelta(0)
    assert first["offers"] == [{**first["offers"][0], "group": "Spring women", "status": "accepted",
                                "answered_via_link": True}]
    assert [(m["from_position"], m["to_position"], m["reason"]) for m in first["waitlist_moves"]] == [(4, 1, REASON)]
    assert again["status"] == "offered" and again["taken_before"] is True
    assert [o["status"] for o in again["offers"]] == ["open"] and "token" not in json.dumps(again["offers"])
    meetings = vip["meetings"]
    assert [m["number"] for m in meetings] == list(range(1, 13))
    assert [m["attendance"] for m in meetings] == ["present"] * 10 + ["absent"] * 2
    assert meetings[0]["group"] == "Spring women" and meetings[0]["theme"] == "Theme 1"
    assert vip["outreach"] == {"service": "Daily activity Verkstan", "informed_on": "2025-01-10",
                               "offered_on": "2025-02-01", "note": "Prefers mornings",
                               "updated_at": vip["outreach"]["updated_at"]}


def test_the_export_page_shows_the_vip_part(admin, vip_tenant, maja):
    page = admin.get(f"/t/{vip_tenant.slug}/people/{maja.id}/export", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Programme: VIP" in page.text and "Greta Berg" in page.text and "Spring women" in page.text
    download = json.loads(admin.get(f"/t/{vip_tenant.slug}/people/{maja.id}/export?format=json").data)
    assert download["plugins"]["vip"]["applications"][0]["needs"] == NEEDS


def test_a_person_vip_knows_nothing_about_has_no_vip_part(admin, vip_tenant, make_person, maja):
    stranger = make_person(vip_tenant)
    assert "vip" not in admin.get(f"/api/v1/t/{vip_tenant.slug}/people/{stranger.id}/export").json["plugins"]
    assert "vip" in admin.get(f"/api/v1/t/{vip_tenant.slug}/people/{maja.id}/export").json["plugins"]


def test_hook_people_held_names_whom_vip_holds_as_its_export_does(app, db_session, vip_tenant, make_person, maja,
                                                                   vip_rows, query_counter):  # noqa: F811
    reached = vip_rows.outreach(vip_tenant).person_id
    stranger = make_person(vip_tenant, email="stranger@example.org")
    hooks = app.extensions["samverka"].registry.relay({"vip"})
    with tenant_scope(vip_tenant.id), query_counter.counting() as counted:
        held = people.held_by_plugins(db_session, hooks, [maja.id, reached, stranger.id])
    assert held == {maja.id, reached}  # the stranger is the negative twin
    assert counted.count <= 5  # a fixed number, whatever the number of people
    with tenant_scope(vip_tenant.id):
        assert people.held_by_plugins(db_session, hooks, [maja.id], except_plugin="vip") == set()


def test_erasure_through_the_api_removes_every_vip_record(admin, db_session, vip_tenant, maja, vip_rows):  # noqa: F811
    other = vip_rows.application(vip_tenant, needs="Someone else's needs")
    response = admin.post(f"/api/v1/t/{vip_tenant.slug}/people/{maja.id}/erasure", json={"anonymise": False})
    assert response.status_code == 200
    report = response.json["reports"]["vip"]
    assert report["erased"] == {"application": 2, "offer": 2, "waitlist_move": 1, "outreach": 1}
    assert report["anonymised"] == {} and report["kept"] == []
    assert _vip_rows(db_session, vip_tenant, maja.id) == {"applications": [], "offers": [], "moves": [],
                                                          "outreach": None, "attendance": []}
    with tenant_scope(vip_tenant.id):
        assert db_session.scalar(select(Person).where(Person.id == maja.id)) is None
        assert db_session.get(Application, other.id).needs == "Someone else's needs"  # the negative twin
        event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "person.erase")).one()
    assert "vip" in event.detail["plugins"] and "Maja" not in json.dumps(event.detail)


def test_erasure_through_the_page_reaches_vip(admin, db_session, vip_tenant, maja):
    response = admin.post(f"/t/{vip_tenant.slug}/people/{maja.id}/erase", data={"mode": "erase", "confirm": "yes"})
    assert response.status_code in (200, 302, 303)
    rows = _vip_rows(db_session, vip_tenant, maja.id)
    assert rows["applications"] == [] and rows["outreach"] is None


def test_anonymisation_keeps_only_what_the_figures_need(admin, db_session, vip_tenant, maja):
    with tenant_scope(vip_tenant.id):
        figures_before = metrics.tenant_figures(db_session, vip_tenant.id)
    response = admin.post(f"/api/v1/t/{vip_tenant.slug}/people/{maja.id}/erasure", json={"anonymise": True})
    assert response.status_code == 200
    reports = response.json["reports"]
    assert reports["vip"]["anonymised"] == {"application": 2, "offer": 2, "outreach": 1}
    assert reports["vip"]["erased"] == {"waitlist_move": 1} and reports["core"]["anonymised"] == {"person": 1}

    rows = _vip_rows(db_session, vip_tenant, maja.id)
    first, again = sorted(rows["applications"], key=lambda a: a.id)
    for application in (first, again):
        assert (application.contact_name, application.contact_phone, application.contact_email,
                application.needs) == (None, None, None, None)
    assert first.status == ApplicationStatus.placed and first.group_id is not None  # the course record stays
    # The application still in line is closed; its open offer withdrawn and its link dead.
    assert again.status == ApplicationStatus.closed and again.closed_reason == "anonymised"
    offers = {o.application_id: o for o in rows["offers"]}
    assert offers[again.id].status == OfferStatus.withdrawn and offers[again.id].token_hash is None
    assert offers[first.id].status == OfferStatus.accepted
    assert rows["moves"] == []
    outreach = rows["outreach"]
    assert (outreach.service, outreach.note) == (None, None)
    assert (outreach.informed_on, outreach.offered_on) == (date(2025, 1, 10), date(2025, 2, 1))
    assert len(rows["attendance"]) == 12  # core keeps attendance with the anonymised person

    with tenant_scope(vip_tenant.id):
        figures_after = metrics.tenant_figures(db_session, vip_tenant.id)
    assert figures_after == figures_before  # nothing the statistics count was lost
    text = json.dumps([vars(a) for a in rows["applications"]], default=str)
    assert "Greta" not in text and "interpreter" not in text and "Maja" not in text


def test_a_legal_hold_keeps_every_vip_record(admin, db_session, vip_tenant, maja):
    person_id, slug = maja.id, vip_tenant.slug
    with tenant_scope(vip_tenant.id):
        db_session.get(Person, person_id).legal_hold_reason = "Court order 2026-77"
        db_session.commit()
    response = admin.post(f"/api/v1/t/{slug}/people/{person_id}/erasure", json={"anonymise": False})
    assert response.status_code == 409
    rows = _vip_rows(db_session, vip_tenant, person_id)
    assert len(rows["applications"]) == 2 and len(rows["moves"]) == 1 and rows["outreach"].note == "Prefers mornings"
    assert rows["applications"][0].needs == NEEDS


def test_erasing_a_person_vip_knows_nothing_about_reports_nothing_for_vip(admin, vip_tenant, make_person):
    person = make_person(vip_tenant)
    response = admin.post(f"/api/v1/t/{vip_tenant.slug}/people/{person.id}/erasure", json={"anonymise": False})
    assert response.status_code == 200 and "vip" not in response.json["reports"]


# --- Leader-course trainees (not core people): matched to the person by email --------------


@pytest.fixture
def training_tenant(make_vip_tenant):
    return make_vip_tenant(trains_leaders=True)


@pytest.fixture
def kim(db_session, training_tenant, make_person):
    """Kim, a person at the training tenant, on two of its leader courses (one completed), and
    another trainee on the same course: the negative twin."""
    from plugins.vip.services import training

    person = make_person(training_tenant, first_name="Kim", last_name="Lind", email="Kim.Lind@Huddinge.se")
    with tenant_scope(training_tenant.id):
        spring = training.create_course(db_session, {"name": "Spring leaders", "starts_on": date(2025, 3, 1),
                                                      "ends_on": date(2025, 3, 3)})
        autumn = training.create_course(db_session, {"name": "Autumn leaders", "starts_on": date(2025, 9, 1),
                                                      "ends_on": date(2025, 9, 3)})
        first = training.add_trainee(db_session, spring, {"name": "Kim Lind", "email": "kim.lind@huddinge.se",
                                                          "organisation": "Huddinge kommun",
                                                          "municipality": "Huddinge"})
        training.add_trainee(db_session, autumn, {"name": "Kim L.", "email": "kim.lind@huddinge.se",
                                                  "organisation": "Daily activity Verkstan"})
        other = training.add_trainee(db_session, spring, {"name": "Otto Other", "email": "otto@huddinge.se",
                                                          "organisation": "Huddinge kommun"})
        training.complete(db_session, first, date(2025, 3, 3))
        training.complete(db_session, other, date(2025, 3, 3))
        db_session.commit()
    return person


def _register_date(db_session, email):
    from plugins.vip.models import TrainedLeader
    from plugins.vip.services import register

    return db_session.scalar(select(TrainedLeader.trained_on)
                             .where(TrainedLeader.email_digest == register.email_digest(email)))


def _trainee_emails(db_session, tenant):
    from plugins.vip.models import Trainee

    with tenant_scope(tenant.id):
        return sorted(db_session.scalars(select(Trainee.email)))


def test_the_export_at_the_training_tenant_holds_the_persons_leader_courses(client, make_user, training_tenant, kim):
    login(client, make_user(("tenant_admin", training_tenant)))
    response = client.get(f"/api/v1/t/{training_tenant.slug}/people/{kim.id}/export")
    assert response.status_code == 200
    courses = response.json["plugins"]["vip"]["leader_training"]
    assert [(c["course"], c["name"], c["organisation"], c["municipality"], c["completed_on"]) for c in courses] == [
        ("Spring leaders", "Kim Lind", "Huddinge kommun", "Huddinge", "2025-03-03"),
        ("Autumn leaders", "Kim L.", "Daily activity Verkstan", None, None)]
    assert "Otto" not in json.dumps(response.json)


def test_vip_holds_a_person_on_its_leader_courses_matched_by_email(app, db_session, training_tenant, make_person, kim):
    otto = make_person(training_tenant, first_name="Otto", email="otto@huddinge.se")
    nobody = make_person(training_tenant, first_name="Nils", email="nils@huddinge.se")
    hooks = app.extensions["samverka"].registry.relay({"vip"})
    with tenant_scope(training_tenant.id):
        assert people.held_by_plugins(db_session, hooks, [kim.id, otto.id, nobody.id]) == {kim.id, otto.id}


@pytest.mark.parametrize("anonymise", [False, True])
def test_erasure_at_the_training_tenant_removes_the_persons_trainee_records(client, db_session, make_user,
                                                                          training_tenant, kim, anonymise):
    login(client, make_user(("tenant_admin", training_tenant)))
    response = client.post(f"/api/v1/t/{training_tenant.slug}/people/{kim.id}/erasure", json={"anonymise": anonymise})
    assert response.status_code == 200
    assert response.json["reports"]["vip"]["erased"]["trainee"] == 2
    assert _trainee_emails(db_session, training_tenant) == ["otto@huddinge.se"]
    assert _register_date(db_session, "kim.lind@huddinge.se") is None
    assert _register_date(db_session, "otto@huddinge.se") == date(2025, 3, 3)  # the negative twin


def test_erasure_at_one_training_tenant_keeps_what_another_recorded(client, db_session, make_user, make_vip_tenant,
                                                                   training_tenant, kim):
    from plugins.vip.services import training

    elsewhere = make_vip_tenant(trains_leaders=True)
    with tenant_scope(elsewhere.id):
        course = training.create_course(db_session, {"name": "Norrland", "starts_on": date(2025, 6, 1),
                                                      "ends_on": date(2025, 6, 2)})
        training.complete(db_session, training.add_trainee(db_session, course, {
            "name": "Kim Lind", "email": "kim.lind@huddinge.se", "organisation": "Huddinge kommun"}), date(2025, 6, 2))
        db_session.commit()
    login(client, make_user(("tenant_admin", training_tenant)))
    assert client.post(f"/api/v1/t/{training_tenant.slug}/people/{kim.id}/erasure",
                       json={"anonymise": False}).status_code == 200
    assert _register_date(db_session, "kim.lind@huddinge.se") == date(2025, 6, 2)
    assert _trainee_emails(db_session, elsewhere) == ["kim.lind@huddinge.se"]
