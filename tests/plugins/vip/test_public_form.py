"""The public VIP application form: easy to read, every answer kept, CSRF, rate limit, thank-you page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.db import tenant_scope
from core.jobs.models import OutboxMessage
from core.people.models import Person
from plugins.vip.models import Application, Channel
from tests.plugins.vip.test_applications import FORM

EN = {"Accept-Language": "en"}


@pytest.fixture
def base(vip_tenant):
    return f"/t/{vip_tenant.slug}/vip"


def _flat(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def _applications(session, tenant):
    with tenant_scope(tenant.id):
        return session.scalars(select(Application)).all()


def test_the_form_is_public_and_explains_the_course_in_easy_words(client, base):
    response = client.get(f"{base}/apply", headers=EN)
    assert response.status_code == 200
    page = _flat(response.text)
    assert '<html lang="en">' in page
    for sentence in ("The course has 12 meetings.", "Each meeting is 2 hours, with a break.", "You get coffee or tea.",
                     "Women and men are in different groups.", "The course is free.",
                     "People who have not been in a VIP group before get a place first."):
        assert sentence in page


def test_the_explanation_follows_the_tenants_settings(client, make_vip_tenant):
    tenant = make_vip_tenant(meetings_per_course=10, completion_meetings=8, meeting_minutes=90,
                             curriculum=[f"Theme {n}" for n in range(10)], audiences=["mixed"])
    page = _flat(client.get(f"/t/{tenant.slug}/vip/apply", headers=EN).text)
    assert "The course has 10 meetings." in page and "Each meeting is 90 minutes, with a break." in page
    assert "Women and men" not in page
    assert 'id="audience-mixed"' in page and 'id="audience-women"' not in page


def test_every_question_is_a_fieldset_and_every_input_has_its_label(client, base):
    page = client.get(f"{base}/apply", headers=EN).text
    assert page.count("<fieldset") == page.count("<legend>") >= 10
    form = page[page.index('<form method="post" action="'):]
    ids = re.findall(r'<(?:input|textarea|select)[^>]*\bid="([^"]+)"', form)
    assert ids and all(f'for="{i}"' in form for i in ids)
    for name, token in (("first_name", "given-name"), ("last_name", "family-name"), ("phone", "tel"),
                        ("email", "email"), ("birth_year", "bday-year")):
        assert re.search(rf'id="{name}"[^>]*autocomplete="{token}"', page), name
    assert 'type="radio"' in page and 'name="csrf_token"' in page
    assert "national_id" not in page  # never asked on the public form


def test_the_page_has_no_inline_style_or_script(client, base):
    page = client.get(f"{base}/apply").text
    assert "<script" not in page and "<style" not in page and "style=" not in page and " on" + "click" not in page


def test_an_empty_form_says_what_is_missing_at_the_top_and_by_each_field(client, base, vip_tenant, db_session):
    response = client.post(f"{base}/apply", data={}, headers=EN)
    assert response.status_code == 422
    page = _flat(response.text)
    assert "<title>Something is missing:" in page
    summary = page[page.index('class="vip-error-summary"'):page.index("</ul>", page.index('class="vip-error-summary"'))]
    for field, anchor in (("first_name", "first_name"), ("last_name", "last_name"), ("contact_via", "contact_via-self"),
                          ("audience", "audience-women"), ("taken_before", "taken_before-yes"),
                          ("consent", "consent"), ("consent_given_by", "consent_given_by-self")):
        assert f'href="#{anchor}"' in summary, field
        assert f'id="{anchor}"' in page and f'id="{field}-error"' in page
    assert 'id="first_name" name="first_name" value="" autocomplete="given-name" maxlength="100" aria-invalid="true" aria-describedby="first_name-error"' in page
    assert _applications(db_session, vip_tenant) == []


def test_a_missing_answer_keeps_every_other_answer(client, base, vip_tenant, db_session):
    typed = {**FORM, "first_name": "", "contact_via": "guardian", "contact_name": "Greta Berg",
             "contact_phone": "", "contact_email": "greta@example.org", "interpreter_needed": "yes",
             "interpreter_language": "Tigrinya", "needs": "A quiet room & a ramp", "birth_year": "1994",
             "taken_before": "dont_know", "consent_given_by": "guardian"}
    response = client.post(f"{base}/apply", data=typed, headers=EN)
    assert response.status_code == 422
    page = _flat(response.text)
    assert 'href="#first_name"' in page and page.count('class="field-error"') == 1
    for name in ("last_name", "contact_name", "contact_email", "interpreter_language", "birth_year"):
        assert f'value="{typed[name]}"' in page, name
    assert ">A quiet room &amp; a ramp</textarea>" in page
    for name, value in (("contact_via", "guardian"), ("audience", "women"), ("taken_before", "dont_know"),
                        ("interpreter_needed", "yes"), ("consent_given_by", "guardian")):
        assert re.search(rf'id="{name}-{value}" name="{name}" value="{value}" checked', page), name
    assert 'id="consent" name="consent" value="yes" checked' in page
    assert _applications(db_session, vip_tenant) == []


def test_contact_rules_show_by_the_right_field(client, base):
    own = _flat(client.post(f"{base}/apply", data={**FORM, "phone": "", "email": ""}, headers=EN).text)
    assert 'id="phone-error"' in own and "Write your phone number or your email address" in own
    other = _flat(client.post(f"{base}/apply", data={**FORM, "contact_via": "contact_person"}, headers=EN).text)
    assert 'id="contact_name-error"' in other and 'id="contact_phone-error"' in other
    wrong = _flat(client.post(f"{base}/apply", data={**FORM, "email": "anna(at)example"}, headers=EN).text)
    assert 'id="email-error"' in wrong and 'value="anna(at)example"' in wrong


def test_an_audience_the_tenant_does_not_run_is_refused(client, make_vip_tenant):
    tenant = make_vip_tenant(audiences=["young_women", "young_men"])
    response = client.post(f"/t/{tenant.slug}/vip/apply", data=FORM, headers=EN)
    assert response.status_code == 422 and 'id="audience-error"' in response.text


def test_a_complete_application_is_saved_and_thanked_without_personal_data_in_the_address(
        client, base, vip_tenant, db_session):
    response = client.post(f"{base}/apply", data=FORM, headers=EN)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.endswith(f"{base}/apply/thanks")
    # What follows the tenant's own address (whose generated slug may hold any digits).
    for secret in ("Anna", "Berg", "070", "example.org"):
        assert secret not in location.split(base, 1)[1]
    thanks = _flat(client.get(location, headers=EN).text)
    assert "Thank you for your application" in thanks and "We have sent an email about it." in thanks
    # A reload is still thanks, without repeating what only the first visit knows.
    assert "We have sent an email" not in client.get(location, headers=EN).text
    [application] = _applications(db_session, vip_tenant)
    assert application.channel == Channel.web
    with tenant_scope(vip_tenant.id):
        person = db_session.get(Person, application.person_id)
        assert (person.first_name, person.preferred_language, person.national_id_index) == ("Anna", "en", None)
        [message] = db_session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "anna.berg@example.org" and '<html lang="en">' in message.body_html


def test_without_an_email_the_thanks_page_promises_no_email(client, base):
    response = client.post(f"{base}/apply", data={**FORM, "email": ""}, headers=EN)
    thanks = client.get(response.headers["Location"], headers=EN).text
    assert "Thank you for your application" in thanks and "sent an email" not in thanks


def test_the_acknowledgement_is_in_the_language_the_form_was_filled_in(client, base, vip_tenant, db_session):
    client.post("/language", data={"language": "sv", "next": f"{base}/apply"})
    assert '<html lang="sv">' in client.get(f"{base}/apply").text
    assert client.post(f"{base}/apply", data=FORM).status_code == 303
    with tenant_scope(vip_tenant.id):
        [message] = db_session.scalars(select(OutboxMessage)).all()
        [person] = db_session.scalars(select(Person)).all()
    assert '<html lang="sv">' in message.body_html and person.preferred_language == "sv"


def test_a_national_id_posted_to_the_public_form_is_ignored(client, base, vip_tenant, db_session):
    assert client.post(f"{base}/apply", data={**FORM, "national_id": "19811218-9876"}).status_code == 303
    with tenant_scope(vip_tenant.id):
        [person] = db_session.scalars(select(Person)).all()
    assert person.national_id_index is None and person.national_id_encrypted is None


def test_the_form_is_not_found_where_vip_is_off(client, make_tenant):
    tenant = make_tenant(languages=("sv", "en"))
    assert client.get(f"/t/{tenant.slug}/vip/apply").status_code == 404
    assert client.post(f"/t/{tenant.slug}/vip/apply", data=FORM).status_code == 404
    assert client.get(f"/t/{tenant.slug}/vip/apply/thanks").status_code == 404
    assert client.get("/t/no-such-town/vip/apply").status_code == 404


def test_a_post_without_the_csrf_token_is_refused_and_saves_nothing(csrf_client, base, vip_tenant, db_session):
    refused = csrf_client.post(f"{base}/apply", data=FORM)
    assert refused.status_code == 400
    assert _applications(db_session, vip_tenant) == []
    page = csrf_client.get(f"{base}/apply").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    accepted = csrf_client.post(f"{base}/apply", data={**FORM, "csrf_token": token})
    assert accepted.status_code == 303
    assert len(_applications(db_session, vip_tenant)) == 1


def test_too_many_posts_from_one_address_are_refused(client, base, vip_tenant, db_session):
    for _ in range(10):
        assert client.post(f"{base}/apply", data={"first_name": "Spam"}).status_code == 422
    assert client.post(f"{base}/apply", data=FORM).status_code == 429
    assert _applications(db_session, vip_tenant) == []
    # Reading the form is not counted.
    assert client.get(f"{base}/apply").status_code == 200


def test_odd_input_never_breaks_the_form(client, base):
    for data in ({"first_name": "x" * 5000, "birth_year": "99999999999999999999"},
                 {"consent": ["yes", "no"], "audience": "women\u202e"},
                 {**FORM, "phone": "+" * 41}):
        response = client.post(f"{base}/apply", data=data)
        assert response.status_code == 422
    assert client.post(f"{base}/apply", data={"first_name": "A\x00"}).status_code == 400


def test_a_name_with_a_direction_override_is_refused_and_the_answers_kept(client, base, vip_tenant, db_session):
    response = client.post(f"{base}/apply", data={**FORM, "first_name": "Anna\u202egreB"}, headers=EN)
    assert response.status_code == 422
    page = _flat(response.text)
    assert 'href="#first_name"' in page and page.count('class="field-error"') == 1
    assert f'value="{FORM["last_name"]}"' in page
    assert _applications(db_session, vip_tenant) == []


# --- Whom to contact, and withdrawing through the acknowledgement's link (#7 item 22) -----------


def test_the_thanks_page_names_whom_to_contact_when_the_tenant_set_it(client, make_vip_tenant, base):
    tenant = make_vip_tenant(contact_name="Linn Samordnare", contact_phone="016-10 00 00",
                             contact_email="vip@kommun.example")
    client.post(f"/t/{tenant.slug}/vip/apply", data=FORM, headers=EN)
    thanks = _flat(client.get(f"/t/{tenant.slug}/vip/apply/thanks", headers=EN).text)
    assert "Who to contact" in thanks and "Linn Samordnare" in thanks
    assert 'href="tel:016-100000"' in thanks and 'href="mailto:vip@kommun.example"' in thanks
    assert "Who to contact" not in client.get(f"{base}/apply/thanks", headers=EN).text  # none set here


def test_an_invalid_contact_setting_is_refused(make_vip_tenant):
    from plugins.vip.settings import VipSettings

    errors = VipSettings().validate({"contact_phone": "call me", "contact_email": "nope"})
    assert set(errors) == {"contact_phone", "contact_email"}


def _withdraw_link(db_session, tenant, recipient):
    with tenant_scope(tenant.id):
        message = db_session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == recipient)).one()
    links = re.findall(r"https?://\S+/withdraw/[\w-]+", message.body_text)
    assert links and all(link in message.body_html for link in links)
    return links[0]


def test_the_acknowledgement_links_to_withdrawal_at_the_base_url_never_the_request_host(
        app, client, base, vip_tenant, db_session):
    # An unknown host is refused outright (tests/core/web/test_urls.py); a trusted one that is
    # not the base URL's must still not end up in the link.
    assert client.post(f"{base}/apply", data=FORM, headers=EN, base_url="http://localhost").status_code == 303
    link = _withdraw_link(db_session, vip_tenant, "anna.berg@example.org")
    assert link.startswith(app.extensions["samverka"].settings.base_url.rstrip("/") + f"{base}/withdraw/")
    assert "localhost" not in link


def test_the_link_asks_then_withdraws_once(client, base, vip_tenant, db_session):
    from core.audit.models import AuditEvent
    from plugins.vip.models import ApplicationStatus

    client.post(f"{base}/apply", data=FORM, headers=EN)
    path = "/" + _withdraw_link(db_session, vip_tenant, "anna.berg@example.org").split("/", 3)[3]
    page = _flat(client.get(path, headers=EN).text)
    assert "Take back the application" in page and "Anna" in page and "Berg" not in page
    assert 'name="csrf_token"' in page and 'method="post"' in page
    assert client.post(path, data={}, headers=EN).status_code == 422  # nothing confirmed, nothing done
    [application] = _applications(db_session, vip_tenant)
    assert application.status == ApplicationStatus.waiting
    done = client.post(path, data={"confirm": "yes"}, headers=EN)
    assert done.status_code == 200 and "The application is taken back" in done.text
    with tenant_scope(vip_tenant.id):
        application = db_session.get(Application, application.id, populate_existing=True)
        events = db_session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "vip.application.withdraw")).all()
    assert (application.status, application.closed_reason) == (ApplicationStatus.withdrawn, "applicant_asked")
    assert events == [{"reason": "applicant_asked", "was": "waiting", "via_link": True}]
    for again in (client.get(path, headers=EN), client.post(path, data={"confirm": "yes"}, headers=EN)):
        assert again.status_code == 404 and "We cannot find this application" in again.text
    assert len(_applications(db_session, vip_tenant)) == 1


def test_an_unknown_or_foreign_link_is_a_clear_404(client, base, vip_tenant, make_vip_tenant, db_session):
    other = make_vip_tenant()
    client.post(f"/t/{other.slug}/vip/apply", data=FORM, headers=EN)
    foreign = _withdraw_link(db_session, other, "anna.berg@example.org").rsplit("/", 1)[1]
    for token in ("nope", "x" * 300, foreign):
        for response in (client.get(f"{base}/withdraw/{token}", headers=EN),
                         client.post(f"{base}/withdraw/{token}", data={"confirm": "yes"}, headers=EN)):
            assert response.status_code == 404 and "We cannot find this application" in response.text
    assert [a.status.value for a in _applications(db_session, other)] == ["waiting"]


def test_withdrawing_by_link_needs_the_csrf_token(csrf_client, base, vip_tenant, db_session):
    page = csrf_client.get(f"{base}/apply").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    csrf_client.post(f"{base}/apply", data={**FORM, "csrf_token": token})
    path = "/" + _withdraw_link(db_session, vip_tenant, "anna.berg@example.org").split("/", 3)[3]
    assert csrf_client.post(path, data={"confirm": "yes"}).status_code == 400
    assert [a.status.value for a in _applications(db_session, vip_tenant)] == ["waiting"]


def test_a_place_withdrawn_by_link_is_offered_to_the_next_in_line(client, base, vip_tenant, db_session):
    from datetime import datetime, timezone

    from core.toolkit import OfferStatus
    from plugins.vip.models import ApplicationStatus, Group, Offer

    client.post(f"{base}/apply", data=FORM, headers=EN)
    client.post(f"{base}/apply", data={**FORM, "first_name": "Bea", "email": "bea@example.org"}, headers=EN)
    with tenant_scope(vip_tenant.id):
        anna, bea = sorted(db_session.scalars(select(Application)), key=lambda a: a.id)
        group = Group(name="Women spring", audience="women", capacity=1)
        db_session.add(group)
        db_session.flush()
        anna.status, anna.group_id, anna.placed_at = ApplicationStatus.placed, group.id, datetime.now(timezone.utc)
        db_session.commit()
        anna_id, bea_id, group_id = anna.id, bea.id, group.id
    path = "/" + _withdraw_link(db_session, vip_tenant, "anna.berg@example.org").split("/", 3)[3]
    assert "Someone else gets the place." in _flat(client.get(path, headers=EN).text)
    assert client.post(path, data={"confirm": "yes"}, headers=EN).status_code == 200
    with tenant_scope(vip_tenant.id):
        offers = db_session.scalars(select(Offer).where(Offer.group_id == group_id)).all()
        assert db_session.get(Application, anna_id, populate_existing=True).status == ApplicationStatus.withdrawn
    assert [(o.application_id, o.status) for o in offers] == [(bea_id, OfferStatus.open)]


# --- The paper form to print (#7 item 18a) ------------------------------------------------------


def _texts(html: str, tag: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", _flat(t)).strip() for t in re.findall(rf"<{tag}[^>]*>(.*?)</{tag}>", html, re.S)]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_paper_form_asks_every_question_of_the_online_form(client, base, lang):
    from plugins.vip.schemas import VipApplicationInSchema

    online = client.get(f"{base}/apply", headers={"Accept-Language": lang}).text
    paper = client.get(f"{base}/apply/paper?lang={lang}", headers=EN)
    assert paper.status_code == 200 and f'<html lang="{lang}">' in paper.text
    start = online.index('<form method="post" action="')
    form = online[start:online.index("</form>", start)]
    online_fields = set(re.findall(r'\bname="([^"]+)"', form)) - {"csrf_token"}
    paper_fields = re.findall(r'data-field="([^"]+)"', paper.text)
    assert set(paper_fields) == online_fields == set(VipApplicationInSchema().fields)
    assert len(paper_fields) == len(set(paper_fields))
    # Every question, every answer's label and every choice reads the same on paper.
    page = _flat(paper.text)
    # Not the form's own words: "press the button at the bottom", and the button.
    questions = re.sub(r'<p class="vip-lead">.*?</p>|<p><button.*?</p>', "", form, flags=re.S)
    for text in [*_texts(questions, "legend"), *_texts(questions, "label"), *_texts(questions, "p")]:
        assert text in page, text
    assert "<input" not in page.split('class="vip-paper-tools"', 1)[1]  # boxes to write in, not inputs


def test_the_paper_form_is_linked_from_the_online_form_and_offers_the_tenants_languages(client, make_vip_tenant):
    tenant = make_vip_tenant(audiences=["mixed"])
    base = f"/t/{tenant.slug}/vip"
    assert f'href="{base}/apply/paper"' in client.get(f"{base}/apply", headers=EN).text
    paper = client.get(f"{base}/apply/paper", headers=EN).text
    for lang in ("sv", "en", "da", "fi"):
        assert f'href="{base}/apply/paper?lang={lang}" lang="{lang}"' in paper
    assert 'data-field="audience"' in paper and "Everyone" in paper and "Women" not in paper
    assert "<script" not in paper and "style=" not in paper
    assert '<html lang="en">' in client.get(f"{base}/apply/paper?lang=xx", headers=EN).text  # unknown: as in use


def test_the_paper_form_names_whom_to_send_it_to(client, make_vip_tenant):
    tenant = make_vip_tenant(contact_name="Linn Samordnare", contact_email="vip@kommun.example",
                             contact_address="Kommunen\nVIP <box>\n631 86 Eskilstuna")
    page = _flat(client.get(f"/t/{tenant.slug}/vip/apply/paper", headers=EN).text)
    assert f"Send the paper to {tenant.name}." in page and "Linn Samordnare" in page
    assert "Address:<br>Kommunen<br>VIP &lt;box&gt;<br>631 86 Eskilstuna" in page  # where to post it


def test_the_paper_form_is_not_found_where_vip_is_off(client, make_tenant):
    tenant = make_tenant(languages=("sv", "en"))
    assert client.get(f"/t/{tenant.slug}/vip/apply/paper").status_code == 404
