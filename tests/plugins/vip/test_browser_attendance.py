"""A VIP group leader records attendance at a meeting in a real browser, by keyboard and by
mouse; the pages are checked with axe."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from core.auth.models import User
from core.db import tenant_scope, utcnow
from core.sessions.models import Attendance, AttendanceStatus
from plugins.vip.models import Application, ApplicationStatus, Channel, ContactVia, Group
from plugins.vip.services import groups as group_services
from plugins.vip.services import meetings as meeting_services
from plugins.vip.services import register
from plugins.vip.services.ranking import initial_rank
from core.testing.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser


def _vip_group(app, live_server, account, other_leader, people: list[int]) -> tuple[int, int]:
    """VIP on at the account's tenant, both leaders trained, a group with ``people`` placed and
    its first meeting begun an hour ago (attendance is recorded once it starts); the group's
    and the first meeting's ids."""
    from core.tenants.models import Tenant
    from core.tenants.services import enable_plugin

    tenant_id = live_server.tenant_id(account)
    with sessionmaker(live_server.engine, expire_on_commit=False)() as session:
        tenant = session.get(Tenant, tenant_id)
        session.commit()  # enable_plugin's transaction must begin inside the tenant (row-level security)
        enable_plugin(session, app.extensions["samverka"].registry, tenant, "vip", {})
        session.commit()
        leaders = list(session.scalars(select(User).where(User.email.in_([account.email, other_leader.email]))))
        for leader in leaders:
            register.enter(session, email=leader.email, trained_on=date(2024, 3, 1))
        session.commit()
        with tenant_scope(tenant_id):
            group = group_services.form_group(session, name="Women, spring", audience="women", location="Room A",
                                              leader_ids=[u.id for u in leaders])
            for person_id in people:
                applied = utcnow() - timedelta(days=40)
                session.add(Application(person_id=person_id, audience="women", channel=Channel.paper,
                                        contact_via=ContactVia.self, status=ApplicationStatus.placed,
                                        group_id=group.id, placed_at=utcnow(), applied_at=applied,
                                        queue_rank=initial_rank(False, applied)))
            session.flush()
            first = utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
            meetings = meeting_services.generate_meetings(session, session.get(Group, group.id), first_start=first)
            session.commit()
            return group.id, meetings[0].id


def _statuses(live_server, account, meeting_id: int) -> dict[int, AttendanceStatus | None]:
    from plugins.vip.models import Meeting

    with tenant_scope(live_server.tenant_id(account)), sessionmaker(live_server.engine)() as session:
        return dict(session.execute(select(Attendance.person_id, Attendance.status)
                                    .join(Meeting, Meeting.session_id == Attendance.session_id)
                                    .where(Meeting.id == meeting_id)).all())


def test_a_leader_records_attendance_with_the_keyboard_and_the_mouse(page, live_server, app):
    leader = live_server.make_account("vip.leader")
    other = live_server.add_user(leader, "vip.leader", name="Bo Ek")
    sara = live_server.make_person(leader, "Sara", "Lind")
    omar = live_server.make_person(leader, "Omar", "Haddad")
    group_id, meeting_id = _vip_group(app, live_server, leader, other, [sara, omar])

    log_in(page, leader)
    page.goto(f"/t/{leader.tenant_slug}/vip/groups/")
    expect(page.get_by_role("heading", level=1)).to_have_text("VIP groups")
    assert_accessible(page)
    page.get_by_role("link", name="Women, spring").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Women, spring")
    expect(page.get_by_role("row").filter(has_text="Sara Lind")).to_contain_text("0 of 9 needed")
    expect(page.get_by_role("row")).to_have_count(1 + 2 + 1 + 12)  # participants and meetings, with headers
    assert_accessible(page)

    page.get_by_role("link", name="Attendance, meeting 1", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/t/{leader.tenant_slug}/vip/meetings/{meeting_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Women, spring: meeting 1")
    expect(page.get_by_text("Emotions")).to_be_visible()
    assert_accessible(page)

    omar_group = page.get_by_role("group", name="Omar Haddad")
    sara_group = page.get_by_role("group", name="Sara Lind")
    # The keyboard: onto Omar's answers, choose with the space bar, move with the arrow key.
    omar_present = omar_group.get_by_role("radio", name="Present")
    omar_present.focus()
    page.keyboard.press("Space")
    expect(omar_present).to_be_checked()
    page.keyboard.press("ArrowDown")
    expect(omar_group.get_by_role("radio", name="Absent with notice")).to_be_checked()
    expect(omar_present).not_to_be_checked()
    # The mouse: a click on the words chooses the answer too (a large target).
    sara_group.get_by_text("Present", exact=True).click()
    expect(sara_group.get_by_role("radio", name="Present")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Save attendance")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.get_by_role("status")).to_have_text("Attendance is saved.")
    expect(omar_group.get_by_role("radio", name="Absent with notice")).to_be_checked()
    expect(sara_group.get_by_role("radio", name="Present")).to_be_checked()
    assert_accessible(page)
    assert _statuses(live_server, leader, meeting_id) == {
        sara: AttendanceStatus.present, omar: AttendanceStatus.absent_with_notice}

    page.get_by_role("link", name="Back to Women, spring").click()
    expect(page.get_by_role("row").filter(has_text="Sara Lind")).to_contain_text("1 of 9 needed")
    assert group_id


def test_a_coordinator_forms_a_group_of_trained_leaders_and_plans_its_meetings(page, live_server, app):
    from core.tenants.models import Tenant
    from core.tenants.services import enable_plugin

    coordinator = live_server.make_account("vip.coordinator")
    anna = live_server.add_user(coordinator, "vip.leader", name="Anna Berg")
    bo = live_server.add_user(coordinator, "vip.leader", name="Bo Ek")
    live_server.add_user(coordinator, "vip.leader", name="Ulla Untrained")
    with sessionmaker(live_server.engine, expire_on_commit=False)() as session:
        tenant = session.get(Tenant, live_server.tenant_id(coordinator))
        session.commit()  # enable_plugin's transaction must begin inside the tenant (row-level security)
        enable_plugin(session, app.extensions["samverka"].registry, tenant, "vip", {})
        for leader in (anna, bo):
            register.enter(session, email=leader.email, trained_on=date(2024, 3, 1))
        session.commit()

    log_in(page, coordinator)
    page.goto(f"/t/{coordinator.tenant_slug}/vip/groups/")
    expect(page.get_by_text("There are no groups yet.")).to_be_visible()
    page.get_by_role("link", name="Form a group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Form a group")
    expect(page.get_by_role("checkbox", name="Anna Berg")).to_have_accessible_description("Trained 2024-03-01")
    expect(page.get_by_role("checkbox", name="Ulla Untrained")).to_have_accessible_description("Not trained")
    assert_accessible(page)

    page.get_by_label("Name of the group").fill("Women, spring")
    page.get_by_label("Group audience").select_option(label="Women")
    page.get_by_label("Room").fill("Room A")
    page.get_by_role("checkbox", name="Anna Berg").check()
    page.get_by_role("checkbox", name="Ulla Untrained").check()
    page.get_by_role("button", name="Form the group").click()
    expect(page.get_by_role("alert")).to_have_text("Nothing was saved. Correct the fields marked below.")
    expect(page.get_by_role("group", name="Leaders (choose 2)")).to_have_accessible_description(
        "Ulla Untrained is not a trained VIP group leader.")
    expect(page.get_by_label("Name of the group")).to_have_value("Women, spring")
    expect(page.get_by_role("checkbox", name="Anna Berg")).to_be_checked()
    assert_accessible(page)

    page.get_by_role("checkbox", name="Ulla Untrained").uncheck()
    page.get_by_role("checkbox", name="Bo Ek").check()
    page.get_by_role("button", name="Form the group").click()
    expect(page.get_by_role("status")).to_have_text("The group Women, spring is formed.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Women, spring")
    assert_accessible(page)

    page.get_by_label("Date of the first meeting").fill("2031-05-06")
    page.get_by_label("Start time").fill("13:00")
    page.get_by_role("button", name="Plan the meetings").click()
    expect(page.get_by_role("status")).to_have_text("12 meetings are planned.")
    first = page.get_by_role("row").filter(has=page.get_by_role("cell", name="1", exact=True))
    expect(first).to_contain_text("2031-05-06")
    expect(first).to_contain_text("13:00–15:00")
    expect(first).to_contain_text("Emotions")
    assert_accessible(page)

    page.get_by_role("link", name="Move meeting 2", exact=True).click()
    expect(page.get_by_label("New date")).to_have_value("2031-05-13")
    assert_accessible(page)
    page.get_by_label("New date").fill("2031-05-06")  # onto meeting 1: out of order (#7 item 13)
    page.get_by_role("button", name="Move the meeting").click()
    expect(page.get_by_role("alert")).to_contain_text("The meeting was not moved.")
    expect(page.get_by_label("New date")).to_have_accessible_description(
        "Meeting 2 must come after meeting 1 (2031-05-06 13:00).")
    assert_accessible(page)
    page.get_by_label("New date").fill("2031-05-14")
    page.get_by_role("button", name="Move the meeting").click()
    expect(page.get_by_role("status")).to_have_text("Meeting 2 is moved.")
    expect(page.get_by_role("row").filter(has=page.get_by_role("cell", name="2", exact=True))).to_contain_text(
        "2031-05-14")
