"""The web shell in a real browser: sign-in, languages and the plugin settings form, checked with axe."""

import re

import pytest
from playwright.sync_api import expect

from core.testing.browser import assert_accessible, log_in

pytestmark = pytest.mark.browser


def test_login_says_a_wrong_password_keeps_the_email_and_lands_on_the_tenant(page, live_server):
    account = live_server.make_account("staff")
    page.goto("/login")
    # The stylesheet applies (a refused one would leave axe nothing to measure).
    expect(page.get_by_role("button", name="Log in")).to_have_css("background-color", "rgb(11, 83, 148)")
    assert_accessible(page)

    email = page.get_by_label("Email address")
    email.fill(account.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("The email address or password is wrong.")
    expect(email).to_have_value(account.email)
    expect(email).to_have_accessible_description("The email address or password is wrong.")
    assert_accessible(page)

    page.get_by_label("Password").fill(account.password)
    page.get_by_label("Password").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/t/{account.tenant_slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(account.tenant_name)
    assert_accessible(page)


def test_the_language_picker_switches_to_swedish(page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language").select_option(label="Svenska")
    page.get_by_label("Language").press("Tab")
    page.keyboard.press("Enter")  # the Change button, reached by keyboard
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_label("Språk")).to_have_value("sv")  # the label is in Swedish now too
    assert_accessible(page)


def test_plugin_settings_show_the_error_by_the_field_keep_the_input_and_save(page, live_server):
    account = live_server.make_account("tenant_admin")
    log_in(page, account)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Plugins").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plugins")
    assert_accessible(page)

    page.get_by_role("link", name="Sample programme").click()
    expect(page).to_have_url(re.compile(r"/admin/plugins/sample$"))
    page.get_by_label("Participants per group").fill("99")
    page.get_by_label("Greeting").fill("Hej och välkommen")
    page.get_by_role("button", name="Save settings and turn on").click()

    expect(page.get_by_role("alert")).to_contain_text("The settings were not saved")
    participants = page.get_by_label("Participants per group")
    expect(participants).to_have_value("99")
    expect(participants).to_have_attribute("aria-invalid", "true")
    expect(participants).to_have_accessible_description(re.compile(r"less than or equal to 30"))
    expect(page.get_by_label("Greeting")).to_have_value("Hej och välkommen")
    assert_accessible(page)

    participants.fill("8")
    page.get_by_role("button", name="Save settings and turn on").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved and Sample programme is on.")
    expect(page.get_by_label("Participants per group")).to_have_value("8")
    expect(page.get_by_label("Greeting")).to_have_value("Hej och välkommen")
    expect(page.get_by_role("button", name="Save settings", exact=True)).to_be_visible()

    page.get_by_role("link", name="Back to plugins").click()
    expect(page.get_by_role("button", name="Turn off Sample programme")).to_be_visible()
    assert_accessible(page)


def test_people_add_with_an_error_then_save_find_and_record_consent(page, live_server):
    account = live_server.make_account("staff")
    log_in(page, account)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    assert_accessible(page)

    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("First name").fill("Amina")
    page.get_by_label("Email").fill("not an address")
    page.get_by_label("Needs an interpreter").check()
    page.get_by_label("Interpreter language").fill("Somali")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    expect(page.get_by_label("First name")).to_have_value("Amina")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Needs an interpreter")).to_be_checked()
    assert_accessible(page)

    page.get_by_label("Last name").fill("Yusuf")
    page.get_by_label("Email").fill("amina@example.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Amina Yusuf")
    assert_accessible(page)

    page.get_by_label("Purpose").fill("Peer mentor programme and its evaluation")
    page.get_by_label("Given by").select_option("guardian")
    page.get_by_role("button", name="Record consent").click()
    expect(page.get_by_role("status")).to_have_text("Consent recorded.")
    expect(page.get_by_role("button", name="Withdraw")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_label("Search by name").fill("yus")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Yusuf, Amina")).to_be_visible()
    assert_accessible(page)


def test_api_docs_are_readable_and_accessible(page):
    page.goto("/api/docs")
    expect(page.get_by_role("heading", level=1)).to_have_text("API documentation")
    expect(page.get_by_role("heading", name="GET /api/v1/t/{tenant}/people", exact=True)).to_be_visible()
    assert_accessible(page)
