"""VIP's words on every page in the reader's language: its description and title, settings,
outreach statuses, the export's field names and its figures (issue #7 item 21)."""

from __future__ import annotations

import re
from datetime import timedelta

from core.db import tenant_scope, utcnow
from core.people.models import Consent, ConsentGiver
from plugins.vip.settings import DEFAULT_CURRICULUM, current_settings
from core.testing.app import login
from tests.plugins.vip.test_metrics import vip_rows, weekly  # noqa: F401  (the fixture)


def _admin(client, make_user, tenant, language="sv"):
    login(client, make_user(("tenant_admin", tenant)), language)


def test_the_plugins_page_shows_the_description_translated(client, make_user, vip_tenant):
    _admin(client, make_user, vip_tenant)
    page = client.get(f"/t/{vip_tenant.slug}/admin/plugins").text
    assert "VIP-kursen: tolv gruppträffar om känslor, relationer och rättigheter" in page
    assert "The VIP course" not in page


def test_the_settings_form_shows_audiences_and_default_themes_translated(client, make_user, vip_tenant):
    _admin(client, make_user, vip_tenant)
    page = client.get(f"/t/{vip_tenant.slug}/admin/plugins/vip").text
    assert re.search(r'value="women" checked> <label for="audiences-1">Kvinnor</label>', page)
    assert ">Män</label>" in page and ">Unga kvinnor</label>" in page
    assert ">women<" not in page and ">young_women<" not in page
    curriculum = page[page.index('<textarea id="curriculum"'):]
    curriculum = curriculum[curriculum.index(">") + 1:curriculum.index("</textarea>")]
    assert curriculum.splitlines()[:3] == ["Känslor", "Känslor", "Relationer"]
    assert "Emotions" not in curriculum


def test_the_default_themes_typed_in_swedish_are_stored_as_the_default(client, db_session, make_user, vip_tenant):
    _admin(client, make_user, vip_tenant)
    page = client.get(f"/t/{vip_tenant.slug}/admin/plugins/vip").text
    shown = page[page.index('<textarea id="curriculum"'):]
    shown = shown[shown.index(">") + 1:shown.index("</textarea>")]
    response = client.post(f"/t/{vip_tenant.slug}/admin/plugins/vip", data={
        "audiences": ["women", "men"], "curriculum": shown + "\n", "trains_leaders": ""})
    assert response.status_code == 302, response.text
    with tenant_scope(vip_tenant.id):
        assert current_settings(db_session)["curriculum"] == list(DEFAULT_CURRICULUM)


def test_the_settings_forms_own_and_marshmallows_messages_are_in_swedish(client, make_user, vip_tenant):
    _admin(client, make_user, vip_tenant)
    response = client.post(f"/t/{vip_tenant.slug}/admin/plugins/vip", data={
        "participants_per_group": "1", "audiences": ["women"], "completion_meetings": "13"})
    assert response.status_code == 422
    page = response.text
    assert "Måste vara minst 2 och högst 20." in page
    response = client.post(f"/t/{vip_tenant.slug}/admin/plugins/vip", data={
        "audiences": ["women"], "completion_meetings": "13"})
    page = response.text
    assert "Kan inte vara fler än antalet träffar per kurs." in page
    assert "Cannot be more" not in page and "Must be" not in page


def test_outreach_statuses_are_translated(client, coordinator, vip_tenant, vip_rows):  # noqa: F811
    vip_rows.outreach(vip_tenant)
    login(client, coordinator, "sv")
    page = client.get(f"/t/{vip_tenant.slug}/vip/outreach/").text
    for label in ("Inte informerad ännu", "Informerad, inte erbjuden", "Erbjuden"):
        assert f">{label}</option>" in page, label
    assert "<td>Inte informerad ännu</td>" in page
    assert "Not yet informed" not in page and "Informed, not offered" not in page


def test_the_export_page_shows_field_names_and_the_programme_translated(
        client, db_session, make_user, vip_tenant, vip_rows):  # noqa: F811
    application = vip_rows.application(vip_tenant)
    with tenant_scope(vip_tenant.id):
        db_session.add(Consent(person_id=application.person_id, purpose="VIP", plugin="vip",
                               given_by=ConsentGiver.self, given_on=utcnow().date()))
        db_session.flush()
    _admin(client, make_user, vip_tenant)
    page = client.get(f"/t/{vip_tenant.slug}/people/{application.person_id}/export").text
    for label in ("Förnamn", "Efternamn", "Ansökningar", "Målgrupp", "Ansökt", "Program"):
        assert f"<dt>{label}</dt>" in page, label
    assert "<h2>Verksamhet: VIP</h2>" in page and "<dd>VIP</dd>" in page
    assert "first name" not in page and "<dt>applications</dt>" not in page and ">vip<" not in page


def test_pages_name_the_programme_by_its_title(client, coordinator, make_user, vip_tenant, vip_rows):  # noqa: F811
    people = [vip_rows.application(vip_tenant) for _ in range(2)]
    vip_rows.group(vip_tenant, starts=weekly(utcnow() + timedelta(days=3), 2), placed=people, name="Spring")
    _admin(client, make_user, vip_tenant)
    sessions = client.get(f"/t/{vip_tenant.slug}/sessions/").text
    assert "<td>VIP</td>" in sessions and "<td>vip</td>" not in sessions
    plugins = client.get(f"/t/{vip_tenant.slug}/admin/plugins").text
    assert ">vip<" not in plugins


def test_the_statistics_page_writes_rates_with_the_locales_decimal_sign(
        client, make_user, vip_tenant, vip_rows):  # noqa: F811
    for taken_before in (False,) * 5 + (True,):
        vip_rows.application(vip_tenant, taken_before=taken_before)
    _admin(client, make_user, vip_tenant)
    page = client.get(f"/t/{vip_tenant.slug}/stats/").text
    assert "<td>83,3</td>" in page and "83.3" not in page
    _admin(client, make_user, vip_tenant, "en")
    assert "<td>83.3</td>" in client.get(f"/t/{vip_tenant.slug}/stats/").text
