"""The public VIP application form in a real browser on a phone: Swedish, errors keep the answers, axe."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import sessionmaker

from core.testing.browser import TIMEOUT_MS, assert_accessible

pytestmark = pytest.mark.browser

#: A small phone: the form must fit without scrolling sideways.
PHONE = {"width": 360, "height": 740}


def _vip_tenant(live_server, **settings):
    """A tenant of the live server with VIP on (default ``settings``), as a tenant admin would turn it on."""
    from core.db import tenant_scope
    from core.tenants.models import TenantPlugin

    account = live_server.make_account("tenant_admin", languages=("sv", "en"))
    with tenant_scope(live_server.tenant_id(account)), sessionmaker(live_server.engine)() as session:
        session.add(TenantPlugin(plugin="vip", enabled=True, settings=settings))
        session.commit()
    return account


@pytest.fixture
def phone_page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE, has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _fits_the_screen(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_applying_on_a_phone_in_swedish_keeps_the_answers_and_thanks(phone_page, live_server):
    page = phone_page
    account = _vip_tenant(live_server)
    page.goto(f"/t/{account.tenant_slug}/vip/apply")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for the VIP course")
    expect(page.get_by_label("First name")).to_have_attribute("autocomplete", "given-name")
    _fits_the_screen(page)
    assert_accessible(page)

    # The language picker in the header, as a visitor would use it.
    page.get_by_label("Language", exact=True).select_option(label="Svenska")
    page.locator(".language-picker button").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page).to_have_url(re.compile(r"/vip/apply$"))
    # Easy-to-read Swedish, through the plugin's own catalog.
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmäl dig till VIP-kursen")
    expect(page.get_by_role("button", name="Skicka ansökan")).to_be_visible()

    # Questions that do not fit the answers so far stay out of the way.
    expect(page.locator("#phone")).to_be_hidden()
    expect(page.locator("#contact_name")).to_be_hidden()
    expect(page.locator("#interpreter_language")).to_be_hidden()
    page.locator("#contact_via-guardian").check()
    expect(page.locator("#contact_name")).to_be_visible()
    expect(page.locator("#phone")).to_be_hidden()
    page.locator("#contact_via-self").check()
    expect(page.locator("#phone")).to_be_visible()
    expect(page.locator("#contact_name")).to_be_hidden()

    # Large targets: each choice is at least 44 pixels high, and a tap on its label chooses it.
    box = page.locator(".vip-choice").first.bounding_box()
    assert box is not None and box["height"] >= 44
    page.locator("label[for=taken_before-no]").tap()
    expect(page.locator("#taken_before-no")).to_be_checked()

    page.locator("#first_name").fill("Amina")
    page.locator("#phone").fill("070-123 45 67")
    page.locator("#email").fill("amina@example.org")
    page.locator("#audience-women").check()
    page.locator("#interpreter_needed-yes").check()
    page.locator("#interpreter_language").fill("Somaliska")
    page.locator("#needs").fill("Rullstolsramp")
    page.locator("#consent").check()
    page.locator("#consent_given_by-self").check()
    page.locator("button.vip-send").click()

    # The last name is missing: said at the top with a link, and beside the field.
    summary = page.locator(".vip-error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("a[href='#last_name']")).to_have_count(1)
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    last_name = page.locator("#last_name")
    expect(last_name).to_have_attribute("aria-invalid", "true")
    expect(last_name).to_have_accessible_description(re.compile(r"Skriv ditt efternamn"))
    # Every other answer is still there.
    expect(page.locator("#first_name")).to_have_value("Amina")
    expect(page.locator("#phone")).to_have_value("070-123 45 67")
    expect(page.locator("#email")).to_have_value("amina@example.org")
    expect(page.locator("#contact_via-self")).to_be_checked()
    expect(page.locator("#audience-women")).to_be_checked()
    expect(page.locator("#taken_before-no")).to_be_checked()
    expect(page.locator("#interpreter_needed-yes")).to_be_checked()
    expect(page.locator("#interpreter_language")).to_have_value("Somaliska")
    expect(page.locator("#needs")).to_have_value("Rullstolsramp")
    expect(page.locator("#consent")).to_be_checked()
    expect(page.locator("#consent_given_by-self")).to_be_checked()
    _fits_the_screen(page)
    assert_accessible(page)

    summary.locator("a[href='#last_name']").click()
    last_name.fill("Yusuf")
    page.locator("button.vip-send").click()

    expect(page).to_have_url(re.compile(r"/vip/apply/thanks$"))
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tack för din ansökan")
    _fits_the_screen(page)
    assert_accessible(page)
    [(recipient, _subject, text)] = live_server.outbox(account)
    assert recipient == "amina@example.org" and "Amina" in text and "Yusuf" not in text


def test_the_paper_form_is_accessible_in_each_language_and_prints_without_the_page_around_it(page, live_server):
    account = _vip_tenant(live_server)
    page.goto(f"/t/{account.tenant_slug}/vip/apply")
    page.get_by_role("link", name="Do you want to apply on paper? Print the form here.").click()
    expect(page).to_have_url(re.compile(r"/vip/apply/paper$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Apply for the VIP course")
    expect(page.get_by_role("heading", level=2, name="What is your name?")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("navigation", name="Language of the form").get_by_role("link", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmäl dig till VIP-kursen")
    assert_accessible(page)

    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".vip-paper-tools")).to_be_hidden()
    expect(page.locator("[data-field=first_name]")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_the_thanks_page_names_the_contact_and_the_emailed_link_withdraws(page, live_server):
    account = _vip_tenant(live_server, contact_name="Linn Samordnare", contact_phone="016-10 00 00",
                          contact_email="vip@kommun.example")
    page.goto(f"/t/{account.tenant_slug}/vip/apply")
    page.get_by_label("First name").fill("Amina")
    page.get_by_label("Last name").fill("Yusuf")
    page.locator("#contact_via-self").check()
    page.locator("#email").fill("amina@example.org")
    page.locator("#audience-women").check()
    page.locator("#taken_before-no").check()
    page.locator("#interpreter_needed-no").check()
    page.locator("#consent").check()
    page.locator("#consent_given_by-self").check()
    page.locator("button.vip-send").click()
    expect(page.get_by_role("heading", level=2, name="Who to contact")).to_be_visible()
    expect(page.get_by_role("link", name="vip@kommun.example")).to_have_attribute("href", "mailto:vip@kommun.example")
    assert_accessible(page)

    [(_to, _subject, text)] = live_server.outbox(account)
    path = re.search(r"https?://[^/\s]+(/\S+/withdraw/[\w-]+)", text).group(1)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("Take back the application")
    assert_accessible(page)
    page.get_by_role("button", name="Yes, take back the application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The application is taken back")
    assert_accessible(page)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text("We cannot find this application")
    assert_accessible(page)
