"""List pages and endpoints not covered beside their features: constant queries whatever the rows."""

from core.testing.app import login


def test_tenant_plugin_pages(client, make_tenant, make_user, query_counter, app, db_session):
    from core.tenants.services import enable_plugin

    tenant = make_tenant()
    login(client, make_user(("tenant_admin", tenant)))

    def grow():
        enable_plugin(db_session, app.extensions["samverka"].registry, tenant, "sample", {})
        db_session.commit()

    query_counter.assert_constant(client, [f"/t/{tenant.slug}/admin/plugins", f"/t/{tenant.slug}/",
                                        f"/api/v1/t/{tenant.slug}/plugins"], grow)


def test_platform_plugins_page(client, make_tenant, make_user, query_counter):
    make_tenant(plugins={"sample": {}})
    login(client, make_user(platform_admin=True))
    query_counter.assert_constant(client, ["/platform/plugins"],
                lambda: [make_tenant(plugins={"sample": {}}) for _ in range(10)])


def test_calendar_feed_lists(client, make_tenant, make_user, query_counter, db_session, in_tenant):
    from core.sessions.services import create_feed

    tenant = make_tenant()
    login(client, make_user(("staff", tenant)))

    def grow():
        with in_tenant(tenant):
            for i in range(10):
                create_feed(db_session, label=f"Feed {i}")
        db_session.commit()

    query_counter.assert_constant(client, [f"/t/{tenant.slug}/admin/calendar-feeds",
                                        f"/api/v1/t/{tenant.slug}/calendar-feeds"], grow)


def test_tenant_picker(client, make_tenant, make_user, query_counter, db_session):
    from core.auth.services import grant

    tenants = [make_tenant(), make_tenant()]
    user = make_user(*[("staff", t) for t in tenants])
    login(client, user)

    def grow():
        for _ in range(10):
            grant(db_session, user, make_tenant(), "staff")
        db_session.commit()

    query_counter.assert_constant(client, ["/"], grow)


def test_consent_and_attendance_lists(client, make_tenant, make_user, make_person, query_counter, db_session, in_tenant):
    from datetime import date, datetime, timedelta, timezone

    from core.people.services import add_consent
    from core.sessions.models import Attendance
    from core.sessions.services import create_session, get_session

    tenant = make_tenant()
    login(client, make_user(("staff", tenant)))
    person = make_person(tenant)
    start = datetime.now(timezone.utc)
    with in_tenant(tenant):
        session_id = create_session(db_session, {"plugin": "core", "kind": "meeting", "title": "T",
                                                 "starts_at": start, "ends_at": start + timedelta(hours=1)},
                                    participant_ids=[person.id]).id
        add_consent(db_session, person, purpose="First", given_by="self", given_on=date.today())
    db_session.commit()

    def grow():
        others = [make_person(tenant).id for _ in range(10)]
        with in_tenant(tenant):
            for i in range(10):
                add_consent(db_session, person, purpose=f"Purpose {i}", given_by="self", given_on=date.today())
            scheduled = get_session(db_session, session_id)
            scheduled.attendance.extend(Attendance(person_id=i) for i in others)
            db_session.flush()
        db_session.commit()

    query_counter.assert_constant(client, [f"/api/v1/t/{tenant.slug}/people/{person.id}/consents",
                                           f"/api/v1/t/{tenant.slug}/sessions/{session_id}/attendance",
                                           f"/t/{tenant.slug}/people/{person.id}"], grow)
