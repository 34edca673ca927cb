"""VIP API: the waitlists and their moves, offers and their answers, and placing a participant in a group."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy.orm import selectinload

from core.toolkit import (
    OfferStatus,
    PageArgsSchema,
    conflict_response,
    db,
    get_or_404,
    get_or_invalid,
    idempotent,
    paginate,
    requires,
    utcnow,
)
from plugins.vip.api import api
from plugins.vip.models import Application, Group, Offer
from plugins.vip.schemas import (
    MovePage,
    VipAnswerInSchema,
    VipMoveInSchema,
    VipMoveSchema,
    VipOfferInSchema,
    VipOfferSchema,
    VipParticipantInSchema,
    VipParticipantSchema,
    WaitlistPage,
)
from plugins.vip.services import offers, waitlist
from plugins.vip.settings import current_settings


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
        entry = waitlist.move(db.session, application, data["to_position"], data["reason"], g.get("user"),
                              audience=audience)
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
