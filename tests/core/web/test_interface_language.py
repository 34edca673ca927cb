"""The interface speaks the reader's language everywhere: validation messages, error pages,
role lists, programme titles and numbers (issue #7 item 21)."""

from __future__ import annotations

import inspect
import re

import pytest
from flask_babel import force_locale
from marshmallow import fields, validate

from core.web import errors
from core.web.messages import MARSHMALLOW, translate_message
from core.testing.app import login

ALL = ("sv", "da", "fi", "en")


def _marshmallow_defaults() -> set[str]:
    """Every default message marshmallow can give, as it writes them before filling them in."""
    found = set()
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        found |= set(getattr(cls, "default_error_messages", {}).values())
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        for attr in ("default_message", "message_min", "message_max", "message_all", "message_equal"):
            value = getattr(cls, attr, None)
            if isinstance(value, str) and cls is not validate.Range:
                found.add(value)
    ops = {"min": (validate.Range.message_gte, validate.Range.message_gt),
           "max": (validate.Range.message_lte, validate.Range.message_lt)}
    for low in ops["min"]:
        found.add(validate.Range.message_min.format(min_op=low))
        for high in ops["max"]:
            found.add(validate.Range.message_all.format(min_op=low, max_op=high))
    for high in ops["max"]:
        found.add(validate.Range.message_max.format(max_op=high))
    found |= {m.replace("{{", "{").replace("}}", "}") for m in found}
    return {m for m in found if "{{" not in m} | {"Unknown field.", "Invalid input type."}


def test_every_message_marshmallow_gives_is_in_the_catalogs():
    missing = _marshmallow_defaults() - set(MARSHMALLOW)
    assert not missing, f"add to core/web/messages.py MARSHMALLOW (a marshmallow upgrade?): {sorted(missing)}"


@pytest.mark.parametrize(("language", "message", "expected"), [
    ("sv", "Must be greater than or equal to 2 and less than or equal to 20.", "Måste vara minst 2 och högst 20."),
    ("da", "Must be greater than or equal to 2 and less than or equal to 20.", "Skal være mindst 2 og højst 20."),
    ("fi", "Must be greater than or equal to 2 and less than or equal to 20.",
     "Arvon on oltava vähintään 2 ja enintään 20."),
    ("sv", "Must be greater than 0.", "Måste vara större än 0."),
    ("sv", "Longer than maximum length 80.", "Högst 80 tecken."),
    ("da", "Missing data for required field.", "Skal udfyldes."),
    ("fi", "Not a valid integer.", "Kirjoita kokonaisluku."),
    ("sv", "Must be one of: women, men.", "Måste vara något av: women, men."),
    ("en", "Must be greater than or equal to 2 and less than or equal to 20.",
     "Must be greater than or equal to 2 and less than or equal to 20."),
    ("sv", "A message of no catalog.", "A message of no catalog."),
])
def test_validation_messages_are_translated_with_their_values(app, language, message, expected):
    with app.test_request_context(), force_locale(language):
        assert translate_message(message) == expected


def test_a_settings_form_shows_marshmallows_messages_in_swedish(client, make_tenant, make_user):
    tenant = make_tenant(languages=ALL)
    login(client, make_user(("tenant_admin", tenant)), "sv")
    response = client.post(f"/t/{tenant.slug}/admin/plugins/sample", data={
        "participants_per_group": "0", "audiences": ["women"], "greeting": "x" * 81})
    assert response.status_code == 422
    page = response.text
    assert "Måste vara minst 1 och högst 30." in page and "Mellan 1 och 80 tecken." in page
    assert "Must be" not in page and "Length must" not in page
    response = client.post(f"/t/{tenant.slug}/admin/plugins/sample", data={"participants_per_group": "sex"})
    assert "Skriv ett heltal." in response.text and "Not a valid integer." not in response.text
    assert 'value="sex"' in response.text  # what was typed is kept


def test_the_403_page_is_in_danish(client, make_tenant, make_user):
    tenant = make_tenant(languages=ALL)
    login(client, make_user(("staff", tenant)), "da")
    response = client.get(f"/t/{tenant.slug}/admin/plugins")
    assert response.status_code == 403
    page = response.text
    assert "<h1>Du har ikke adgang til denne side</h1>" in page
    assert "Din rolle her giver ikke adgang til denne side." in page
    assert "<title>Du har ikke adgang til denne side · Samverka</title>" in page
    assert "permission" not in page and "Forbidden" not in page and "You do not" not in page


def test_the_400_page_is_in_swedish(csrf_client):
    refused = csrf_client.post("/login", data={"email": "eva@example.org"}, headers={"Accept-Language": "sv"})
    assert refused.status_code == 400  # no CSRF token
    page = refused.text
    assert "<h1>Förfrågan gick inte att förstå</h1>" in page
    assert "Bad Request" not in page and "CSRF" not in page


def test_the_404_and_405_pages_are_in_swedish(client):
    client.post("/language", data={"language": "sv", "next": "/login"})
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "<h1>Sidan finns inte</h1>" in missing.text
    wrong = client.get("/language")
    assert wrong.status_code == 405 and "<h1>Sidan kan inte användas på det sättet</h1>" in wrong.text
    assert "Method Not Allowed" not in wrong.text and "not allowed" not in wrong.text


@pytest.mark.parametrize("language", ("sv", "da", "fi"))
@pytest.mark.parametrize("code", sorted(errors.PAGES))
def test_every_error_page_is_translated(app, language, code):
    heading, text = errors.PAGES[code]
    with app.test_request_context(), force_locale(language):
        body = errors._error_page(code)[0]
        assert body.count("<h1>") == 1
        shown_heading = re.search(r"<h1>(.*?)</h1>", body).group(1)
        assert shown_heading and heading not in body and text not in body, (code, shown_heading)


def test_the_sign_in_settings_list_roles_by_their_translated_titles_and_descriptions(client, make_tenant, make_user):
    tenant = make_tenant(languages=ALL)
    login(client, make_user(("tenant_admin", tenant)), "sv")
    page = client.get(f"/t/{tenant.slug}/admin/sign-in").text
    roles = page[page.index('id="default_role"'):]
    roles = roles[:roles.index("</select>")]
    assert ">Administratör</option>" in roles and ">Verksamhetspersonal</option>" in roles
    assert ">Tenant administrator<" not in roles and ">Programme staff<" not in roles
    described = page[page.index('id="role-descriptions"'):page.index("</details>")]
    assert "<dt>Administratör</dt><dd>Ställer in organisationen: användare, roller, tillägg" in described
    assert "Configures the tenant" not in described and "tenant_admin" not in described


def test_sessions_and_feeds_name_the_programme_by_its_title(client, make_tenant, make_user):
    from datetime import datetime, timedelta, timezone

    tenant = make_tenant(plugins={"sample": {}}, languages=ALL)
    login(client, make_user(("tenant_admin", tenant)), "sv")
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=3)
    created = client.post(f"/api/v1/t/{tenant.slug}/sessions", json={
        "title": "Group meeting", "plugin": "sample", "kind": "group_meeting", "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat()})
    assert created.status_code == 201, created.json
    feeds_url = f"/t/{tenant.slug}/admin/calendar-feeds"
    assert client.post(feeds_url, data={"label": "Ours", "plugin": "sample"}).status_code == 200
    sessions = client.get(f"/t/{tenant.slug}/sessions/").text
    assert "<td>Sample programme</td>" in sessions and "<td>sample</td>" not in sessions
    feeds = client.get(feeds_url).text
    assert "<td>Sample programme</td>" in feeds and "<td>sample</td>" not in feeds
    assert '<option value="sample">Sample programme</option>' in feeds
