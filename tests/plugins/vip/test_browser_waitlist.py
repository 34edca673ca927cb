"""The waitlist in a real browser: a coordinator reads it and moves someone, with a reason, checked with axe."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from core.testing.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser

APPLIED = datetime(2031, 1, 10, 9, 0, tzinfo=timezone.utc)


def _vip_world(live_server, account) -> None:
    """VIP on at the account's tenant, three women waiting (one took the course before) and a group."""
    from core.db import tenant_scope
    from core.tenants.models import TenantPlugin
    from plugins.vip.models import Application, Channel, ContactVia, Group
    from plugins.vip.services.ranking import initial_rank

    people = [live_server.make_person(account, "Alva", "Ek"), live_server.make_person(account, "Berit", "Lund"),
              live_server.make_person(account, "Cecilia", "Holm")]
    with tenant_scope(live_server.tenant_id(account)), live_server._sessions() as session:
        session.add(TenantPlugin(plugin="vip", enabled=True, settings={}))
        for n, (person_id, taken_before) in enumerate(zip(people, (False, False, True))):
            applied = APPLIED + timedelta(days=n)
            session.add(Application(person_id=person_id, audience="women", channel=Channel.web,
                                    contact_via=ContactVia.self, taken_before=taken_before, applied_at=applied,
                                    queue_rank=initial_rank(taken_before, applied)))
        session.add(Group(name="Tisdagsgruppen", audience="women", capacity=6, location="Träffpunkten"))
        session.commit()


def test_a_coordinator_moves_an_applicant_on_the_waitlist_with_a_reason(page, live_server):
    account = live_server.make_account("vip.coordinator")
    _vip_world(live_server, account)
    log_in(page, account)

    page.goto(f"/t/{account.tenant_slug}/vip/waitlist")
    expect(page.get_by_role("heading", level=1)).to_have_text("Waitlist: Women")
    rows = page.get_by_role("table").first.get_by_role("row")
    expect(rows).to_have_count(4)  # the header and three applicants
    expect(rows.nth(1)).to_contain_text("Alva Ek")
    expect(rows.nth(1)).to_contain_text("First time")
    expect(rows.nth(3)).to_contain_text("Cecilia Holm")
    expect(page.get_by_role("row", name=re.compile("Tisdagsgruppen"))).to_contain_text("6")
    assert_accessible(page)

    page.get_by_role("link", name="Move Cecilia Holm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Move Cecilia Holm on the waitlist")
    assert_accessible(page)
    position = page.get_by_label("New position")
    position.fill("1")
    page.get_by_role("button", name="Move").click()

    expect(page.get_by_role("alert")).to_contain_text("The move was not made")
    reason = page.get_by_label("Reason for the move")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_have_accessible_description(re.compile("Give a reason"))
    expect(position).to_have_value("1")
    assert_accessible(page)

    reason.fill("Her daily activity closes in May")
    page.get_by_role("button", name="Move").click()

    expect(page).to_have_url(re.compile(r"/vip/waitlist/women$"))
    expect(page.get_by_role("status")).to_have_text("Cecilia Holm moved from position 3 to 1.")
    rows = page.get_by_role("table").first.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Cecilia Holm")
    expect(rows.nth(2)).to_contain_text("Alva Ek")
    moves = page.get_by_role("table").last
    expect(moves).to_contain_text("Her daily activity closes in May")
    expect(moves).to_contain_text(account.name)
    assert_accessible(page)
