"""The partner programme's page: shown to those with its permission, in the tenants that run it."""

from __future__ import annotations

from samverka_partner.models import PartnerNote

from core.testing import login


def _add_notes(db_session, in_tenant, tenant, *texts):
    with in_tenant(tenant):
        db_session.add_all([PartnerNote(text=text) for text in texts])
        db_session.commit()


def test_staff_see_the_count_of_their_tenants_notes(partner_staff, partner_tenant, make_tenant, db_session, in_tenant):
    url = f"/t/{partner_tenant.slug}/partner/"
    assert partner_staff.get(url).text == "partner notes: 0"
    _add_notes(db_session, in_tenant, partner_tenant, "First", "Second")
    _add_notes(db_session, in_tenant, make_tenant(plugins={"partner": {}}), "Another tenant's")
    page = partner_staff.get(url)
    assert page.status_code == 200 and page.text == "partner notes: 2"


def test_the_page_needs_the_partner_permission(client, partner_tenant, make_user):
    login(client, make_user(("staff", partner_tenant)), language="en")
    assert client.get(f"/t/{partner_tenant.slug}/partner/").status_code == 403


def test_the_page_needs_a_signed_in_user(client, partner_tenant):
    anonymous = client.get(f"/t/{partner_tenant.slug}/partner/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_tenant_without_the_programme_has_no_page(client, make_tenant, make_user):
    tenant = make_tenant(languages=("en",))
    login(client, make_user(("partner.staff", tenant)), language="en")
    assert client.get(f"/t/{tenant.slug}/partner/").status_code == 404


def test_another_tenants_page_is_refused(partner_staff, make_tenant):
    other = make_tenant(plugins={"partner": {}})
    assert partner_staff.get(f"/t/{other.slug}/partner/").status_code in (403, 404)


def test_the_navigation_links_the_page_for_staff_only(client, partner_staff, partner_tenant, make_user, make_tenant):
    link = f'href="/t/{partner_tenant.slug}/partner/"'
    assert link in partner_staff.get(f"/t/{partner_tenant.slug}/").text

    login(client, make_user(("staff", partner_tenant)), language="en")
    assert link not in client.get(f"/t/{partner_tenant.slug}/").text

    without = make_tenant(languages=("en",))
    login(client, make_user(("partner.staff", without)), language="en")
    assert "/partner/" not in client.get(f"/t/{without.slug}/").text
