"""core.web.forms.form_page: the one path of a form page (GET renders; POST validates, then 422
with the answers kept and the errors shown, or runs the action, commits, flashes, redirects)."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from flask import Flask, get_flashed_messages, render_template_string, request
from flask_wtf import CSRFProtect
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from core.errors import Conflict, FieldError
from core.web import forms
from core.web.forms import form_page, read_moment, typed_answers

PAGE = ("<form>{% for name, value in typed.items() %}<input name='{{ name }}' value='{{ value }}'>{% endfor %}"
        "{% for name, messages in errors.items() %}<p id='{{ name }}-error'>{{ messages | join(' ') }}</p>"
        "{% endfor %}</form>{{ flashed }}")


class NameInSchema(Schema):
    """The API's input of the same action."""
    name = fields.String(required=True, validate=validate.Length(min=1, max=10))
    size = fields.Integer(load_default=1)


class FakeSession:
    """Stands in for the request's database session: what was committed and rolled back."""

    def __init__(self):
        self.calls: list[str] = []

    def commit(self):
        self.calls.append("commit")

    def rollback(self):
        self.calls.append("rollback")


@pytest.fixture
def session(monkeypatch):
    fake = FakeSession()
    monkeypatch.setattr(forms.db, "session", fake, raising=False)
    return fake


def _app(action, **options) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)

    @app.route("/things/new", methods=["GET", "POST"])
    def new_thing():
        return form_page(lambda typed, errors: render_template_string(PAGE, typed=typed, errors=errors),
                         action, done=lambda result: f"/things/{result}", **options)

    @app.get("/flashed")
    def flashed():
        return " | ".join(f"{category}: {message}" for category, message in get_flashed_messages(with_categories=True))

    return app


def test_get_renders_the_initial_answers(session):
    client = _app(lambda data: 1, schema=NameInSchema(), initial={"name": "Start"}).test_client()
    page = client.get("/things/new")
    assert page.status_code == 200 and "value='Start'" in page.text and "-error" not in page.text
    assert session.calls == []


def test_invalid_input_is_a_422_with_the_answers_kept_and_the_errors_shown(session):
    done = []
    client = _app(done.append, schema=NameInSchema()).test_client()
    page = client.post("/things/new", data={"name": "far too long a name", "size": "many"})
    assert page.status_code == 422
    assert "value='far too long a name'" in page.text and "value='many'" in page.text
    assert "id='name-error'>Length must be between 1 and 10." in page.text
    assert "id='size-error'>Not a valid integer." in page.text
    assert done == [] and "commit" not in session.calls


def test_a_blank_answer_the_service_requires_is_refused_in_its_words_with_its_other_errors(session):
    def create(data):
        assert data == {"name": None, "size": 1}
        raise FieldError({"name": ["Give it a name."], "size": ["Too small for that."]})

    client = _app(create, schema=NameInSchema(), read=lambda form: {"name": form["name"].strip()},
                  blank=["name"]).test_client()
    page = client.post("/things/new", data={"name": "  "})
    assert page.status_code == 422 and "id='name-error'>Give it a name.</p>" in page.text
    assert "id='size-error'>Too small for that." in page.text


def test_the_page_may_word_what_the_schema_refuses(session):
    client = _app(lambda data: 1, schema=NameInSchema(), worded={"size": "Write a number."}).test_client()
    page = client.post("/things/new", data={"name": "Anna", "size": "many"})
    assert page.status_code == 422 and "id='size-error'>Write a number.</p>" in page.text


def test_a_field_error_of_the_service_rolls_back_and_re_renders(session):
    def refuse(data):
        raise FieldError({"first_start": ["That time has passed."]})

    client = _app(refuse, schema=NameInSchema(), read=lambda form: {"name": form["name"]},
                  renamed={"first_start": "when"}).test_client()
    page = client.post("/things/new", data={"name": "Anna", "when": "2020-01-01"})
    assert page.status_code == 422
    assert "value='Anna'" in page.text and "value='2020-01-01'" in page.text
    assert "id='when-error'>That time has passed." in page.text
    assert session.calls == ["rollback"]


def test_a_conflict_re_renders_with_409_at_its_field(session):
    class Clash(Conflict, FieldError):
        pass

    def clash(data):
        raise Clash({"room": ["The room is booked then."]})

    def taken(data):
        raise Conflict("The name is taken.")

    page = _app(clash).test_client().post("/things/new", data={"room": "A"})
    assert page.status_code == 409 and "id='room-error'>The room is booked then." in page.text
    page = _app(taken, conflict_field="name").test_client().post("/things/new", data={"name": "Anna"})
    assert page.status_code == 409 and "id='name-error'>The name is taken." in page.text
    assert session.calls == ["rollback", "rollback"]


def test_success_commits_flashes_and_redirects(session):
    done = []

    def create(data):
        done.append(data)
        return 7

    client = _app(create, schema=NameInSchema(),
                  flash_message=lambda result: f"Thing {result} is saved.").test_client()
    response = client.post("/things/new", data={"name": "Anna", "csrf_token": "x"})
    assert response.status_code == 302 and response.headers["Location"] == "/things/7"
    assert done == [{"name": "Anna", "size": 1}] and session.calls == ["commit"]
    assert client.get("/flashed").text == "success: Thing 7 is saved."


def test_a_flash_may_name_its_category(session):
    client = _app(lambda data: None, flash_message=("Nothing was saved.", "info")).test_client()
    assert client.post("/things/new", data={}).status_code == 302
    assert client.get("/flashed").text == "info: Nothing was saved."


def test_the_read_step_may_refuse_an_answer_it_cannot_read(session):
    zone = ZoneInfo("Europe/Stockholm")

    def read(form):
        return {"when": read_moment(form, ("day", "Give the day."), ("at", "Give the time."), zone)}

    seen = []
    client = _app(seen.append, read=read).test_client()
    page = client.post("/things/new", data={"day": "someday", "at": "noon"})
    assert page.status_code == 422
    assert "id='day-error'>Give the day." in page.text and "id='at-error'>Give the time." in page.text
    assert client.post("/things/new", data={"day": "2030-06-01", "at": "13:00"}).status_code == 302
    assert seen == [{"when": datetime(2030, 6, 1, 11, 0, tzinfo=timezone.utc)}]


def test_csrf_is_still_enforced(session):
    app = _app(lambda data: 1, schema=NameInSchema())
    app.config["WTF_CSRF_ENABLED"] = True
    CSRFProtect(app)
    refused = app.test_client().post("/things/new", data={"name": "Anna"})
    assert refused.status_code == 400 and session.calls == []


def test_typed_answers_keep_several_values_where_asked_and_leave_the_token_out():
    form = MultiDict([("csrf_token", "t"), ("name", "Anna"), ("leader_ids", "1"), ("leader_ids", "2")])
    assert typed_answers(form) == {"name": "Anna", "leader_ids": "1"}
    assert typed_answers(form, ["leader_ids"]) == {"name": "Anna", "leader_ids": ["1", "2"]}
