"""VIP API: the waitlists and their moves, offers and their answers, and placing a participant in a group."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import selectinload

from core.auth.permissions import requires
from core.db import db, utcnow
from core.errors import get_or_404, get_or_invalid
from core.pagination import PageArgsSchema, page_schema, paginate
from core.sessions.schemas import ID
from core.validation import FreeText
from core.web.errors import abort_invalid
from core.web.idempotency import idempotent
from core.web.openapi import conflict_response
from plugins.vip.api import api
from plugins.vip.models import Application, Group, Offer, OfferStatus, WaitlistMove
from plugins.vip.services import offers, waitlist
from plugins.vip.settings import current_settings



class VipOfferSchema(Schema):
    """An offer of a place; the token of its answer link is never shown (only the email has it)."""

    id = fields.Integer()
    application_id = fields.Integer()
    group_id = fields.Integer()
    group_name = fields.String(attribute="group.name", metadata={"description": "The group the place is in."})
    offered_at = fields.DateTime()
    expires_at = fields.DateTime()
    status = fields.Enum(OfferStatus, metadata={"description": "open, accepted, declined, expired or withdrawn."})
    answered_at = fields.DateTime(allow_none=True)
    answered_by = fields.Integer(allow_none=True, metadata={"description": "The staff user who recorded the answer."})
    answered_via_link = fields.Boolean(metadata={"description": "The applicant answered through the emailed link."})


class VipWaitlistEntrySchema(Schema):
    position = fields.Integer(metadata={"description": "1 is first in line."})
    application_id = fields.Integer()
    person_id = fields.Integer()
    name = fields.String()
    taken_before = fields.Boolean(metadata={"description": "False for first-timers, who come first."})
    applied_at = fields.DateTime()
    status = fields.String(metadata={"description": "waiting, or offered (an open offer waits for an answer)."})
    open_offer = fields.Nested(VipOfferSchema, allow_none=True)


class VipMoveInSchema(Schema):
    application_id = fields.Integer(required=True, validate=ID)
    to_position = fields.Integer(required=True, validate=ID, metadata={"description": "1 is first in line."})
    reason = FreeText(required=True, validate=validate.Length(max=waitlist.REASON_MAX),
                           metadata={"description": "Required, not blank: every manual move needs a reason."})


class VipMoveSchema(Schema):
    id = fields.Integer()
    application_id = fields.Integer()
    from_position = fields.Integer()
    to_position = fields.Integer()
    reason = fields.String()
    moved_by = fields.Integer(allow_none=True,
                              metadata={"description": "The user; null for an API client or the system."})
    moved_at = fields.DateTime()


class VipOfferInSchema(Schema):
    application_id = fields.Integer(required=True, validate=ID)
    group_id = fields.Integer(required=True, validate=ID)
    out_of_turn_reason = FreeText(load_default=None, allow_none=True,
                                  validate=validate.Length(max=waitlist.REASON_MAX),
                                  metadata={"description": "Required when the applicant is not next in line."})


class VipAnswerInSchema(Schema):
    accept = fields.Boolean(required=True)
    keep_in_line = fields.Boolean(load_default=False, metadata={
        "description": "On a decline: keep the application waiting for a later group instead of closing it."})


class VipParticipantInSchema(Schema):
    application_id = fields.Integer(required=True, validate=ID)


class VipParticipantSchema(Schema):
    application_id = fields.Integer(attribute="id")
    person_id = fields.Integer()
    group_id = fields.Integer()
    status = fields.String(attribute="status.value")
    placed_at = fields.DateTime()


WaitlistPage = page_schema(VipWaitlistEntrySchema, "VipWaitlistPage")
MovePage = page_schema(VipMoveSchema, "VipWaitlistMovePage")


def _audience_or_404(audience: str) -> str:
    if audience not in current_settings(db.session)["audiences"]:
        abort(404, message="no such waitlist in this tenant")
    return audience


def _application(application_id: int) -> Application:
    return get_or_invalid(db.session, Application, application_id, selectinload(Application.person),
                          field="application_id", message="No such application in this tenant.")


def _group(group_id: int) -> Group:
    return get_or_invalid(db.session, Group, group_id, field="group_id", message="No such group in this tenant.")


@api.route("/waitlists/<audience>")
class Waitlist(MethodView):
    @requires("vip.view")
    @api.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @api.response(200, WaitlistPage)
    def get(self, audience, page, per_page):
        """An audience's waitlist in order (first-timers first, then by date, as moved by staff)."""
        audience = _audience_or_404(audience)
        stmt = waitlist.waitlist(audience).options(selectinload(Application.person), selectinload(Application.offers).selectinload(Offer.group))
        result = paginate(db.session, stmt, page, per_page)
        result.items = [{
            "position": result.first + n, "application_id": a.id, "person_id": a.person_id, "name": a.person.display_name,
            "taken_before": a.taken_before, "applied_at": a.applied_at, "status": a.status.value,
            "open_offer": next((o for o in a.offers if o.status == OfferStatus.open), None),
        } for n, a in enumerate(result.items)]
        return result


@api.route("/waitlists/<audience>/moves")
class WaitlistMoves(MethodView):
    @requires("vip.view")
    @api.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @api.response(200, MovePage)
    def get(self, audience, page, per_page):
        """The manual moves of an audience's waitlist, newest first, with their reasons."""
        audience = _audience_or_404(audience)
        return paginate(db.session, waitlist.moves(audience), page, per_page)

    @requires("vip.applications")
    @idempotent
    @api.arguments(VipMoveInSchema)
    @api.response(201, VipMoveSchema)
    def post(self, data, audience):
        """Move an application to another position; the reason is required, and the move logged."""
        audience = _audience_or_404(audience)
        application = _application(data["application_id"])
        if application.audience != audience:
            abort_invalid({"application_id": ["The application is on another waitlist."]})
        entry = waitlist.move(db.session, application, data["to_position"], data["reason"], g.get("user"))
        db.session.commit()
        return entry


@api.route("/offers")
class Offers(MethodView):
    @requires("vip.applications")
    @idempotent
    @api.arguments(VipOfferInSchema)
    @api.response(201, VipOfferSchema)
    @conflict_response(api, "The group is full or closed, or the applicant is not waiting.")
    def post(self, data):
        """Offer an applicant a place in a group and email them (or their contact) the answer link.

        The applicant must be next in line for the group unless ``out_of_turn_reason`` is
        given; the offer is then logged like a move."""
        application = _application(data["application_id"])
        group = _group(data["group_id"])
        offer = offers.make_offer(db.session, application, group, now=utcnow(),
                                  out_of_turn_reason=data["out_of_turn_reason"], by_user=g.get("user"))
        db.session.commit()
        return offer


@api.route("/offers/<int:offer_id>")
class OfferResource(MethodView):
    @requires("vip.view")
    @api.response(200, VipOfferSchema)
    def get(self, offer_id):
        """One offer and its answer."""
        return get_or_404(db.session, Offer, offer_id)


@api.route("/offers/<int:offer_id>/answer")
class OfferAnswer(MethodView):
    @requires("vip.applications")
    @api.arguments(VipAnswerInSchema)
    @api.response(200, VipOfferSchema)
    @conflict_response(api, "The offer was answered before or has expired, or the group is full.")
    def put(self, data, offer_id):
        """Record the applicant's answer on their word (a phone call): yes gives the place, no
        passes it to the next in line. An offer is answered once."""
        offer = get_or_404(db.session, Offer, offer_id)
        offers.answer(db.session, offer, data["accept"], by_user=g.get("user"), keep_in_line=data["keep_in_line"],
                      now=utcnow())
        db.session.commit()
        return offer


@api.route("/groups/<int:group_id>/participants")
class GroupParticipants(MethodView):
    @requires("vip.applications")
    @idempotent
    @api.arguments(VipParticipantInSchema)
    @api.response(201, VipParticipantSchema)
    @conflict_response(api, "The group is full (never overbooked) or closed, "
                            "or the applicant is not on the waitlist.")
    def post(self, data, group_id):
        """Give an applicant from the waitlist a place in the group directly (staff decide)."""
        group = get_or_404(db.session, Group, group_id)
        application = _application(data["application_id"])
        offers.place(db.session, application, group, now=utcnow(), by_user=g.get("user"))
        db.session.commit()
        return application
