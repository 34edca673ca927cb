"""VIP pages: the waitlists, moves, offers and placements (the public page answering an offer is in public.py)."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from core.auth.models import User
from core.auth.permissions import requires
from core.db import db, utcnow
from core.errors import Conflict, get_or_404
from core.pagination import paginate, requested_page
from plugins.vip.models import IN_LINE, Application, ApplicationStatus, Group, Offer, OfferStatus, WaitlistMove
from plugins.vip.services import letters, offers, waitlist
from plugins.vip.settings import current_settings
from plugins.vip.strings import AUDIENCE_LABELS
from plugins.vip.views import bp, posted_id

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


def _group(group_id: int) -> Group | None:
    return db.session.scalar(select(Group).where(Group.id == group_id))


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
    first = (page.number - 1) * page.per_page + 1
    rows = [(first + n, application, next((o for o in application.offers if o.status == OfferStatus.open), None))
            for n, application in enumerate(page.items)]
    groups = _open_groups(audience)
    places = offers.places_of(db.session, groups)
    moves = list(db.session.scalars(
        select(WaitlistMove)
        .where(WaitlistMove.application_id.in_(select(Application.id).where(Application.audience == audience)))
        .order_by(WaitlistMove.moved_at.desc(), WaitlistMove.id.desc()).limit(RECENT_MOVES)
        .options(selectinload(WaitlistMove.application).selectinload(Application.person))))
    return render_template("vip/waitlist.html", audience=audience, audiences=audiences, labels=AUDIENCE_LABELS,
                           page=page, rows=rows, groups=groups, places=places, moves=moves,
                           movers=_users(m.moved_by for m in moves if m.moved_by), waiting=ApplicationStatus.waiting,
                           expired_reason=offers.EXPIRED_REASON, can_act="vip.applications" in g.permissions)


def _move_page(application: Application, typed: dict, errors: dict, status: int = 200):
    where = waitlist.positions(db.session, application.audience)
    history = list(db.session.scalars(select(WaitlistMove).where(WaitlistMove.application_id == application.id)
                                      .order_by(WaitlistMove.moved_at.desc(), WaitlistMove.id.desc())))
    return render_template("vip/waitlist_move.html", application=application, position=where.get(application.id),
                           length=len(where), typed=typed, errors=errors, history=history,
                           movers=_users(m.moved_by for m in history if m.moved_by),
                           expired_reason=offers.EXPIRED_REASON, labels=AUDIENCE_LABELS), status


def _whole_number(raw: str | None) -> int | None:
    try:
        return int((raw or "").strip())
    except ValueError:
        return None


@bp.route("/waitlist/applications/<int:application_id>/move", methods=["GET", "POST"])
@requires("vip.applications")
def waitlist_move(application_id: int):
    application = get_or_404(db.session, Application, application_id, selectinload(Application.person))
    if request.method == "GET":
        return _move_page(application, {}, {})
    typed = {k: request.form.get(k, "") for k in ("to_position", "reason")}
    to_position = _whole_number(typed["to_position"])
    if to_position is None:
        errors = {"to_position": [_("Write the new position as a whole number, such as 1.")]}
        if not typed["reason"].strip():
            errors["reason"] = [_("Give a reason. Every change to the order of the waitlist needs one.")]
        return _move_page(application, typed, errors, 422)
    try:
        entry = waitlist.move(db.session, application, to_position, typed["reason"], _user())
    except waitlist.WaitlistError as exc:
        db.session.rollback()
        return _move_page(application, typed, exc.errors, 422)
    db.session.commit()
    flash(_("%(name)s moved from position %(old)s to %(new)s.", name=application.person.display_name,
            old=entry.from_position, new=entry.to_position), "success")
    return redirect(url_for("vip.waitlist", audience=application.audience))


def _offer_page(application: Application, typed: dict, errors: dict, problem: str | None = None, status: int = 200):
    groups = _open_groups(application.audience)
    places = offers.places_of(db.session, groups)
    groups = [group for group in groups if places[group.id]["free"] > 0]
    where = waitlist.positions(db.session, application.audience)
    return render_template("vip/waitlist_offer.html", application=application, position=where.get(application.id),
                           groups=groups, places=places, typed=typed, errors=errors, problem=problem,
                           open_offer=next((o for o in application.offers if o.status == OfferStatus.open), None),
                           in_line=application.status in IN_LINE, labels=AUDIENCE_LABELS), status


@bp.route("/waitlist/applications/<int:application_id>/offer", methods=["GET", "POST"])
@requires("vip.applications")
def waitlist_offer(application_id: int):
    """Offer the applicant a place in a group, or give them the place at once."""
    application = get_or_404(db.session, Application, application_id, selectinload(Application.person))
    if request.method == "GET":
        return _offer_page(application, {}, {})
    typed = {k: request.form.get(k, "") for k in ("group_id", "out_of_turn_reason", "action")}
    group_id = posted_id(typed["group_id"])
    group = _group(group_id) if group_id else None
    if group is None:
        return _offer_page(application, typed, {"group_id": [_("Choose a group.")]}, status=422)
    placing = typed["action"] == "place"
    try:
        if placing:
            offers.place(db.session, application, group, now=utcnow(), by_user=_user())
        else:
            offers.make_offer(db.session, application, group, now=utcnow(),
                              out_of_turn_reason=typed["out_of_turn_reason"], by_user=_user())
    except (offers.OfferError, waitlist.WaitlistError) as exc:
        db.session.rollback()
        return _offer_page(application, typed, exc.errors, status=422)
    except offers.OfferConflict as exc:
        db.session.rollback()
        return _offer_page(application, typed, {}, problem=str(exc), status=409)
    db.session.commit()
    name = application.person.display_name
    if placing:
        flash(_("%(name)s has a place in %(group)s.", name=name, group=group.name), "success")
    elif letters.recipient(application):
        flash(_("%(name)s is offered a place in %(group)s. The offer was sent by email.", name=name,
                group=group.name), "success")
    else:
        flash(_("%(name)s is offered a place in %(group)s. There is no email address: tell them by phone or letter.",
                name=name, group=group.name), "success")
    return redirect(url_for("vip.waitlist", audience=application.audience))


@bp.post("/waitlist/groups/<int:group_id>/offer-next")
@requires("vip.applications")
def waitlist_offer_next(group_id: int):
    """Offer every free place of the group to the next in line."""
    group = _group(group_id)
    if group is None:
        abort(404)
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


def _record_page(offer: Offer, typed: dict, errors: dict, problem: str | None = None, status: int = 200):
    users = _users([offer.answered_by] if offer.answered_by else [])
    return render_template("vip/offer_record.html", offer=offer, typed=typed, errors=errors, problem=problem,
                           answered_by=users.get(offer.answered_by), is_open=offer.status == OfferStatus.open), status


@bp.route("/waitlist/offers/<int:offer_id>", methods=["GET", "POST"])
@requires("vip.applications")
def offer_record(offer_id: int):
    """One offer, and its answer recorded on the applicant's word (a phone call, a visit)."""
    offer = _offer_or_404(offer_id)
    if request.method == "GET":
        return _record_page(offer, {}, {})
    typed = {"answer": request.form.get("answer", ""), "keep_in_line": "keep_in_line" in request.form}
    if typed["answer"] not in ("yes", "no"):
        return _record_page(offer, typed, {"answer": [_("Choose the answer: yes or no.")]}, status=422)
    accept = typed["answer"] == "yes"
    try:
        offers.answer(db.session, offer, accept, by_user=_user(), keep_in_line=typed["keep_in_line"], now=utcnow())
    except (Conflict, offers.OfferError) as exc:  # VIP's offer conflicts and core's answered/expired
        db.session.rollback()
        return _record_page(_offer_or_404(offer_id), typed, {}, problem=str(exc), status=409)
    db.session.commit()
    name = offer.application.person.display_name
    flash(_("%(name)s said yes and has a place in %(group)s.", name=name, group=offer.group.name) if accept else
          _("%(name)s said no. The place is offered to the next in line.", name=name), "success")
    return redirect(url_for("vip.waitlist", audience=offer.application.audience))
