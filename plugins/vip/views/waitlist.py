"""VIP pages: the waitlists, moves, offers and placements (the public page answering an offer is in public.py)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.toolkit import (
    OfferStatus,
    User,
    _,
    db,
    form_page,
    get_or_404,
    get_or_invalid,
    paginate,
    requested_page,
    requires,
    utcnow,
)
from plugins.vip.models import IN_LINE, Application, ApplicationStatus, Group, Offer, WaitlistMove
from plugins.vip.schemas import VipAnswerInSchema, VipMoveInSchema, VipOfferInSchema
from plugins.vip.services import letters, offers, waitlist
from plugins.vip.settings import AUDIENCE_LABELS, current_settings
from plugins.vip.views import bp

#: Rows on one page of a waitlist.
PER_PAGE = 100
#: Moves shown under a waitlist, newest first.
RECENT_MOVES = 20


def _audiences() -> list[str]:
    return list(current_settings(db.session)["audiences"])


def _user():
    return g.get("user")


def _open_groups(audience: str) -> list[Group]:
    return list(db.session.scalars(select(Group).where(Group.audience == audience,
                                                       Group.status.in_(offers.OPEN_GROUPS))
                                   .order_by(Group.created_at, Group.id)))


def _users(ids) -> dict[int, str]:
    """User id -> name (one query, also for none: the page's query count never depends on it)."""
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(sorted(set(ids))))).all())


@bp.get("/waitlist", endpoint="waitlist")
@bp.get("/waitlist/<audience>", endpoint="waitlist")
@requires("vip.view")
def waitlist_page(audience: str | None = None):
    audiences = _audiences()
    audience = audience or audiences[0]
    if audience not in audiences:
        abort(404)
    stmt = waitlist.waitlist(audience).options(
        selectinload(Application.person), selectinload(Application.offers).selectinload(Offer.group))
    page = paginate(db.session, stmt, requested_page(), PER_PAGE)
    rows = [(page.first + n, application, next((o for o in application.offers if o.status == OfferStatus.open), None))
            for n, application in enumerate(page.items)]
    groups = _open_groups(audience)
    places = offers.places_of(db.session, groups)
    moves = list(db.session.scalars(
        waitlist.moves(audience).limit(RECENT_MOVES)
        .options(selectinload(WaitlistMove.application).selectinload(Application.person))))
    return render_template("vip/waitlist.html", audience=audience, audiences=audiences, labels=AUDIENCE_LABELS,
                           page=page, rows=rows, groups=groups, places=places, moves=moves,
                           movers=_users(m.moved_by for m in moves if m.moved_by), waiting=ApplicationStatus.waiting,
                           expired_reason=offers.EXPIRED_REASON, can_act="vip.applications" in g.permissions)


def _move_page(application: Application, typed: dict, errors: dict):
    where = waitlist.positions(db.session, application.audience)
    history = list(db.session.scalars(select(WaitlistMove).where(WaitlistMove.application_id == application.id)
                                      .order_by(WaitlistMove.moved_at.desc(), WaitlistMove.id.desc())))
    return render_template("vip/waitlist_move.html", application=application, position=where.get(application.id),
                           length=len(where), typed=typed, errors=errors, history=history,
                           movers=_users(m.moved_by for m in history if m.moved_by),
                           expired_reason=offers.EXPIRED_REASON, labels=AUDIENCE_LABELS)


def _application_or_404(application_id: int) -> Application:
    return get_or_404(db.session, Application, application_id, selectinload(Application.person))


@bp.route("/waitlist/applications/<int:application_id>/move", methods=["GET", "POST"])
@requires("vip.applications")
def waitlist_move(application_id: int):
    application = _application_or_404(application_id)
    return form_page(
        lambda typed, errors: _move_page(_application_or_404(application_id), typed, errors),
        lambda data: waitlist.move(db.session, application, data["to_position"], data["reason"], _user()),
        schema=VipMoveInSchema(), blank=("reason",),
        read=lambda form: {"application_id": application_id, "to_position": form.get("to_position", "").strip(),
                           "reason": form.get("reason", "")},
        worded={"to_position": _("Write the new position as a whole number, such as 1.")},
        flash_message=lambda entry: _("%(name)s moved from position %(old)s to %(new)s.",
                                      name=application.person.display_name, old=entry.from_position,
                                      new=entry.to_position),
        done=url_for("vip.waitlist", audience=application.audience))


def _offer_page(application: Application, typed: dict, errors: dict):
    """The offer form; a conflict (the group filled up, say) is the page's ``problem``."""
    errors = dict(errors)
    problem = " ".join(errors.pop("problem", [])) or None
    groups = _open_groups(application.audience)
    places = offers.places_of(db.session, groups)
    groups = [group for group in groups if places[group.id]["free"] > 0]
    where = waitlist.positions(db.session, application.audience)
    return render_template("vip/waitlist_offer.html", application=application, position=where.get(application.id),
                           groups=groups, places=places, typed=typed, errors=errors, problem=problem,
                           open_offer=next((o for o in application.offers if o.status == OfferStatus.open), None),
                           in_line=application.status in IN_LINE, labels=AUDIENCE_LABELS)


def _offer_or_place(application: Application, data: dict, placing: bool) -> Group:
    group = get_or_invalid(db.session, Group, data["group_id"], field="group_id", message=_("Choose a group."))
    if placing:
        offers.place(db.session, application, group, now=utcnow(), by_user=_user())
    else:
        offers.make_offer(db.session, application, group, now=utcnow(),
                          out_of_turn_reason=data["out_of_turn_reason"], by_user=_user())
    return group


def _offered(application: Application, group: Group, placing: bool) -> str:
    name = application.person.display_name
    if placing:
        return _("%(name)s has a place in %(group)s.", name=name, group=group.name)
    if letters.recipient(application):
        return _("%(name)s is offered a place in %(group)s. The offer was sent by email.", name=name, group=group.name)
    return _("%(name)s is offered a place in %(group)s. There is no email address: tell them by phone or letter.",
             name=name, group=group.name)


@bp.route("/waitlist/applications/<int:application_id>/offer", methods=["GET", "POST"])
@requires("vip.applications")
def waitlist_offer(application_id: int):
    """Offer the applicant a place in a group, or give them the place at once."""
    application = _application_or_404(application_id)
    placing = request.form.get("action") == "place"
    return form_page(
        lambda typed, errors: _offer_page(_application_or_404(application_id), typed, errors),
        lambda data: _offer_or_place(application, data, placing),
        schema=VipOfferInSchema(),
        read=lambda form: {"application_id": application_id, "group_id": form.get("group_id", "").strip(),
                           "out_of_turn_reason": form.get("out_of_turn_reason") or None},
        worded={"group_id": _("Choose a group.")}, conflict_field="problem",
        flash_message=lambda group: _offered(application, group, placing),
        done=url_for("vip.waitlist", audience=application.audience))


@bp.post("/waitlist/groups/<int:group_id>/offer-next")
@requires("vip.applications")
def waitlist_offer_next(group_id: int):
    """Offer every free place of the group to the next in line."""
    group = get_or_404(db.session, Group, group_id)
    made = offers.offer_next(db.session, group, now=utcnow(), by_user=_user())
    db.session.commit()
    if made:
        flash(_("Offers sent for %(count)s free places in %(group)s.", count=len(made), group=group.name), "success")
    else:
        flash(_("No offer was made: %(group)s has no free place or no one is waiting.", group=group.name), "error")
    return redirect(url_for("vip.waitlist", audience=group.audience))


def _offer_or_404(offer_id: int) -> Offer:
    return get_or_404(db.session, Offer, offer_id, selectinload(Offer.application).selectinload(Application.person),
                      selectinload(Offer.group))


def _record_page(offer: Offer, typed: dict, errors: dict):
    """The offer and its answer form; why the answer could not be recorded is the page's ``problem``."""
    errors = dict(errors)
    problem = " ".join(errors.pop("problem", [])) or None
    users = _users([offer.answered_by] if offer.answered_by else [])
    return render_template("vip/offer_record.html", offer=offer, typed=typed, errors=errors, problem=problem,
                           answered_by=users.get(offer.answered_by), is_open=offer.status == OfferStatus.open)


@bp.route("/waitlist/offers/<int:offer_id>", methods=["GET", "POST"])
@requires("vip.applications")
def offer_record(offer_id: int):
    """One offer, and its answer recorded on the applicant's word (a phone call, a visit)."""
    offer = _offer_or_404(offer_id)
    name = offer.application.person.display_name
    return form_page(
        lambda typed, errors: _record_page(_offer_or_404(offer_id), {**typed, "keep_in_line": "keep_in_line" in typed},
                                           errors),
        lambda data: _answer(offer, data),
        schema=VipAnswerInSchema(), read=_answer_input, renamed={"accept": "answer"},
        worded={"answer": _("Choose the answer: yes or no.")}, conflict_field="problem",
        flash_message=lambda accepted: _("%(name)s said yes and has a place in %(group)s.", name=name,
                                         group=offer.group.name) if accepted is True else
        _("%(name)s said no. The place is offered to the next in line.", name=name),
        done=url_for("vip.waitlist", audience=offer.application.audience))


def _answer(offer: Offer, data: dict) -> bool:
    offers.answer(db.session, offer, data["accept"], by_user=_user(), keep_in_line=data["keep_in_line"], now=utcnow())
    return data["accept"]


def _answer_input(form) -> dict:
    """The answer form (yes or no, and whether a no keeps the applicant in line) as the API's answer."""
    answer = form.get("answer", "")
    return {"accept": {"yes": True, "no": False}.get(answer, answer or None), "keep_in_line": "keep_in_line" in form}
