"""What the VIP plugin adds to the suite-wide checks (core.testing.PluginTests): its objects in
the shared test world, its routes' URL arguments and bodies in the isolation sweep, and its
translation catalogs. Named in pyproject.toml's ``samverka_plugin_tests``."""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import date, datetime, timedelta, timezone
from typing import Any

from core.db import tenant_scope
from core.sessions import services as session_services
from core.testing import PluginTests, World


def build_vip(app, db_session, tenant, make_user, make_person, marker: str) -> dict[str, Any]:
    """One object of every kind the VIP plugin keeps, each in a state every action accepts:
    a waiting application, an open offer with a free place, a group with one meeting and a
    group without, an outreach record, a leader course with a trainee. Returns the values the
    tables below name, read by the sweeps as attributes of each :class:`~core.testing.World`."""
    from plugins.vip.models import (
        Application, ApplicationStatus, Channel, ContactVia, Group, GroupLeader, LeaderCourse, Meeting, Offer,
        Outreach, Trainee, WaitlistMove,
    )
    from plugins.vip.services import register
    from plugins.vip.services.ranking import initial_rank

    leaders = [make_user(("vip.leader", tenant), name=f"Leader {n} {marker}", email=f"leader{n}-{marker}@example.org")
               for n in (1, 2)]
    applicant = make_person(tenant, first_name=f"Vip{marker}", last_name=f"Sökande{marker}",
                            email=f"vip-{marker}@example.org")
    offered = make_person(tenant, first_name=f"Offered{marker}", last_name=f"Person{marker}",
                          email=f"offered-{marker}@example.org")
    placed = make_person(tenant, first_name=f"Placed{marker}", last_name=f"Person{marker}")
    # Registered before, with the applicant's name and email: the application's possible duplicate.
    make_person(tenant, first_name=f"Vip{marker}", last_name=f"Sökande{marker}", email=f"vip-{marker}@example.org")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with tenant_scope(tenant.id):
        for leader in leaders:
            register.enter(db_session, email=leader.email, trained_on=date(2024, 3, 1))

        def application(person, status):
            return Application(person_id=person.id, audience="women", channel=Channel.web, taken_before=False,
                               contact_via=ContactVia.self, needs=f"Needs {marker}", status=status,
                               applied_at=now - timedelta(days=30), queue_rank=initial_rank(False, now - timedelta(days=30)))

        waiting, in_offer = application(applicant, ApplicationStatus.waiting), application(offered, ApplicationStatus.offered)
        withdraw_token = secrets.token_urlsafe(16)
        waiting.withdraw_token_hash = hashlib.sha256(withdraw_token.encode()).hexdigest()
        groups = [Group(name=f"Group {marker} {n}", audience="women", capacity=6, location=f"Room {marker} {n}",
                        leaders=[GroupLeader(user_id=leader.id) for leader in leaders]) for n in (1, 2)]
        db_session.add_all([waiting, in_offer, *groups])
        db_session.flush()
        participant = application(placed, ApplicationStatus.placed)
        participant.group_id, participant.placed_at = groups[0].id, now
        move = WaitlistMove(application_id=waiting.id, from_position=2, to_position=1,
                            reason=f"Moving house {marker}")
        db_session.add_all([participant, move])
        starts = now + timedelta(days=20)
        scheduled = session_services.create_session(
            db_session, {"plugin": "vip", "kind": "group_meeting", "title": f"Group {marker}: meeting 1",
                         "starts_at": starts, "ends_at": starts + timedelta(hours=2), "location": groups[0].location,
                         "reference": f"vip_group:{groups[0].id}"},
            leader_ids=[leader.id for leader in leaders], participant_ids=[placed.id])
        meeting = Meeting(group_id=groups[0].id, session_id=scheduled.id, number=1, theme="Emotions")
        offer_token = secrets.token_urlsafe(16)
        offer = Offer(application_id=in_offer.id, group_id=groups[0].id, offered_at=now,
                      expires_at=now + timedelta(days=7), token_hash=hashlib.sha256(offer_token.encode()).hexdigest())
        outreach = Outreach(person_id=applicant.id, service=f"Daily activity {marker}", informed_on=date.today())
        course = LeaderCourse(name=f"Leader course {marker}", starts_on=date.today() - timedelta(days=10),
                              ends_on=date.today() - timedelta(days=8), location=f"Eskilstuna {marker}")
        course.trainees = [Trainee(name=f"Trainee {marker}", email=f"trainee-{marker}@example.org",
                                   organisation=f"Organisation {marker}")]
        db_session.add_all([meeting, offer, outreach, course])
        db_session.flush()
        values = {"application_id": waiting.id, "group_id": groups[0].id, "empty_group_id": groups[1].id,
                  "meeting_id": meeting.id, "offer_id": offer.id, "offer_token": offer_token,
                  "withdraw_token": withdraw_token,
                  "outreach_id": outreach.id, "course_id": course.id, "trainee_id": course.trainees[0].id,
                  "leader_ids": tuple(leader.id for leader in leaders), "participant_id": placed.id,
                  "audience": "women"}
    db_session.commit()
    return values


def _today(_w: World) -> str:
    return date.today().isoformat()


def _later(days: int) -> datetime:
    """A weekday at noon ``days`` from now: clear of the worlds' own sessions."""
    return datetime.now(timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=days)


def _vip_application(w: World) -> dict[str, Any]:
    return {"first_name": "Nora", "last_name": "Berg", "contact_via": "self", "phone": "070-123 45 67",
            "audience": "women", "taken_before": "no", "consent": True, "consent_given_by": "self"}


def _csv_file(_w: World) -> dict[str, Any]:
    return {"file": (io.BytesIO(OUTREACH_CSV.encode()), "outreach.csv")}


OUTREACH_CSV = "first_name;last_name;birth_date\r\nNora;Berg;1990-01-01\r\n"


PLUGIN_TESTS = PluginTests(
    key="vip",
    settings=lambda marker: {"trains_leaders": True},
    build=build_vip,
    fillers={
        "application_id": "application_id",
        "group_id": "group_id",
        "meeting_id": "meeting_id",
        "offer_id": "offer_id",
        "outreach_id": "outreach_id",
        "course_id": "course_id",
        "trainee_id": "trainee_id",
        "audience": "audience",
    },
    fillers_by_endpoint={
        ("vip.offer_answer", "token"): "offer_token",
        ("vip.withdraw", "token"): "withdraw_token",
        # Meetings are generated once per group: a group that has none yet.
        ("vip.group_meetings", "group_id"): "empty_group_id",
    },
    fillers_by_method={
        ("vip_api.GroupMeetings", "POST", "group_id"): "empty_group_id",
    },
    public_in_tenant={
        "vip.apply": "skip: the public VIP application form; it shows no tenant data and only adds "
                     "(tests/plugins/vip/test_public_form.py)",
        "vip.applied": "skip: the thank-you page after applying; it shows no tenant data",
        "vip.apply_paper": "skip: the application form to print; it shows no tenant data beyond the form "
                           "(tests/plugins/vip/test_public_form.py)",
        "vip.offer_answer": "capability",
        "vip.withdraw": "capability",
    },
    bodies={
        # VIP: REST API
        ("vip_api.VipApplications", "POST"): ("json", _vip_application),
        ("vip_api.VipApplicationMerge", "POST"): ("json", lambda w: {"person_id": w.person_id}),
        ("vip_api.VipApplicationWithdrawal", "POST"): ("json", lambda w: {"reason": "applicant_asked"}),
        ("vip_api.WaitlistMoves", "POST"): ("json", lambda w: {"application_id": w.application_id, "to_position": 2,
                                                               "reason": "Moving house"}),
        ("vip_api.Offers", "POST"): ("json", lambda w: {"application_id": w.application_id, "group_id": w.group_id}),
        ("vip_api.OfferAnswer", "PUT"): ("json", lambda w: {"accept": True}),
        ("vip_api.GroupParticipants", "POST"): ("json", lambda w: {"application_id": w.application_id}),
        ("vip_api.Groups", "POST"): ("json", lambda w: {"name": "Spring group", "audience": "women",
                                                        "location": "Room 9", "leader_ids": list(w.leader_ids)}),
        ("vip_api.GroupResource", "PATCH"): ("json", lambda w: {"name": "Renamed group"}),
        ("vip_api.GroupMeetings", "POST"): ("json", lambda w: {"first_start": _later(60).isoformat(),
                                                               "location": "Room 9"}),
        ("vip_api.MeetingResource", "PATCH"): ("json", lambda w: {"starts_at": _later(45).isoformat()}),
        ("vip_api.MeetingAttendance", "PUT"): ("json", lambda w: {"attendance": [{"person_id": w.participant_id,
                                                                                 "status": "absent_with_notice"}]}),
        ("vip_api.OutreachList", "POST"): ("json", lambda w: {"first_name": "Nora", "last_name": "Berg",
                                                              "birth_year": 1990}),
        ("vip_api.OutreachResource", "PATCH"): ("json", lambda w: {"note": "Told at the group home"}),
        ("vip_api.OutreachImport", "POST"): ("csv", lambda w: OUTREACH_CSV),
        ("vip_api.LeaderCourses", "POST"): ("json", lambda w: {"name": "Leader course", "starts_on": "2025-01-01",
                                                               "ends_on": "2025-01-02"}),
        ("vip_api.LeaderCourseResource", "PATCH"): ("json", lambda w: {"location": "Eskilstuna"}),
        ("vip_api.LeaderCourseTrainees", "POST"): ("json", lambda w: {"name": "Nora Berg", "email": "nora@example.org",
                                                                      "organisation": "Huddinge kommun"}),
        ("vip_api.TraineeCompletion", "PUT"): ("json", lambda w: {"completed_on": _today(w)}),
        # VIP: pages
        ("vip.new_application", "POST"): ("form", lambda w: {**_vip_application(w), "consent": "yes"}),
        ("vip.merge_application", "POST"): ("form", lambda w: {"person_id": w.person_id, "confirm": "yes"}),
        ("vip.withdraw_application", "POST"): ("form", lambda w: {"reason": "applicant_asked"}),
        ("vip.waitlist_move", "POST"): ("form", lambda w: {"to_position": "2", "reason": "Moving house"}),
        ("vip.waitlist_offer", "POST"): ("form", lambda w: {"group_id": str(w.group_id), "action": "offer"}),
        ("vip.waitlist_offer_next", "POST"): None,
        ("vip.offer_record", "POST"): ("form", lambda w: {"answer": "yes"}),
        ("vip.group_new", "POST"): ("form", lambda w: {"name": "Spring group", "audience": "women", "location": "Room 9",
                                                       "leader_ids": [str(i) for i in w.leader_ids]}),
        ("vip.group_edit", "POST"): ("form", lambda w: {"name": "Renamed group", "audience": "women",
                                                        "location": "Room 9",
                                                        "leader_ids": [str(i) for i in w.leader_ids]}),
        ("vip.group_cancel", "POST"): ("form", lambda w: {"confirm": "yes"}),
        ("vip.group_meetings", "POST"): ("form", lambda w: {"first_date": _later(60).date().isoformat(),
                                                            "first_time": "13:00", "every_days": "7",
                                                            "location": "Room 9"}),
        ("vip.record_attendance", "POST"): ("form", lambda w: {f"status-{w.participant_id}": "absent_with_notice"}),
        ("vip.meeting_move", "POST"): ("form", lambda w: {"date": _later(45).date().isoformat(), "time": "10:00",
                                                          "location": "Room 9"}),
        ("vip.outreach_new", "POST"): ("form", lambda w: {"first_name": "Nora", "last_name": "Berg",
                                                          "birth_year": "1990"}),
        ("vip.outreach_edit", "POST"): ("form", lambda w: {"service": "Daily activity"}),
        ("vip.outreach_import", "POST"): ("form", _csv_file),
        ("vip.training_course_new", "POST"): ("form", lambda w: {"name": "Leader course", "starts_on": "2025-01-01",
                                                                 "ends_on": "2025-01-02"}),
        ("vip.training_course_edit", "POST"): ("form", lambda w: {"name": "Leader course", "starts_on": "2025-01-01",
                                                                  "ends_on": "2025-01-02"}),
        ("vip.training_trainee_add", "POST"): ("form", lambda w: {"name": "Nora Berg", "email": "nora@example.org",
                                                                  "organisation": "Huddinge kommun"}),
        ("vip.training_completion", "POST"): ("form", lambda w: {"completed_on": _today(w)}),
        ("vip.offer_answer", "POST"): ("form", lambda w: {"answer": "yes"}),
        ("vip.withdraw", "POST"): ("form", lambda w: {"confirm": "yes"}),
        ("vip.apply", "POST"): ("form", lambda w: {**_vip_application(w), "consent": "yes"}),
    },
    catalogs=("plugins/vip", "plugins/vip/babel.cfg"),
)
