"""VIP pages: groups, their meetings, and attendance at a meeting."""

from __future__ import annotations

from datetime import date, time

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from core.auth.guard import has_permission
from core.auth.permissions import requires
from core.db import db
from core.pagination import paginate, requested_page
from core.sessions.models import AttendanceStatus
from core.toolkit import from_local, local
from core.toolkit import zone as tenant_zone
from plugins.vip.models import GroupStatus
from plugins.vip.services import groups as group_services
from plugins.vip.services import meetings as meeting_services
from plugins.vip.services.groups import GroupError
from plugins.vip.services.register import trained_dates
from plugins.vip.settings import current_settings
from plugins.vip.strings import AUDIENCE_LABELS
from plugins.vip.views import bp

def _zone():
    return tenant_zone(g.tenant)


def _audiences(settings) -> list[tuple[str, str]]:
    return [(key, _(AUDIENCE_LABELS.get(key, key))) for key in settings["audiences"]]


def _parse_date(value: str, errors: dict, field: str, message: str) -> date | None:
    try:
        day = date.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        errors[field] = [message]
        return None
    if not meeting_services.plausible(day):
        first, last = meeting_services.YEARS
        errors[field] = [_("Give a date from %(first)s to %(last)s.", first=first, last=last)]
        return None
    return day


def _parse_time(value: str, errors: dict, field: str) -> time | None:
    try:
        return time.fromisoformat((value or "").strip())
    except ValueError:
        errors[field] = [_("Give the time as hours and minutes, for example 13:00.")]
        return None


@bp.get("/groups/")
@requires("vip.view")
def groups():
    settings = current_settings(db.session)
    status = request.args.get("status", "")
    audience = request.args.get("audience", "")
    status = status if status in GroupStatus._value2member_map_ else ""
    audience = audience if audience in settings["audiences"] else ""
    stmt = group_services.list_groups(status=GroupStatus(status) if status else None, audience=audience or None)
    page = paginate(db.session, stmt, requested_page(), 50, status=status, audience=audience)
    info = group_services.summaries(db.session, [group.id for group in page.items])
    return render_template("vip/groups.html", page=page, info=info, zone=_zone(), audiences=_audiences(settings),
                           statuses=list(GroupStatus), status=status, audience=audience,
                           audience_labels=AUDIENCE_LABELS)


def _form_page(group, typed: dict, errors: dict, status: int = 200):
    settings = current_settings(db.session)
    staff = group_services.staff_with_training(db.session)
    return render_template("vip/group_form.html", group=group, typed=typed, errors=errors, staff=staff,
                           audiences=_audiences(settings), leaders_needed=settings["leaders_per_group"]), status


def _typed_group_form() -> dict:
    return {"name": request.form.get("name", ""), "audience": request.form.get("audience", ""),
            "location": request.form.get("location", ""), "leader_ids": request.form.getlist("leader_ids")}


@bp.route("/groups/new", methods=["GET", "POST"])
@requires("vip.groups")
def group_new():
    if request.method == "GET":
        return _form_page(None, {"audience": request.args.get("audience", ""), "leader_ids": []}, {})
    typed = _typed_group_form()
    try:
        group = group_services.form_group(db.session, name=typed["name"], audience=typed["audience"],
                                          location=typed["location"], leader_ids=typed["leader_ids"], user=g.user)
    except GroupError as exc:
        db.session.rollback()
        return _form_page(None, typed, exc.errors, 409 if exc.conflict else 422)
    db.session.commit()
    flash(_("The group %(name)s is formed.", name=group.name), "success")
    return redirect(url_for("vip.group", group_id=group.id))


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@requires("vip.groups")
def group_edit(group_id: int):
    group = group_services.group_or_404(db.session, group_id)
    if request.method == "GET":
        typed = {"name": group.name, "location": group.location or "",
                 "leader_ids": [str(gl.user_id) for gl in group.leaders]}
        return _form_page(group, typed, {})
    typed = _typed_group_form()
    try:
        group_services.update_group(db.session, group, name=typed["name"], location=typed["location"],
                                    leader_ids=typed["leader_ids"])
    except GroupError as exc:
        db.session.rollback()
        return _form_page(group_services.group_or_404(db.session, group_id), typed, exc.errors, 409 if exc.conflict else 422)
    db.session.commit()
    flash(_("The group is saved."), "success")
    return redirect(url_for("vip.group", group_id=group.id))


def _group_page(group, *, typed: dict | None = None, errors: dict | None = None, cancel_error: str | None = None,
                status: int = 200):
    settings = current_settings(db.session)
    zone = _zone()
    members = group_services.participants(db.session, group)
    done = group_services.completion(db.session, group)
    trained = trained_dates(db.session, [gl.user for gl in group.leaders])
    if typed is None:
        typed = {"first_date": "", "first_time": "", "every_days": "7", "location": group.location or "",
                 "skip_dates": ""}
    return render_template(
        "vip/group.html", group=group, members=members, done=done, trained=trained,
        meetings=meeting_services.meeting_rows(group.meetings, zone), typed=typed, errors=errors or {},
        cancel_error=cancel_error, settings=settings,
        audience=_(AUDIENCE_LABELS.get(group.audience, group.audience)),
        can_change=has_permission("vip.groups") and group.status != GroupStatus.cancelled,
    ), status


@bp.get("/groups/<int:group_id>")
@requires("vip.view")
def group(group_id: int):
    return _group_page(group_services.group_or_404(db.session, group_id))


@bp.post("/groups/<int:group_id>/meetings")
@requires("vip.groups")
def group_meetings(group_id: int):
    group = group_services.group_or_404(db.session, group_id)
    typed = {k: request.form.get(k, "") for k in ("first_date", "first_time", "every_days", "location", "skip_dates")}
    errors: dict[str, list[str]] = {}
    day = _parse_date(typed["first_date"], errors, "first_date", _("Give the date of the first meeting."))
    at = _parse_time(typed["first_time"], errors, "first_time")
    try:
        every_days = int(typed["every_days"].strip())
    except ValueError:
        errors["every_days"] = [_("Give a number of days from 1 to %(max)s.", max=meeting_services.MAX_EVERY_DAYS)]
        every_days = 7
    skip: list[date] = []
    for line in typed["skip_dates"].split():
        parsed = _parse_date(line, errors, "skip_dates",
                             _("Write each date as year-month-day, for example 2025-12-24: %(text)s", text=line[:20]))
        if parsed is None:
            break
        skip.append(parsed)
    if not errors:
        try:
            meeting_services.generate_meetings(
                db.session, group, first_start=from_local(day, at, _zone()), every_days=every_days,
                location=typed["location"].strip() or None, skip_dates=skip)
        except GroupError as exc:
            db.session.rollback()
            errors = dict(exc.errors)
            if "first_start" in errors:
                errors["first_date"] = errors.pop("first_start")
            return _group_page(group_services.group_or_404(db.session, group_id), typed=typed, errors=errors,
                               status=409 if exc.conflict else 422)
        db.session.commit()
        count = current_settings(db.session)["meetings_per_course"]
        flash(ngettext("%(num)s meeting is planned.", "%(num)s meetings are planned.", count), "success")
        return redirect(url_for("vip.group", group_id=group_id))
    return _group_page(group, typed=typed, errors=errors, status=422)


@bp.post("/groups/<int:group_id>/cancel")
@requires("vip.groups")
def group_cancel(group_id: int):
    group = group_services.group_or_404(db.session, group_id)
    if request.form.get("confirm") != "yes":
        return _group_page(group, cancel_error=_("Tick the box to confirm."), status=422)
    try:
        group_services.cancel_group(db.session, group)
    except GroupError as exc:
        db.session.rollback()
        return _group_page(group_services.group_or_404(db.session, group_id), cancel_error=" ".join(exc.errors.get("status", [])), status=409)
    db.session.commit()
    flash(_("The group is cancelled. Its coming meetings are cancelled too."), "success")
    return redirect(url_for("vip.group", group_id=group_id))


def _meeting_page(meeting, *, typed: dict, errors: dict, status: int = 200):
    rows = sorted(meeting.session.attendance,
                  key=lambda a: (a.person.last_name.casefold(), a.person.first_name.casefold(), a.person_id))
    zone = _zone()
    return render_template(
        "vip/meeting.html", meeting=meeting, rows=rows, statuses=meeting_services.statuses_open(meeting.session),
        started=meeting_services.has_started(meeting.session), typed=typed, errors=errors,
        starts=local(meeting.session.starts_at, zone),
        ends=local(meeting.session.ends_at, zone), theme=meeting_services.theme_label(meeting.theme),
        can_record=has_permission("vip.attendance") and not meeting.session.cancelled,
    ), status


@bp.get("/meetings/<int:meeting_id>")
@requires("vip.view")
def meeting(meeting_id: int):
    """A meeting's attendance; those who may record it (vip.attendance) save everyone's at once."""
    meeting = meeting_services.meeting_or_404(db.session, meeting_id)
    typed = {str(a.person_id): a.status.value if a.status else "" for a in meeting.session.attendance}
    return _meeting_page(meeting, typed=typed, errors={})


@bp.post("/meetings/<int:meeting_id>")
@requires("vip.attendance")
def record_attendance(meeting_id: int):
    meeting = meeting_services.meeting_or_404(db.session, meeting_id)
    typed, errors, statuses = {}, {}, {}
    for row in meeting.session.attendance:
        value = request.form.get(f"status-{row.person_id}", "")
        typed[str(row.person_id)] = value
        if value and value not in AttendanceStatus._value2member_map_:
            errors[str(row.person_id)] = _("Choose one of the options.")
        statuses[row.person_id] = value or None
    if not errors and not any(statuses.values()):
        flash(_("Nothing was chosen, so nothing was saved."), "info")
        return redirect(url_for("vip.meeting", meeting_id=meeting_id))
    if not errors:
        try:
            meeting_services.record(db.session, meeting, statuses)
        except GroupError as exc:
            db.session.rollback()
            return _meeting_page(meeting_services.meeting_or_404(db.session, meeting_id), typed=typed,
                                 errors={"_all": " ".join(exc.errors.get("attendance", []))},
                                 status=409 if exc.conflict else 422)
        db.session.commit()
        flash(_("Attendance is saved."), "success")
        return redirect(url_for("vip.meeting", meeting_id=meeting_id))
    return _meeting_page(meeting, typed=typed, errors=errors, status=422)


@bp.route("/meetings/<int:meeting_id>/move", methods=["GET", "POST"])
@requires("vip.groups")
def meeting_move(meeting_id: int):
    meeting = meeting_services.meeting_or_404(db.session, meeting_id)
    zone = _zone()
    if request.method == "GET":
        starts = local(meeting.session.starts_at, zone)
        typed = {"date": starts.date().isoformat(), "time": starts.strftime("%H:%M"),
                 "location": meeting.session.location or "", "move_later": ""}
        return _move_page(meeting, typed, {})
    typed = {k: request.form.get(k, "") for k in ("date", "time", "location", "move_later")}
    errors: dict[str, list[str]] = {}
    day = _parse_date(typed["date"], errors, "date", _("Give the new date."))
    at = _parse_time(typed["time"], errors, "time")
    if errors:
        return _move_page(meeting, typed, errors, 422)
    try:
        meeting_services.reschedule(db.session, meeting, from_local(day, at, zone),
                                    location=typed["location"].strip() or None, move_later=typed["move_later"] == "yes")
    except GroupError as exc:
        db.session.rollback()
        errors = dict(exc.errors)
        if "starts_at" in errors:
            errors["date"] = errors.pop("starts_at")
        return _move_page(meeting_services.meeting_or_404(db.session, meeting_id), typed, errors, 409 if exc.conflict else 422)
    db.session.commit()
    flash(_("Meeting %(number)s is moved.", number=meeting.number), "success")
    return redirect(url_for("vip.group", group_id=meeting.group_id))


def _move_page(meeting, typed: dict, errors: dict, status: int = 200):
    zone = _zone()
    return render_template(
        "vip/meeting_move.html", meeting=meeting, typed=typed, errors=errors,
        starts=local(meeting.session.starts_at, zone),
        ends=local(meeting.session.ends_at, zone),
    ), status
