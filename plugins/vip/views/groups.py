"""VIP pages: groups, their meetings, and attendance at a meeting."""

from __future__ import annotations

from flask import g, render_template, request, url_for

from core.toolkit import (
    FieldError,
    _,
    db,
    form_page,
    has_permission,
    has_started,
    local,
    ngettext,
    paginate,
    read_attendance,
    read_date,
    read_moment,
    requested_page,
    requires,
    statuses_open,
)
from core.toolkit import zone as tenant_zone
from plugins.vip.models import GroupStatus
from plugins.vip.schemas import VipGroupInSchema, VipGroupPatchSchema, VipMeetingPatchSchema, VipMeetingsInSchema
from plugins.vip.services import groups as group_services
from plugins.vip.services import meetings as meeting_services
from plugins.vip.services.register import trained_dates
from plugins.vip.settings import AUDIENCE_LABELS, current_settings
from plugins.vip.views import bp


def _zone():
    return tenant_zone(g.tenant)


def _audiences(settings) -> list[tuple[str, str]]:
    return [(key, _(AUDIENCE_LABELS.get(key, key))) for key in settings["audiences"]]


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


def _form_page(group, typed: dict, errors: dict):
    settings = current_settings(db.session)
    staff = group_services.staff_with_training(db.session)
    return render_template("vip/group_form.html", group=group, typed=typed, errors=errors, staff=staff,
                           audiences=_audiences(settings), leaders_needed=settings["leaders_per_group"])


def _group_input(form, *, audience: bool = True) -> dict:
    """The group form as the API's group input (its several leaders as one list); a formed
    group keeps its audience."""
    data = {"name": form.get("name", ""), "location": form.get("location", ""),
            "leader_ids": form.getlist("leader_ids")}
    return {**data, "audience": form.get("audience", "")} if audience else data


@bp.route("/groups/new", methods=["GET", "POST"])
@requires("vip.groups")
def group_new():
    return form_page(
        lambda typed, errors: _form_page(None, typed, errors),
        lambda data: group_services.form_group(db.session, **data, user=g.user),
        schema=VipGroupInSchema(), read=_group_input, lists=("leader_ids",),
        initial={"audience": request.args.get("audience", ""), "leader_ids": []},
        blank=("name", "audience"),
        flash_message=lambda group: _("The group %(name)s is formed.", name=group.name),
        done=lambda group: url_for("vip.group", group_id=group.id))


@bp.route("/groups/<int:group_id>/edit", methods=["GET", "POST"])
@requires("vip.groups")
def group_edit(group_id: int):
    group = group_services.group_or_404(db.session, group_id)
    return form_page(
        lambda typed, errors: _form_page(group_services.group_or_404(db.session, group_id), typed, errors),
        lambda data: group_services.update_group(db.session, group, **data),
        schema=VipGroupPatchSchema(), read=lambda form: _group_input(form, audience=False), lists=("leader_ids",),
        initial=lambda: {"name": group.name, "location": group.location or "",
                         "leader_ids": [str(gl.user_id) for gl in group.leaders]},
        blank=("name",),
        flash_message=_("The group is saved."), done=url_for("vip.group", group_id=group_id))


def _group_page(group, *, typed: dict | None = None, errors: dict | None = None):
    settings = current_settings(db.session)
    zone = _zone()
    members = group_services.participants(db.session, group)
    done = group_services.completion(db.session, group)
    trained = trained_dates(db.session, [gl.user for gl in group.leaders])
    if not typed:
        typed = {"first_date": "", "first_time": "", "every_days": "7", "location": group.location or "",
                 "skip_dates": ""}
    errors = errors or {}
    cancel_error = errors.get("confirm") or errors.get("cancel")
    return render_template(
        "vip/group.html", group=group, members=members, done=done, trained=trained,
        meetings=meeting_services.meeting_rows(group.meetings, zone), typed=typed,
        errors={} if cancel_error else errors, cancel_error=" ".join(cancel_error) if cancel_error else None,
        settings=settings, audience=_(AUDIENCE_LABELS.get(group.audience, group.audience)),
        can_change=has_permission("vip.groups") and group.status != GroupStatus.cancelled,
    )


@bp.get("/groups/<int:group_id>")
@requires("vip.view")
def group(group_id: int):
    return _group_page(group_services.group_or_404(db.session, group_id))


def _meetings_input(form) -> dict:
    """The meetings form (a local date and time, dates one a line) as the API's meetings input."""
    first = read_moment(form, ("first_date", _("Give the date of the first meeting.")),
                        ("first_time", _("Give the time as hours and minutes, for example 13:00.")), _zone())
    skip = [read_date({"line": line}, "line",
                      _("Write each date as year-month-day, for example 2025-12-24: %(text)s", text=line[:20]))
            for line in form.get("skip_dates", "").split()]
    return {"first_start": first.isoformat(), "every_days": form.get("every_days", "").strip(),
            "location": form.get("location", "").strip() or None, "skip_dates": [d.isoformat() for d in skip]}


@bp.post("/groups/<int:group_id>/meetings")
@requires("vip.groups")
def group_meetings(group_id: int):
    group = group_services.group_or_404(db.session, group_id)
    return form_page(
        lambda typed, errors: _group_page(group_services.group_or_404(db.session, group_id), typed=typed,
                                          errors=errors),
        lambda data: meeting_services.generate_meetings(db.session, group, **data),
        schema=VipMeetingsInSchema(), read=_meetings_input,
        renamed={"first_start": "first_date", "line": "skip_dates"},
        blank=("every_days",),
        flash_message=lambda _meetings: ngettext("%(num)s meeting is planned.", "%(num)s meetings are planned.",
                                                 current_settings(db.session)["meetings_per_course"]),
        done=url_for("vip.group", group_id=group_id))


def _confirmed(form) -> None:
    if form.get("confirm") != "yes":
        raise FieldError({"confirm": [_("Tick the box to confirm.")]})


@bp.post("/groups/<int:group_id>/cancel")
@requires("vip.groups")
def group_cancel(group_id: int):
    group = group_services.group_or_404(db.session, group_id)
    return form_page(
        lambda typed, errors: _group_page(group_services.group_or_404(db.session, group_id), errors=errors),
        lambda _data: group_services.cancel_group(db.session, group),
        read=_confirmed, renamed={"status": "cancel"},
        flash_message=_("The group is cancelled. Its coming meetings are cancelled too."),
        done=url_for("vip.group", group_id=group_id))


def _meeting_page(meeting, *, typed: dict, errors: dict):
    rows = sorted(meeting.session.attendance,
                  key=lambda a: (a.person.last_name.casefold(), a.person.first_name.casefold(), a.person_id))
    zone = _zone()
    return render_template(
        "vip/meeting.html", meeting=meeting, rows=rows, statuses=statuses_open(meeting.session),
        started=has_started(meeting.session), typed=typed, errors=errors,
        starts=local(meeting.session.starts_at, zone),
        ends=local(meeting.session.ends_at, zone), theme=meeting_services.theme_label(meeting.theme),
        can_record=has_permission("vip.attendance") and not meeting.session.cancelled,
    )


@bp.get("/meetings/<int:meeting_id>")
@requires("vip.view")
def meeting(meeting_id: int):
    """A meeting's attendance; those who may record it (vip.attendance) save everyone's at once."""
    meeting = meeting_services.meeting_or_404(db.session, meeting_id)
    typed = {str(a.person_id): a.status.value if a.status else "" for a in meeting.session.attendance}
    return _meeting_page(meeting, typed=typed, errors={})


def _record(meeting, data: dict | None):
    """Record what was chosen (None clears a status); nothing when nothing was chosen."""
    if data is None:
        return None
    statuses = {entry["person_id"]: entry["status"] for entry in data["attendance"]}
    return meeting_services.record(db.session, meeting, statuses)


@bp.post("/meetings/<int:meeting_id>")
@requires("vip.attendance")
def record_attendance(meeting_id: int):
    meeting = meeting_services.meeting_or_404(db.session, meeting_id)
    typed = {str(row.person_id): request.form.get(f"status-{row.person_id}", "") for row in meeting.session.attendance}
    return form_page(
        lambda _typed, errors: _meeting_page(meeting_services.meeting_or_404(db.session, meeting_id), typed=typed,
                                             errors=errors),
        lambda data: _record(meeting, data),
        read=lambda form: read_attendance(meeting.session, form, _("Choose one of the options.")),
        renamed={"attendance": "_all"},
        flash_message=lambda rows: (_("Nothing was chosen, so nothing was saved."), "info") if rows is None
        else _("Attendance is saved."),
        done=url_for("vip.meeting", meeting_id=meeting_id))


def _move_input(form) -> dict:
    """The move form (a local date and time) as the API's meeting change."""
    starts = read_moment(form, ("date", _("Give the new date.")),
                         ("time", _("Give the time as hours and minutes, for example 13:00.")), _zone())
    return {"starts_at": starts.isoformat(), "location": form.get("location", "").strip() or None,
            "move_later": form.get("move_later") == "yes"}


@bp.route("/meetings/<int:meeting_id>/move", methods=["GET", "POST"])
@requires("vip.groups")
def meeting_move(meeting_id: int):
    meeting = meeting_services.meeting_or_404(db.session, meeting_id)

    def initial() -> dict:
        starts = local(meeting.session.starts_at, _zone())
        return {"date": starts.date().isoformat(), "time": starts.strftime("%H:%M"),
                "location": meeting.session.location or "", "move_later": ""}

    return form_page(
        lambda typed, errors: _move_page(meeting_services.meeting_or_404(db.session, meeting_id), typed, errors),
        lambda data: meeting_services.reschedule(db.session, meeting, data["starts_at"], location=data["location"],
                                                 move_later=data["move_later"]),
        schema=VipMeetingPatchSchema(), read=_move_input, initial=initial, renamed={"starts_at": "date"},
        flash_message=_("Meeting %(number)s is moved.", number=meeting.number),
        done=url_for("vip.group", group_id=meeting.group_id))


def _move_page(meeting, typed: dict, errors: dict):
    zone = _zone()
    return render_template(
        "vip/meeting_move.html", meeting=meeting, typed=typed, errors=errors,
        starts=local(meeting.session.starts_at, zone),
        ends=local(meeting.session.ends_at, zone),
    )
