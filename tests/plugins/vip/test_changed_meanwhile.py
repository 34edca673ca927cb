"""An application that changed while the request was on its way: gone is a 404, otherwise a
409, decided in the service (the API's handlers catch nothing; #8)."""

from __future__ import annotations

from plugins.vip.services import applications as services


def _answer(app, exc):
    with app.test_request_context("/api/v1/t/x/vip/applications/1/withdrawal", method="POST"):
        return app.handle_user_exception(exc)


def test_an_application_gone_meanwhile_is_a_404_and_still_a_conflict_of_the_service(app):
    gone = services.ApplicationGone("no such application in this tenant")
    assert isinstance(gone, services.ApplicationConflict)
    response = _answer(app, gone)
    assert response.status_code == 404 and response.json["detail"] == "no such application in this tenant"


def test_an_application_changed_otherwise_is_a_409(app):
    response = _answer(app, services.ApplicationConflict("The application has already ended."))
    assert response.status_code == 409 and response.json["detail"] == "The application has already ended."
