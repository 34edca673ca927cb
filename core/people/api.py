"""REST endpoints for people and their consents."""

from __future__ import annotations

from flask import current_app, g
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from core.auth.guard import has_permission
from core.auth.permissions import requires
from core.db import db
from core.web.idempotency import idempotent
from core.web.openapi import conflict_response
from core.pagination import PageArgsSchema, page_schema, paginate
from core.people import services
from core.people.models import Consent
from core.people.schemas import (
    ConsentInSchema,
    ConsentSchema,
    ConsentWithdrawSchema,
    DuplicateQuerySchema,
    DuplicateSchema,
    ErasureResultSchema,
    ErasureSchema,
    PersonArgsSchema,
    PersonInSchema,
    PersonPatchSchema,
    PersonSchema,
)

bp = Blueprint("people_api", __name__, url_prefix="/people", description="People and their consents")
PersonPage = page_schema(PersonSchema, "PersonPage")


def _vault():
    return current_app.extensions["samverka"].vault


def _shown(person):
    return services.shown(person, see_protected=has_permission("core.people.protected"))



@bp.route("")
class People(MethodView):
    @requires("core.people.read")
    @bp.arguments(PersonArgsSchema, location="query")
    @bp.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @bp.response(200, PersonPage)
    def get(self, args, page, per_page):
        """The tenant's people, by last name; ``q`` matches part of a name."""
        result = paginate(db.session, services.search_people(args["q"]), page, per_page)
        result.items = [_shown(p) for p in result.items]
        return result

    @requires("core.people.write")
    @idempotent
    @bp.arguments(PersonInSchema)
    @bp.response(201, PersonSchema)
    def post(self, data):
        """Add a person. A national ID is validated for its country, encrypted and never returned."""
        person = services.create_person(db.session, _vault(), data, country=g.tenant.country)
        db.session.commit()
        return _shown(person)


@bp.route("/duplicates")
class Duplicates(MethodView):
    @requires("core.people.read")
    @bp.arguments(DuplicateQuerySchema)
    @bp.response(200, DuplicateSchema(many=True))
    def post(self, candidate):
        """People who may be the same as ``candidate`` (same national ID, or name plus birth
        date, email or phone). A POST so a national ID never travels in a URL."""
        found = services.find_duplicates(db.session, _vault(), candidate, country=g.tenant.country)
        return [{"person": _shown(d.person), "reasons": d.reasons} for d in found]


@bp.route("/<int:person_id>")
class PersonResource(MethodView):
    @requires("core.people.read")
    @bp.response(200, PersonSchema)
    def get(self, person_id):
        """One person (the read is audited)."""
        person = services.person_or_404(db.session, person_id, audited=True)
        db.session.commit()
        return _shown(person)

    @requires("core.people.write")
    @bp.arguments(PersonPatchSchema)
    @bp.response(200, PersonSchema)
    def patch(self, data, person_id):
        """Change some of a person's fields; ``national_id`` (even null) replaces the number."""
        person = services.person_or_404(db.session, person_id)
        services.update_person(db.session, _vault(), person, data, country=g.tenant.country)
        db.session.commit()
        return _shown(person)


@bp.route("/<int:person_id>/consents")
class Consents(MethodView):
    @requires("core.people.read")
    @bp.response(200, ConsentSchema(many=True))
    def get(self, person_id):
        """The person's consents, oldest first, withdrawn ones included (audited)."""
        person = services.person_or_404(db.session, person_id, audited=True)
        db.session.commit()
        return person.consents

    @requires("core.people.write")
    @idempotent
    @bp.arguments(ConsentInSchema)
    @bp.response(201, ConsentSchema)
    def post(self, data, person_id):
        """Record a consent given by the person, a guardian or a legal representative."""
        person = services.person_or_404(db.session, person_id)
        consent = services.add_consent(db.session, person, **data)
        db.session.commit()
        return consent


@bp.route("/<int:person_id>/consents/<int:consent_id>/withdrawal")
class ConsentWithdrawal(MethodView):
    @requires("core.people.write")
    @bp.arguments(ConsentWithdrawSchema)
    @bp.response(200, ConsentSchema)
    def put(self, data, person_id, consent_id):
        """Withdraw a consent from a date; what it covered stops from then."""
        person = services.person_or_404(db.session, person_id)
        consent = db.session.scalar(select(Consent).where(Consent.id == consent_id, Consent.person_id == person.id))
        if consent is None:
            abort(404, message="no such consent")
        services.withdraw_consent(db.session, consent, data["withdrawn_on"], g.hooks)
        db.session.commit()
        return consent


@bp.route("/<int:person_id>/export")
class PersonExport(MethodView):
    @requires("core.people.export")
    @bp.response(200)
    @bp.doc(responses={"200": {"description": "OK", "content": {"application/json": {"schema": {
        "type": "object", "description": "One member per part: `core` and each enabled plugin's key."}}}}})
    def get(self, person_id):
        """Everything held about the person, from core and every enabled plugin (audited)."""
        data = services.export_person(db.session, g.hooks, services.person_or_404(db.session, person_id))
        db.session.commit()
        return data


@bp.route("/<int:person_id>/erasure")
class PersonErasure(MethodView):
    @requires("core.people.erase")
    @bp.arguments(ErasureSchema)
    @bp.response(200, ErasureResultSchema)
    @conflict_response(bp, "The record is under a legal hold.")
    def post(self, data, person_id):
        """Erase (or anonymise) the person in core and every enabled plugin; 409 under a legal hold."""
        person = services.person_or_404(db.session, person_id)
        try:
            reports = services.erase_person(db.session, g.hooks, person, anonymise=data["anonymise"])
        except services.LegalHold:
            db.session.rollback()
            abort(409, message="the record is under a legal hold")
        except services.PersonGone:
            db.session.rollback()
            abort(404, message="no such person in this tenant")
        db.session.commit()
        return {"reports": {key: vars(report) for key, report in reports.items()}}
