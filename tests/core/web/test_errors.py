"""Core's error classes answered by the central handlers: 422 field map, 409, 404; rolled back."""

from __future__ import annotations

from sqlalchemy import select

from core.auth.models import User
from core.db import db
from core.errors import Conflict, FieldError, NotFound
from core.web.errors import PROBLEM_JSON


def _answer(app, exc: Exception, path: str):
    """What the app's registered handler answers for ``exc`` raised while serving ``path``."""
    with app.test_request_context(path):
        return app.make_response(app.handle_user_exception(exc))


def _unsaved_user() -> str:
    """Flush a user that was never committed and return its email."""
    email = "never-committed@example.org"
    db.session.add(User(email=email, name="Never Committed"))
    db.session.flush()
    return email


def _saved(email: str) -> bool:
    return db.session.scalar(select(User).where(User.email == email)) is not None


def test_a_field_error_answers_422_with_the_field_map_and_rolls_back(app, db_session):
    with app.app_context():
        email = _unsaved_user()
        response = _answer(app, FieldError({"name": ["Write a name."]}), "/api/v1/t/x/thing")
        assert not _saved(email)
    assert response.status_code == 422 and response.mimetype == PROBLEM_JSON
    assert response.json["errors"] == {"name": ["Write a name."]}
    assert response.json["title"] == "Unprocessable Entity" and response.json["status"] == 422


def test_a_conflict_answers_409_with_its_message_and_rolls_back(app, db_session):
    with app.app_context():
        email = _unsaved_user()
        response = _answer(app, Conflict("the group is closed"), "/api/v1/t/x/thing")
        assert not _saved(email)
    assert response.status_code == 409 and response.mimetype == PROBLEM_JSON
    assert response.json["detail"] == "the group is closed" and response.json["title"] == "Conflict"


def test_a_conflict_on_a_page_answers_the_error_page(app, db_session):
    with app.app_context():
        email = _unsaved_user()
        response = _answer(app, Conflict("the group is closed"), "/t/x/thing")
        assert not _saved(email)
    assert response.status_code == 409 and response.mimetype == "text/html"


def test_not_found_answers_404_as_a_problem_and_as_a_page(app, db_session):
    with app.app_context():
        api = _answer(app, NotFound("no such thing in this tenant"), "/api/v1/t/x/thing/7")
        page = _answer(app, NotFound("no such thing in this tenant"), "/t/x/thing/7")
    assert api.status_code == 404 and api.mimetype == PROBLEM_JSON
    assert api.json["detail"] == "no such thing in this tenant"
    assert page.status_code == 404 and page.mimetype == "text/html"


def test_service_errors_are_core_error_classes():
    """Callers and tests keep the services' own names; the handlers know them by their base."""
    from core.auth.api_clients.services import ApiClientError
    from core.people.services import PersonError
    from core.sessions.services import SessionError

    assert issubclass(PersonError, FieldError) and issubclass(ApiClientError, FieldError)
    error = SessionError({"starts_at": ["Too early."]}, not_started=True)
    assert isinstance(error, FieldError) and error.errors == {"starts_at": ["Too early."]} and error.not_started
