"""The training tenant's register of trained leaders in a real browser: search, and axe."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from core.db import tenant_scope
from plugins.vip.services import training
from core.testing.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_a_trainer_searches_the_register(page, live_server):
    from core.tenants.models import TenantPlugin

    account = live_server.make_account("vip.trainer", languages=("en", "sv"))
    with tenant_scope(live_server.tenant_id(account)), sessionmaker(live_server.engine)() as session:
        session.add(TenantPlugin(plugin="vip", enabled=True, settings={"trains_leaders": True}))
        session.flush()
        course = training.create_course(session, {"name": "Spring leaders", "starts_on": date(2025, 3, 1),
                                                   "ends_on": date(2025, 3, 2)})
        for name, municipality in (("Kim Lind", "Huddinge"), ("Bo Ek", "Umeå")):
            trainee = training.add_trainee(session, course, {"name": name, "email": f"{name[:2].lower()}@x.se",
                                                             "organisation": "Kommunen", "municipality": municipality})
            training.complete(session, trainee, date(2025, 3, 2), today=date(2025, 3, 2))
        session.commit()
    log_in(page, account)
    page.goto(f"/t/{account.tenant_slug}/vip/training/")
    page.get_by_role("link", name="Register of trained leaders").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register of trained leaders")
    expect(page.get_by_role("row", name="Huddinge 1 1")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Municipality").fill("ume")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("cell", name="Bo Ek")).to_be_visible()
    expect(page.get_by_role("cell", name="Kim Lind")).to_have_count(0)
    assert_accessible(page)
