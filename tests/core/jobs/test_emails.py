"""Templated email: written in the recipient's language, queued once per key, linking under the base URL."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import select

from core.db import tenant_scope
from core.jobs.emails import queue_email, queued_keys, recipient_language
from core.jobs.models import OutboxMessage

#: A plugin's email, as three templates: subject, text and HTML. "Log out" is in core's catalogs.
TEMPLATES = {
    "test/email/note.subject.txt": "{{ _('Log out') }}:\n  {{ name }}\n",
    "test/email/note.txt": "{{ lang }}|{{ _('Log out') }}|{{ subject }}|{{ external_url('invitations.accept', token=token) }}",
    "test/email/note.html": "<p lang=\"{{ lang }}\">{{ name }}</p>",
    "test/email/plain.subject.txt": "Plain",
    "test/email/plain.txt": "{{ day }}",
}


@pytest.fixture
def templates(app, monkeypatch):
    """The test email's templates, found beside the app's own."""
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader]))


@contextmanager
def request_in(app, tenant, host="samverka.example.org"):
    with app.test_request_context(headers={"Host": host}), tenant_scope(tenant.id):
        yield


def _outbox(db_session, tenant) -> list[OutboxMessage]:
    with tenant_scope(tenant.id):
        return list(db_session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_the_language_is_the_persons_when_the_tenant_offers_it_else_the_tenants_first(app, make_tenant, make_person):
    tenant = make_tenant(languages=("sv", "fi", "en"))
    finnish = make_person(tenant, preferred_language="fi")
    german = make_person(tenant, preferred_language="de")
    with app.app_context():
        assert recipient_language(finnish, tenant) == "fi"
        assert recipient_language(german, tenant) == "sv"
        assert recipient_language(None, tenant) == "sv"
        assert recipient_language(finnish, make_tenant(languages=("da",))) == "da"
        assert recipient_language(finnish, make_tenant(languages=())) == app.extensions["samverka"].settings.default_language


def test_the_email_is_rendered_and_queued_in_the_recipients_language(app, db_session, make_tenant, make_person,
                                                                      templates):
    tenant = make_tenant(languages=("sv", "fi", "en"))
    finnish = make_person(tenant, first_name="Aino", preferred_language="fi")
    with request_in(app, tenant):
        message = queue_email(db_session, to="aino@example.org", template="test/email/note", key="note.1",
                              person=finnish, context={"name": "Aino", "token": "abc"})
        db_session.commit()
    assert message is not None and message.recipient == "aino@example.org"
    assert message.subject == "Kirjaudu ulos: Aino"  # one line, in Finnish
    lang, words, subject, _link = message.body_text.split("|")
    assert (lang, words, subject) == ("fi", "Kirjaudu ulos", "Kirjaudu ulos: Aino")
    assert message.body_html == '<p lang="fi">Aino</p>'
    assert message.idempotency_key == "note.1"

    with request_in(app, tenant):  # a language given wins over the person's
        swedish = queue_email(db_session, to="aino@example.org", template="test/email/note", key="note.2",
                              person=finnish, language="sv", context={"name": "Aino", "token": "abc"})
    assert swedish.subject == "Logga ut: Aino"


def test_a_function_of_the_language_gives_the_context_in_that_language(app, db_session, make_tenant, templates):
    tenant = make_tenant(languages=("fi",))
    seen = []

    def context(language: str) -> dict:
        from flask_babel import get_locale

        seen.append((language, str(get_locale())))
        return {"day": f"day in {language}"}

    with request_in(app, tenant):
        message = queue_email(db_session, to="a@example.org", template="test/email/plain", key="plain", context=context)
    assert seen == [("fi", "fi")]
    assert (message.body_text, message.body_html) == ("day in fi", None)  # no HTML template: text only


def test_a_key_already_queued_returns_the_first_message_and_adds_none(app, db_session, make_tenant, templates):
    tenant = make_tenant()
    with request_in(app, tenant):
        first = queue_email(db_session, to="a@example.org", template="test/email/note", key="note.once",
                            context={"name": "First", "token": "t1"})
        again = queue_email(db_session, to="b@example.org", template="test/email/note", key="note.once",
                            context={"name": "Second", "token": "t2"})
        db_session.commit()
    assert again.id == first.id
    [stored] = _outbox(db_session, tenant)
    assert (stored.recipient, stored.subject.endswith("First")) == ("a@example.org", True)


def test_queued_keys_answers_which_keys_are_queued_in_one_query(app, db_session, make_tenant, templates,
                                                                query_counter):
    tenant, other = make_tenant(), make_tenant()
    with request_in(app, tenant):
        for key in ("k.1", "k.2"):
            queue_email(db_session, to="a@example.org", template="test/email/plain", key=key, context={"day": "x"})
        db_session.commit()
    with request_in(app, other):
        queue_email(db_session, to="a@example.org", template="test/email/plain", key="k.3", context={"day": "x"})
        db_session.commit()
    with tenant_scope(tenant.id):
        with query_counter.counting() as counted:
            assert queued_keys(db_session, ["k.1", "k.3", "k.4"]) == {"k.1"}  # k.3 is another tenant's
        assert counted.count == 1
        with query_counter.counting() as counted:
            assert queued_keys(db_session, []) == set()
        assert counted.count == 0


def test_links_start_with_the_base_url_whatever_host_the_request_names(app, db_session, make_tenant, templates):
    tenant = make_tenant()
    base = app.extensions["samverka"].settings.base_url
    with request_in(app, tenant, host="attacker.example"):
        message = queue_email(db_session, to="a@example.org", template="test/email/note", key="link",
                              context={"name": "A", "token": "tok"})
    link = message.body_text.split("|")[3]
    assert link == f"{base}/t/{tenant.slug}/invitations/tok" and "attacker" not in link
    with app.app_context(), tenant_scope(tenant.id):  # a due-job: no request at all
        job = queue_email(db_session, to="a@example.org", template="test/email/note", key="link.job",
                          context={"name": "A", "token": "tok"})
    assert job.body_text.split("|")[3] == link


@pytest.mark.parametrize("address", [None, "", "   ", "not an address", "a@example.org\nBcc: b@example.org"])
def test_no_usable_address_queues_nothing_and_is_no_error(app, db_session, make_tenant, templates, address):
    tenant = make_tenant()
    with request_in(app, tenant):
        assert queue_email(db_session, to=address, template="test/email/plain", key="none",
                           context={"day": "x"}) is None
        db_session.commit()
    assert _outbox(db_session, tenant) == []
