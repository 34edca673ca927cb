"""The VIP demo: Eskilstuna gets a finished and a running group, waitlists, outreach and the
leader courses behind the national register; Huddinge's leaders are trained there."""

from __future__ import annotations

from sqlalchemy import func, select

from core.auth.models import RoleGrant, User
from plugins.vip.models import Application, ApplicationStatus, Group, GroupStatus, Offer, Outreach, WaitlistMove
from plugins.vip.services import groups, register
from tests.core.test_cli import cli, demo_login  # noqa: F401  (the fixture)


def _load(app, db_session, tenant, in_tenant):
    registry = app.extensions["samverka"].registry
    with app.app_context(), in_tenant(tenant):  # as `samverka demo load` runs it
        registry.call_one("vip", "samverka_demo_data", session=db_session, tenant=tenant)
        db_session.commit()


def test_eskilstuna_demo_runs_the_whole_course(app, db_session, make_tenant, in_tenant):
    eskilstuna = make_tenant("eskilstuna", plugins={"vip": {"trains_leaders": True}})
    huddinge = make_tenant("huddinge", plugins={"vip": {}})
    _load(app, db_session, eskilstuna, in_tenant)
    _load(app, db_session, huddinge, in_tenant)
    _load(app, db_session, eskilstuna, in_tenant)  # a second load adds nothing

    with in_tenant(eskilstuna):
        statuses = dict(db_session.execute(select(Group.name, Group.status)).all())
        assert sorted(statuses.values()) == [GroupStatus.finished, GroupStatus.running]
        counts = dict(db_session.execute(select(Application.status, func.count()).group_by(Application.status)).all())
        assert counts[ApplicationStatus.placed] == 11 and counts[ApplicationStatus.waiting] >= 4
        assert counts[ApplicationStatus.offered] == 1
        assert db_session.scalar(select(func.count(Offer.id))) == 1
        assert db_session.scalar(select(func.count(WaitlistMove.id))) == 1
        assert db_session.scalar(select(func.count(Outreach.id))) == 16
        finished = db_session.scalar(select(Group).where(Group.status == GroupStatus.finished))
        done = groups.completion(db_session, finished)
        assert sorted(completed for _attended, completed in done.values()) == [False] + [True] * 5
    with in_tenant(huddinge):
        assert db_session.scalar(select(func.count(Application.id))) == 3
        staff = db_session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                   .where(RoleGrant.role == "vip.leader", RoleGrant.tenant_id == huddinge.id)).all()
        assert len(staff) == 2 and all(register.trained_dates(db_session, staff).values())


def test_the_demo_names_whom_applicants_contact_in_eskilstuna_and_huddinge():
    import tomllib
    from pathlib import Path

    from plugins.vip.settings import load_settings

    for slug in ("eskilstuna", "huddinge"):
        tenant = tomllib.loads((Path(__file__).parents[3] / "tenants" / f"{slug}.toml").read_text())
        settings = load_settings(tenant["plugins"]["vip"].get("settings"))
        assert settings["contact_name"] and settings["contact_phone"] and settings["contact_email"], slug


def test_the_demo_register_groups_its_leaders_by_municipality(app, db_session, make_tenant, in_tenant):
    from plugins.vip.services import training

    eskilstuna = make_tenant("eskilstuna", plugins={"vip": {"trains_leaders": True}})
    _load(app, db_session, eskilstuna, in_tenant)
    with in_tenant(eskilstuna):
        table = training.register_by_year(db_session)
    assert [place for place, _counts, _total in table.rows] == ["Eskilstuna", "Huddinge", "Västerås"]


def test_the_demo_login_reaches_vip_at_eskilstuna(cli, client, db_session):
    """The login `python3 dev.py demo` prints, with the roles it grants, opens Eskilstuna's VIP."""
    demo_login(cli, client, db_session)
    assert client.get("/t/eskilstuna/vip/").status_code == 200
