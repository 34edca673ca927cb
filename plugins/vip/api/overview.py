"""VIP API: the overview of the tenant's VIP work (the figures of the overview page)."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields

from core.auth.permissions import requires
from core.db import db
from plugins.vip.api import api
from plugins.vip.models import GroupStatus
from plugins.vip.services import metrics


class VipOverviewRateSchema(Schema):
    percent = fields.Float(allow_none=True, metadata={"description": "count / of, in per cent; null when of is 0"})
    count = fields.Integer()
    of = fields.Integer()


class VipOverviewMedianSchema(Schema):
    median = fields.Float(allow_none=True, metadata={"description": "null when no placed applicant's group has started"})
    of = fields.Integer(metadata={"description": "The participants the median is taken over"})


class VipOverviewFiguresSchema(Schema):
    applications = fields.Integer()
    first_timers = fields.Nested(VipOverviewRateSchema, metadata={
        "description": "Applications from people who had not taken the course before"})
    days_to_start = fields.Nested(VipOverviewMedianSchema, metadata={
        "description": "Days from application to the first meeting of the group placed in"})
    groups_started = fields.Integer()
    participants = fields.Integer(metadata={"description": "Applications that got a place in a group"})
    completion = fields.Nested(VipOverviewRateSchema, metadata={
        "description": "Participants of finished groups who attended the meetings needed to complete"})
    outreach = fields.Nested(VipOverviewRateSchema, metadata={
        "description": "Registered users of disability services offered the course at least once"})
    trained_leaders = fields.Integer(metadata={"description": "Staff in the national register of trained leaders"})


class VipOverviewWaitlistSchema(Schema):
    audience = fields.String()
    in_line = fields.Integer(metadata={"description": "Applications waiting or offered a place"})


class VipOverviewGroupSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    audience = fields.String()
    status = fields.Enum(GroupStatus, by_value=True)
    participants = fields.Integer()
    capacity = fields.Integer()
    starts_at = fields.DateTime(allow_none=True, metadata={"description": "The first meeting; null before planning"})


class VipOverviewGroupsSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(),
                         metadata={"description": "Groups per status: planned, running, finished, cancelled"})
    groups = fields.List(fields.Nested(VipOverviewGroupSchema), metadata={"description": "Running and planned groups"})


class VipOverviewSchema(Schema):
    figures = fields.Nested(VipOverviewFiguresSchema)
    waitlists = fields.List(fields.Nested(VipOverviewWaitlistSchema))
    groups = fields.Nested(VipOverviewGroupsSchema)
    trains_leaders = fields.Boolean()


@api.route("/overview")
class Overview(MethodView):
    @requires("vip.view")
    @api.response(200, VipOverviewSchema)
    def get(self):
        """The tenant's VIP figures, waitlist lengths per audience and groups running or planned."""
        return metrics.overview(db.session, g.tenant.id)
