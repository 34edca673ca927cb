"""VIP retention: unplaced applications erased after their period, participants dated for core's job."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db import tenant_scope
from core.people.models import Consent, ConsentGiver, Person
from plugins.vip.models import Application, ApplicationStatus, GroupStatus, Outreach
from tests.plugins.vip.test_metrics import vip_rows, weekly  # noqa: F401  (the fixture)

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)
LONG_AGO = NOW - timedelta(days=400)  # past the default 365 days
RECENTLY = NOW - timedelta(days=300)


@pytest.fixture
def retention(app):
    """``retention(tenant, now)``: VIP's retention job as core's runner calls it (from the
    plugin's due jobs, in the tenant's scope, with the tenant's hook relay)."""
    state = app.extensions["samverka"]
    _plugin, _internal, job = state.due_jobs["vip.retention"]
    assert job.needs_hooks

    def run(tenant, now=NOW, enabled=("vip",)):
        from core.db import db

        with tenant_scope(tenant.id):
            result = job.run(db.session, tenant, now, hooks=state.registry.relay(enabled))
            db.session.commit()
        return result

    return run


def _people(db_session, tenant) -> dict[int, Person]:
    with tenant_scope(tenant.id):
        return {p.id: p for p in db_session.scalars(select(Person).execution_options(populate_existing=True))}


def _applications(db_session, tenant) -> set[int]:
    with tenant_scope(tenant.id):
        return set(db_session.scalars(select(Application.id)))


def _ended(vip_rows, tenant, person=None, *, closed_at, status=ApplicationStatus.withdrawn, created_person=True,  # noqa: F811
           **extra):
    return vip_rows.application(tenant, person, status=status, applied_at=closed_at - timedelta(days=20),
                                closed_at=closed_at, created_person=created_person, closed_reason="declined", **extra)


def test_unplaced_applications_are_erased_after_the_period(db_session, vip_tenant, vip_rows, make_person,  # noqa: F811
                                                          retention):
    alone = _ended(vip_rows, vip_tenant, closed_at=LONG_AGO)  # made the person; nothing else: both go
    recent = _ended(vip_rows, vip_tenant, closed_at=RECENTLY)  # not due yet
    known = _ended(vip_rows, vip_tenant, closed_at=LONG_AGO, created_person=False, status=ApplicationStatus.closed)
    reached = _ended(vip_rows, vip_tenant, closed_at=LONG_AGO)
    vip_rows.outreach(vip_tenant, reached.person_id, offered_on=date(2025, 1, 1))  # the outreach row keeps the person
    again = _ended(vip_rows, vip_tenant, closed_at=LONG_AGO)
    waiting = vip_rows.application(vip_tenant, again.person_id, taken_before=False)  # applied again: person stays
    consented = _ended(vip_rows, vip_tenant, closed_at=LONG_AGO)
    with tenant_scope(vip_tenant.id):
        db_session.add(Consent(person_id=consented.person_id, purpose="Mentoring", plugin="peer_support",
                               given_by=ConsentGiver.self, given_on=date(2025, 1, 1)))
        db_session.commit()
    held = _ended(vip_rows, vip_tenant, closed_at=LONG_AGO)
    with tenant_scope(vip_tenant.id):
        db_session.get(Person, held.person_id).legal_hold_reason = "Ongoing case"
        db_session.commit()
    placed_once = _ended(vip_rows, vip_tenant, closed_at=LONG_AGO, placed_at=LONG_AGO - timedelta(days=5))

    assert retention(vip_tenant) == 5

    remaining = _applications(db_session, vip_tenant)
    assert remaining == {recent.id, waiting.id, held.id, placed_once.id}
    people = _people(db_session, vip_tenant)
    assert alone.person_id not in people
    assert {known.person_id, reached.person_id, again.person_id, consented.person_id, held.person_id} <= set(people)
    with tenant_scope(vip_tenant.id):
        assert db_session.scalar(select(Outreach).where(Outreach.person_id == reached.person_id)) is not None
        actions = db_session.scalars(select(AuditEvent.action).where(
            AuditEvent.action.in_(("person.erase", "vip.application.erase")))).all()
    assert sorted(actions) == ["person.erase"] + ["vip.application.erase"] * 4

    assert retention(vip_tenant) == 0  # idempotent
    assert retention(vip_tenant, NOW + timedelta(days=70)) == 1  # recent is due now, and goes with its person
    assert recent.person_id not in _people(db_session, vip_tenant)


def test_the_period_is_the_tenants_setting(db_session, make_vip_tenant, vip_rows, retention):  # noqa: F811
    brief = make_vip_tenant(unplaced_retention_days=60)
    due = _ended(vip_rows, brief, closed_at=NOW - timedelta(days=61), created_person=False)
    kept = _ended(vip_rows, brief, closed_at=NOW - timedelta(days=59), created_person=False)
    assert retention(brief) == 1
    assert _applications(db_session, brief) == {kept.id} and due.id != kept.id


def test_another_programmes_data_keeps_the_person(db_session, make_vip_tenant, make_tenant, vip_rows, retention):  # noqa: F811
    both = make_tenant(plugins={"vip": {}, "sample": {}})  # the sample plugin exports something for everyone
    application = _ended(vip_rows, both, closed_at=LONG_AGO)
    assert retention(both, enabled=("vip", "sample")) == 1
    assert _applications(db_session, both) == set() and application.person_id in _people(db_session, both)


def test_other_plugins_are_asked_once_for_everyone_due(db_session, make_tenant, vip_rows, retention):  # noqa: F811
    from tests.core import sample_plugin

    both = make_tenant(plugins={"vip": {}, "sample": {}})
    due = [_ended(vip_rows, both, closed_at=LONG_AGO) for _ in range(3)]
    sample_plugin.calls.clear()
    assert retention(both, enabled=("vip", "sample")) == 3
    assert [call for call in sample_plugin.calls if call[0] in ("held", "export")] == [
        ("held", sorted(a.person_id for a in due))]
    assert {a.person_id for a in due} <= set(_people(db_session, both))


def test_retention_only_touches_the_tenant_it_runs_for(db_session, make_vip_tenant, vip_rows, retention):  # noqa: F811
    a, b = make_vip_tenant(), make_vip_tenant()
    mine = _ended(vip_rows, a, closed_at=LONG_AGO, created_person=False)
    theirs = _ended(vip_rows, b, closed_at=LONG_AGO, created_person=False)
    assert retention(a) == 1
    assert _applications(db_session, a) == set()  # positive: A's own
    assert _applications(db_session, b) == {theirs.id} and mine.id != theirs.id  # negative twin: B's untouched


def test_participants_are_dated_from_the_last_meeting_of_their_finished_group(db_session, make_vip_tenant, vip_rows,  # noqa: F811
                                                                            retention):
    tenant = make_vip_tenant(participant_retention_days=1000)
    first = datetime(2025, 9, 1, 17, 0, tzinfo=timezone.utc)
    done = [vip_rows.application(tenant, applied_at=first - timedelta(days=40)) for _ in range(4)]
    group = vip_rows.group(tenant, starts=weekly(first, 12), placed=done, status=GroupStatus.finished)
    with tenant_scope(tenant.id):
        last = max(group.meetings, key=lambda m: m.number)
        last.session.cancelled = True  # called off: the course ended a week earlier
        people = {p.id: p for p in db_session.scalars(select(Person))}
        people[done[1].person_id].retain_until = date(2099, 1, 1)  # set later by someone else: kept
        people[done[2].person_id].retain_until = date(2026, 1, 1)  # too early: extended
        db_session.commit()
    vip_rows.application(tenant, done[3].person_id, taken_before=True)  # in line for another course
    running = vip_rows.application(tenant)
    vip_rows.group(tenant, starts=weekly(NOW - timedelta(days=14), 12), placed=[running])

    assert retention(tenant) == 3
    ended = (first + timedelta(weeks=10)).date()  # the eleventh meeting, the last one held
    dates = {pid: p.retain_until for pid, p in _people(db_session, tenant).items()}
    assert dates[done[0].person_id] == ended + timedelta(days=1000)
    assert dates[done[1].person_id] == date(2099, 1, 1)
    assert dates[done[2].person_id] == ended + timedelta(days=1000)
    assert dates[done[3].person_id] == NOW.date() + timedelta(days=1000)  # in line again: kept ahead
    assert dates[running.person_id] is None  # their course is not over

    assert retention(tenant) == 0  # idempotent
    assert {pid: p.retain_until for pid, p in _people(db_session, tenant).items()} == dates


def test_a_group_cancelled_after_it_began_dates_its_participants_from_the_last_meeting_held(
        db_session, make_vip_tenant, vip_rows, retention):  # noqa: F811
    tenant = make_vip_tenant(participant_retention_days=500)
    first = datetime(2026, 3, 2, 17, 0, tzinfo=timezone.utc)
    went = vip_rows.application(tenant, applied_at=first - timedelta(days=40))
    group = vip_rows.group(tenant, starts=weekly(first, 12), placed=[went], status=GroupStatus.cancelled)
    never = vip_rows.application(tenant, applied_at=first - timedelta(days=40))
    vip_rows.group(tenant, starts=weekly(NOW + timedelta(days=5), 12), placed=[never], status=GroupStatus.cancelled)
    with tenant_scope(tenant.id):
        for meeting in group.meetings:
            if meeting.number > 2:
                meeting.session.cancelled = True  # the rest was called off with the group
        db_session.commit()
    assert retention(tenant) == 1
    dates = {pid: p.retain_until for pid, p in _people(db_session, tenant).items()}
    assert dates[went.person_id] == date(2026, 3, 9) + timedelta(days=500)
    assert dates[never.person_id] is None  # no meeting was held: no course record to keep


def test_someone_in_line_again_is_not_anonymised_while_waiting(db_session, make_vip_tenant, vip_rows, retention):  # noqa: F811
    tenant = make_vip_tenant(participant_retention_days=30)
    first = datetime(2025, 9, 1, 17, 0, tzinfo=timezone.utc)
    old = vip_rows.application(tenant, applied_at=first - timedelta(days=40))
    vip_rows.group(tenant, starts=weekly(first, 12), placed=[old], status=GroupStatus.finished)
    vip_rows.application(tenant, old.person_id, taken_before=True)
    retention(tenant)
    until = _people(db_session, tenant)[old.person_id].retain_until
    assert until == NOW.date() + timedelta(days=30)  # the course's date had passed; kept while in line
    assert retention(tenant, NOW + timedelta(days=10)) == 1
    assert _people(db_session, tenant)[old.person_id].retain_until == NOW.date() + timedelta(days=40)


def test_core_retention_then_anonymises_the_participant_and_vip_keeps_the_figures(app, db_session, make_vip_tenant,
                                                                                  vip_rows):  # noqa: F811
    from core.jobs.services import run_due_jobs

    tenant = make_vip_tenant()  # participants kept 1095 days after the course
    first = NOW - timedelta(days=1200)
    done = vip_rows.application(tenant, applied_at=first - timedelta(days=30), contact_name="Greta Berg",
                                needs="A quiet room")
    vip_rows.group(tenant, starts=weekly(first, 12), placed=[done], status=GroupStatus.finished)

    run_due_jobs(db_session, app.extensions["samverka"], NOW)  # VIP dates the record (already past)
    assert _people(db_session, tenant)[done.person_id].retain_until < NOW.date()
    run_due_jobs(db_session, app.extensions["samverka"], NOW + timedelta(days=1))  # core anonymises

    person = _people(db_session, tenant)[done.person_id]
    assert person.anonymised_at is not None and person.first_name == ""
    with tenant_scope(tenant.id):
        application = db_session.scalar(select(Application).where(Application.id == done.id)
                                        .execution_options(populate_existing=True))
    assert application.status == ApplicationStatus.placed  # still counted as a participant
    assert (application.contact_name, application.needs) == (None, None)
