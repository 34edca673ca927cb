"""The partner API, mounted by core under ``/api/v1/t/<tenant>/partner/``."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from core.toolkit import PageArgsSchema, db, idempotent, paginate, requires
from samverka_partner import services
from samverka_partner.schemas import NoteInSchema, NotePageSchema, NoteSchema

api = Blueprint("partner_api", __name__, description="The partner programme's notes")


@api.route("/notes")
class Notes(MethodView):
    @requires("partner.view")
    @api.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @api.response(200, NotePageSchema)
    def get(self, page, per_page):
        """The tenant's notes, newest first."""
        return paginate(db.session, services.notes_query(), page, per_page)

    @requires("partner.write")
    @idempotent
    @api.arguments(NoteInSchema)
    @api.response(201, NoteSchema)
    def post(self, data):
        """Write a note about a person of this tenant (422 on ``person_id`` when there is no such person)."""
        note = services.add_note(db.session, data["person_id"], data["text"])
        db.session.commit()
        return note
