"""Administration and sign-in security in a real browser: roles, the audit log, two-step sign-in
and password reset, every page state checked with axe."""

import csv
import re
import time
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.auth.totp import STEP, code_at
from core.testing.browser import assert_accessible, log_in, log_out

pytestmark = pytest.mark.browser


def _nav(page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_an_admin_invites_someone_after_an_error_then_gives_and_takes_roles(page, browser, live_server):
    admin = live_server.make_account("tenant_admin")
    log_in(page, admin)
    _nav(page, "Users and roles")
    expect(page.get_by_role("row").filter(has_text=admin.email)).to_contain_text("Tenant administrator")
    assert_accessible(page)

    address = f"karin-{uuid.uuid4().hex[:8]}@example.org"
    email = page.get_by_label("Email", exact=True)
    page.get_by_label("Name", exact=True).fill("Karin Lind")
    email.fill("karin.lind at example.org")
    page.get_by_label("Role", exact=True).select_option(label="Programme staff")
    page.get_by_role("button", name="Invite", exact=True).click()

    expect(page.get_by_role("alert")).to_have_text("Nobody was invited. Correct the fields marked below.")
    expect(email).to_have_value("karin.lind at example.org")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Give a valid email address.")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Karin Lind")
    expect(page.get_by_label("Name", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Role", exact=True)).to_have_value("staff")
    expect(page.get_by_role("row").filter(has_text="Karin Lind")).to_have_count(0)
    assert_accessible(page)

    email.fill(address)
    page.get_by_role("button", name="Invite", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        f"An invitation has been sent to {address}. The role is given when it is accepted.")
    expect(page.get_by_role("row").filter(has_text=address)).to_have_count(0)  # nothing granted yet
    expect(page.get_by_label("Email", exact=True)).to_have_value("")  # the form is fresh again
    [(_to, _subject, text)] = live_server.outbox(admin, to=address)
    assert_accessible(page)

    # Karin, in a browser of her own, chooses her password on the invitation's page to accept.
    context = browser.new_context(locale="en-GB")
    try:
        karin = context.new_page()
        karin.goto(re.search(r"http://\S+/invitations/\S+", text).group(0))
        expect(karin.get_by_role("heading", level=1)).to_contain_text("Invitation to")
        assert_accessible(karin)
        karin.get_by_label("New password").fill("four words in a row")
        karin.get_by_label("The same password again").fill("four words in a row")
        karin.get_by_role("button", name="Accept the invitation").click()
        expect(karin.get_by_role("status")).to_contain_text("You have the role Programme staff")
        assert_accessible(karin)
    finally:
        context.close()
    page.reload()
    row = page.get_by_role("row").filter(has_text=address)
    expect(row.get_by_role("cell").first).to_have_text("Karin Lind")
    expect(row.get_by_role("button", name="Take away Programme staff, Karin Lind")).to_be_visible()

    page.get_by_label("Role for Karin Lind").select_option(label="Auditor")
    row.get_by_role("button", name="Give Karin Lind").click()
    expect(page.get_by_role("status")).to_have_text("Role given.")
    expect(row.get_by_role("button", name=re.compile(r"^Take away"))).to_have_count(2)
    expect(row.get_by_role("button", name="Take away Auditor, Karin Lind")).to_be_visible()
    # A role held already is no longer offered.
    expect(page.get_by_label("Role for Karin Lind").get_by_role("option", name="Auditor")).to_have_count(0)
    page.screenshot(path="/tmp/samverka-users.png", full_page=True)
    assert_accessible(page)

    row.get_by_role("button", name="Take away Programme staff, Karin Lind").click()
    expect(page.get_by_role("status")).to_have_text("Role taken away.")
    expect(row.get_by_role("button", name=re.compile(r"^Take away"))).to_have_count(1)
    expect(row.get_by_role("button", name="Take away Auditor, Karin Lind")).to_be_visible()
    assert_accessible(page)


def test_an_auditor_finds_the_admins_read_of_a_person_and_exports_it(page, live_server, tmp_path):
    admin = live_server.make_account("tenant_admin")
    auditor = live_server.add_user(admin, "auditor", name="Astrid Auditor")
    person_id = live_server.make_person(admin, "Leila", "Haddad")

    log_in(page, admin)
    _nav(page, "People")
    page.get_by_role("link", name="Haddad, Leila").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leila Haddad")
    log_out(page)

    log_in(page, auditor)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Users and roles")).to_have_count(0)  # an auditor reads, nothing more
    _nav(page, "Audit log")
    page.get_by_label("Action (beginning)").fill("person.")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(page).to_have_url(re.compile(r"/audit/\?(.+&)?action=person\.(&|$)"))
    expect(page.get_by_label("Action (beginning)")).to_have_value("person.")
    expect(page.get_by_text("1 event", exact=True)).to_be_visible()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.get_by_role("cell")
    expect(cells.nth(1)).to_have_text(re.compile(rf"^{re.escape(admin.name)} \(\d+\)$"))
    expect(cells.nth(2)).to_have_text("person.read")
    expect(cells.nth(3)).to_have_text(f"person {person_id}")
    expect(cells.nth(4)).to_have_text("127.0.0.1")
    expect(cells.nth(5)).to_have_text("—")  # a read records who and what, no details
    page.screenshot(path="/tmp/samverka-audit.png", full_page=True)
    assert_accessible(page)

    with page.expect_download() as info:
        page.get_by_role("link", name="Export as CSV").click()
    download = info.value
    assert re.fullmatch(rf"audit-{admin.tenant_slug}-\d{{8}}\.csv", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    with Path(target).open(newline="", encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    shown = [[cell.inner_text().strip() for cell in row.get_by_role("cell").all()] for row in rows.all()]
    assert [
        [datetime.fromisoformat(e["occurred_at"]).strftime("%Y-%m-%d %H:%M:%S"),
         f"{admin.name} ({e['user_id']})", e["action"], f"{e['object_type']} {e['object_id']}",
         e["client_address"], e["detail"].replace("=", ": ") or "—"]
        for e in exported
    ] == shown
    assert exported[0]["actor"] == "" and exported[0]["object_id"] == str(person_id)


def _other_code(secret: str, now: float) -> str:
    """A six-digit code that is none of the codes the server accepts around ``now``."""
    near = {code_at(secret, now + k * STEP) for k in range(-3, 4)}
    return next(c for c in (f"{n:06d}" for n in range(123456, 1_000_000)) if c not in near)


def test_two_step_sign_in_is_enrolled_then_asked_for_and_a_wrong_code_is_explained(page, live_server):
    account = live_server.make_account("staff")
    log_in(page, account)
    page.goto("/account/security")
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    assert_accessible(page)

    secret = page.get_by_text(re.compile(r"^Key:")).locator("code").inner_text()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    page.get_by_label("Code", exact=True).fill(code_at(secret, time.time()))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("status")).to_have_text("Two-step sign-in is on.")
    expect(page.get_by_role("button", name="Turn off two-step sign-in")).to_be_visible()
    assert_accessible(page)

    log_out(page)
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/login/code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-step sign-in")
    assert_accessible(page)

    code = page.get_by_label("Code", exact=True)
    code.fill(_other_code(secret, time.time()))
    page.get_by_role("button", name="Continue").click()
    message = "That code is not right. Use the newest code in your app."
    expect(page.get_by_role("alert")).to_have_text(message)
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(code).to_have_accessible_description(message)
    assert_accessible(page)

    # The enrolment used this time step's code, and a step is never accepted twice: take the next one.
    code.fill(code_at(secret, time.time() + STEP))
    code.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/t/{account.tenant_slug}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(account.tenant_name)
    assert_accessible(page)


def test_a_forgotten_password_is_reset_through_the_emailed_link(page, live_server):
    account = live_server.make_account("staff")
    page.goto("/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    assert_accessible(page)

    page.get_by_label("Email address").fill(account.email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("status")).to_contain_text("If there is an account with that email address")
    assert_accessible(page)

    [(_to, subject, text)] = live_server.outbox(account, to=account.email)
    assert subject == "Set a new password for Samverka"
    link = re.search(r"http://\S+/password/reset/\S+", text).group(0)
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Set a new password")
    new_password = "four words in a row"
    page.get_by_label("New password").fill(new_password)
    page.get_by_label("The same password again").fill("four words in a rwo")
    page.get_by_role("button", name="Save the new password").click()
    again = page.get_by_label("The same password again")
    expect(again).to_have_attribute("aria-invalid", "true")
    expect(again).to_have_accessible_description("The two passwords are not the same.")
    assert_accessible(page)

    page.get_by_label("New password").fill(new_password)
    again.fill(new_password)
    page.get_by_role("button", name="Save the new password").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("Your password is changed. Log in with the new one.")
    assert_accessible(page)
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password").fill(new_password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}/t/{account.tenant_slug}/")
