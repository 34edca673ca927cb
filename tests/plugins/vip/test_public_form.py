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
