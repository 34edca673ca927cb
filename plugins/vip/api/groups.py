"""VIP API: groups, their meetings, attendance and completion."""

from __future__ import annotations

from flask.views import MethodView
from sqlalchemy import select

from core.toolkit import (
    AttendanceInSchema,
    AttendanceSchema,
    PageArgsSchema,
    Person,
    conflict_response,
    db,
    idempotent,
    paginate,
    requires,
)
from plugins.vip.api import api
from plugins.vip.schemas import (
    VipCompletionSchema,
    VipGroupArgsSchema,
    VipGroupInSchema,
    VipGroupPage,
    VipGroupPatchSchema,
    VipGroupSchema,
    VipMeetingPatchSchema,
    VipMeetingSchema,
    VipMeetingsInSchema,
)
from plugins.vip.services import groups as group_services
from plugins.vip.services import meetings as meeting_services
from plugins.vip.services.register import trained_dates
from plugins.vip.settings import current_settings


def _groups_out(groups) -> list[dict]:
    info = group_services.summaries(db.session, [group.id for group in groups])
    trained = trained_dates(db.session, {gl.user_id: gl.user for group in groups for gl in group.leaders}.values())
    return [{
        "id": group.id, "name": group.name, "audience": group.audience, "location": group.location,
        "capacity": group.capacity, "status": group.status, "created_at": group.created_at,
        "leaders": [{"user_id": gl.user_id, "name": gl.user.name, "trained_on": trained.get(gl.user_id)}
                    for gl in group.leaders],
        "places_taken": info[group.id]["placed"], "places_offered": info[group.id]["offered"],
        "next_meeting_at": info[group.id]["next_meeting_at"],
    } for group in groups]


def _meeting_out(meeting) -> dict:
    scheduled = meeting.session
    return {"id": meeting.id, "group_id": meeting.group_id, "number": meeting.number, "theme": meeting.theme,
            "theme_label": meeting_services.theme_label(meeting.theme), "session_id": meeting.session_id,
            "title": meeting_services.display_title(meeting.group.name, meeting.number, meeting.theme),
            "starts_at": scheduled.starts_at, "ends_at": scheduled.ends_at,
            "location": scheduled.location, "cancelled": scheduled.cancelled}


@api.route("/groups")
class Groups(MethodView):
    @requires("vip.view")
    @api.arguments(VipGroupArgsSchema, location="query")
    @api.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @api.response(200, VipGroupPage)
    def get(self, args, page, per_page):
        """The groups, running and planned first; filter by ``status`` and ``audience``."""
        result = paginate(db.session, group_services.list_groups(**args), page, per_page)
        result.items = _groups_out(result.items)
        return result

    @requires("vip.groups")
    @idempotent
    @api.arguments(VipGroupInSchema)
    @api.response(201, VipGroupSchema)
    def post(self, data):
        """Form a group of one of the tenant's audiences with its trained leaders."""
        group = group_services.form_group(db.session, **data)
        db.session.commit()
        return _groups_out([group_services.group_or_404(db.session, group.id)])[0]


@api.route("/groups/<int:group_id>")
class GroupResource(MethodView):
    @requires("vip.view")
    @api.response(200, VipGroupSchema)
    def get(self, group_id):
        """One group, its leaders (with when they were trained) and its places."""
        return _groups_out([group_services.group_or_404(db.session, group_id)])[0]

    @requires("vip.groups")
    @api.arguments(VipGroupPatchSchema)
    @api.response(200, VipGroupSchema)
    @conflict_response(api, "The group is cancelled or finished, or a new leader or room is booked at a coming meeting.")
    def patch(self, data, group_id):
        """Rename, move to another room, change the leaders, or cancel (``status: cancelled``).
        Meetings not yet started follow; a double booking is a 409."""
        group = group_services.group_or_404(db.session, group_id)
        changes = {key: data[key] for key in ("name", "location", "leader_ids") if key in data}
        if changes:
            group_services.update_group(db.session, group, **changes)
        if data.get("status") == "cancelled":
            group_services.cancel_group(db.session, group)
        db.session.commit()
        return _groups_out([group_services.group_or_404(db.session, group_id)])[0]


@api.route("/groups/<int:group_id>/meetings")
class GroupMeetings(MethodView):
    @requires("vip.view")
    @api.response(200, VipMeetingSchema(many=True))
    def get(self, group_id):
        """The group's meetings in order, each with its theme."""
        return [_meeting_out(m) for m in group_services.group_or_404(db.session, group_id).meetings]

    @requires("vip.groups")
    @idempotent
    @api.arguments(VipMeetingsInSchema)
    @api.response(201, VipMeetingSchema(many=True))
    @conflict_response(api, "The group has its meetings already, is cancelled or finished, or a leader or the room is "
              "booked at one of the times (``detail`` names each clash).")
    def post(self, data, group_id):
        """Generate the course's meetings as core sessions. 409 when the group has its
        meetings already, or a leader or the room is booked at one of the times."""
        group = group_services.group_or_404(db.session, group_id)
        meeting_services.generate_meetings(db.session, group, **data)
        db.session.commit()
        return [_meeting_out(m) for m in group_services.group_or_404(db.session, group_id).meetings]


@api.route("/groups/<int:group_id>/completion")
class GroupCompletion(MethodView):
    @requires("vip.view")
    @api.response(200, VipCompletionSchema)
    def get(self, group_id):
        """Each participant's meetings attended and whether that completes the course."""
        group = group_services.group_or_404(db.session, group_id)
        done = group_services.completion(db.session, group)
        names = {a.person_id: a.person.display_name for a in group_services.participants(db.session, group)}
        missing = [pid for pid in done if pid not in names]
        if missing:
            people = db.session.scalars(select(Person).where(Person.id.in_(missing)))
            names.update({p.id: p.display_name for p in people})
        return {
            "completion_meetings": current_settings(db.session)["completion_meetings"],
            "meetings": len(group.meetings),
            "participants": [
                {"person_id": pid, "name": names.get(pid, ""), "attended": attended, "completed": completed}
                for pid, (attended, completed) in sorted(done.items(), key=lambda kv: names.get(kv[0], ""))],
        }


@api.route("/meetings/<int:meeting_id>")
class MeetingResource(MethodView):
    @requires("vip.view")
    @api.response(200, VipMeetingSchema)
    def get(self, meeting_id):
        """One meeting."""
        return _meeting_out(meeting_services.meeting_or_404(db.session, meeting_id))

    @requires("vip.groups")
    @api.arguments(VipMeetingPatchSchema)
    @api.response(200, VipMeetingSchema)
    @conflict_response(api, "The meeting or its group is cancelled, or a leader or the room is booked at a new time.")
    def patch(self, data, meeting_id):
        """Move a meeting (it keeps its length), and to another place when ``location`` is
        given; with ``move_later`` the later meetings move by the same amount. 422 when the
        time has passed or the series would be out of order, 409 when a leader or the room is
        booked then."""
        meeting = meeting_services.meeting_or_404(db.session, meeting_id)
        meeting_services.reschedule(db.session, meeting, data["starts_at"], location=data["location"],
                                    move_later=data["move_later"])
        db.session.commit()
        return _meeting_out(meeting)


@api.route("/meetings/<int:meeting_id>/attendance")
class MeetingAttendance(MethodView):
    @requires("vip.view")
    @api.response(200, AttendanceSchema(many=True))
    def get(self, meeting_id):
        """The meeting's participants and their attendance."""
        return meeting_services.meeting_or_404(db.session, meeting_id).session.attendance

    @requires("vip.attendance")
    @api.arguments(AttendanceInSchema)
    @api.response(200, AttendanceSchema(many=True))
    @conflict_response(api, "The meeting is cancelled.")
    def put(self, data, meeting_id):
        """Record attendance for some or all participants (status null clears it)."""
        meeting = meeting_services.meeting_or_404(db.session, meeting_id)
        statuses = {entry["person_id"]: entry["status"] for entry in data["attendance"]}
        rows = meeting_services.record(db.session, meeting, statuses)
        db.session.commit()
        return rows
