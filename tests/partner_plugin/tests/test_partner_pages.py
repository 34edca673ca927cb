"""The partner programme's page: shown to those with its permission, in the tenants that run it."""

from __future__ import annotations

import re

from core.testing import login


def _count(page) -> str:
    return re.search(r'<p id="count">([^<]*)</p>', page.text).group(1)


def _listed(page) -> list[str]:
    found = re.search(r'<ul id="notes">(.*?)</ul>', page.text, flags=re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1), flags=re.S) if found else []


def test_staff_see_the_count_of_their_tenants_notes(partner_staff, partner_tenant, make_tenant, add_notes):
    url = f"/t/{partner_tenant.slug}/partner/"
    empty = partner_staff.get(url)
    assert empty.status_code == 200 and _count(empty) == "0 notes" and _listed(empty) == []
    add_notes(partner_tenant, "First", "Second")
    add_notes(make_tenant(plugins={"partner": {}}), "Another tenant's")
    page = partner_staff.get(url)
    assert page.status_code == 200 and _count(page) == "2 notes"
    assert "Another tenant&#39;s" not in page.text and "Another tenant's" not in page.text


def test_the_count_is_in_the_readers_language(client, partner_tenant, make_user, add_notes):
    add_notes(partner_tenant, "Första")
    login(client, make_user(("partner.staff", partner_tenant)), language="sv")
    assert _count(client.get(f"/t/{partner_tenant.slug}/partner/")) == "1 anteckning"
    add_notes(partner_tenant, "Andra")
    assert _count(client.get(f"/t/{partner_tenant.slug}/partner/")) == "2 anteckningar"


def test_the_page_lists_the_notes_newest_first_with_their_person(partner_staff, partner_tenant, make_person,
                                                                  add_notes):
    alma = make_person(partner_tenant, first_name="Alma", last_name="Berg")
    bo = make_person(partner_tenant, first_name="Bo", last_name="Ek")
    add_notes(partner_tenant, "Met at the library.", person=alma)
    add_notes(partner_tenant, "Called about the course.", person=bo)
    listed = _listed(partner_staff.get(f"/t/{partner_tenant.slug}/partner/"))
    assert len(listed) == 2
    assert listed[0].endswith("Bo Ek: Called about the course.")
    assert listed[1].endswith("Alma Berg: Met at the library.")


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


def test_another_tenants_page_is_refused(partner_staff, make_tenant, add_notes):
    other = make_tenant(plugins={"partner": {}})
    add_notes(other, "Not for Pia")
    refused = partner_staff.get(f"/t/{other.slug}/partner/")
    assert refused.status_code in (403, 404) and "Not for Pia" not in refused.text


def test_the_navigation_links_the_page_for_staff_only(client, partner_staff, partner_tenant, make_user, make_tenant):
    link = f'href="/t/{partner_tenant.slug}/partner/"'
    assert link in partner_staff.get(f"/t/{partner_tenant.slug}/").text

    login(client, make_user(("staff", partner_tenant)), language="en")
    assert link not in client.get(f"/t/{partner_tenant.slug}/").text

    without = make_tenant(languages=("en",))
    login(client, make_user(("partner.staff", without)), language="en")
    assert "/partner/" not in client.get(f"/t/{without.slug}/").text
