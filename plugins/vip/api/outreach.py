"""VIP API: outreach, who was informed about the course and offered it, and its CSV import."""

from __future__ import annotations

from flask import current_app, g, request
from flask.views import MethodView
from marshmallow import INCLUDE, Schema, fields, validate

from core.audit import services as audit
from core.auth.permissions import requires
from core.db import MAX_ID, db
from core.pagination import PageArgsSchema, page_schema
from core.validation import FreeText, Name, ShortText
from core.web.errors import PROBLEM_JSON, abort_invalid
from core.web.idempotency import idempotent
from core.web.openapi import ProblemSchema, conflict_response
from plugins.vip.api import api
from plugins.vip.services import outreach as services

DATES = "YYYY-MM-DD, not in the future."


class OutreachPersonSchema(Schema):
    """The person a row is about, as far as outreach needs them."""

    id = fields.Integer()
    first_name = fields.String()
    last_name = fields.String()
    birth_date = fields.Date(allow_none=True)
    birth_year = fields.Integer(allow_none=True)


class OutreachSchema(Schema):
    id = fields.Integer()
    person_id = fields.Integer()
    person = fields.Nested(OutreachPersonSchema)
    service = fields.String(allow_none=True, metadata={"description": "The service the person uses."})
    informed_on = fields.Date(allow_none=True)
    offered_on = fields.Date(allow_none=True)
    note = fields.String(allow_none=True)
    status = fields.Method("_status", metadata={"type": "string", "enum": list(services.STATUSES),
                                                "description": "not_informed, informed (not offered) or offered."})
    updated_at = fields.DateTime()

    def _status(self, row) -> str:
        return services.status_of(row)


class OutreachFieldsSchema(Schema):
    service = ShortText(allow_none=True, validate=validate.Length(max=200))
    informed_on = fields.Date(allow_none=True, metadata={"description": DATES + " Set to offered_on when empty."})
    offered_on = fields.Date(allow_none=True, metadata={"description": DATES + " An offer counts as information."})
    note = FreeText(allow_none=True, validate=validate.Length(max=500))


class OutreachInSchema(OutreachFieldsSchema):
    """A registered person (``person_id``) or a new one (names and a birth date, birth year or
    national ID; matched to the register first). When the person has a row already it is
    updated: given values replace, absent ones stay."""

    person_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=MAX_ID))
    first_name = Name(allow_none=True, validate=validate.Length(max=100))
    last_name = Name(allow_none=True, validate=validate.Length(max=100))
    birth_date = fields.Date(allow_none=True)
    birth_year = fields.Integer(allow_none=True, validate=validate.Range(min=1880, max=2100))
    national_id = fields.String(load_only=True, allow_none=True, validate=validate.Length(max=20),
                                metadata={"description": "Validated for the country, stored encrypted, never returned."})
    national_id_country = fields.String(load_only=True, allow_none=True, validate=validate.OneOf(["DK", "SE", "FI"]),
                                        metadata={"description": "Defaults to the tenant's country."})


class OutreachPatchSchema(OutreachFieldsSchema):
    """The fields to change; a field sent as null is cleared."""


class OutreachArgsSchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(services.STATUSES))
    q = ShortText(load_default=None, validate=validate.Length(max=100), metadata={"description": "Part of a name."})


class OutreachCoverageSchema(Schema):
    offered = fields.Integer(metadata={"description": "Users offered the course at least once."})
    total = fields.Integer(metadata={"description": "All registered users of the disability services."})
    percent = fields.Integer(allow_none=True, metadata={"description": "offered / total in whole per cent, "
                                                                       "rounded down; null when total is 0."})


class OutreachImportResultSchema(Schema):
    rows = fields.Integer(metadata={"description": "Data rows read (empty rows are skipped)."})
    created = fields.Integer(metadata={"description": "Outreach rows added."})
    updated = fields.Integer(metadata={"description": "Outreach rows changed."})
    unchanged = fields.Integer(metadata={"description": "Rows that matched what was on file."})
    people_created = fields.Integer(metadata={"description": "People added to the register of people."})


class OutreachImportRowErrorSchema(Schema):
    row = fields.Integer(metadata={"description": "As a spreadsheet numbers it: the column names are row 1; "
                                                  "0 is the file as a whole."})
    column = fields.String(allow_none=True)
    message = fields.String()


class OutreachImportErrorsSchema(Schema):
    """``rows`` for the file's problems; a request refused before the file is read (a form
    field no database can store) names its fields instead, as every 422 does."""

    class Meta:
        unknown = INCLUDE

    rows = fields.List(fields.Nested(OutreachImportRowErrorSchema))


class OutreachImportProblemSchema(ProblemSchema):
    errors = fields.Nested(OutreachImportErrorsSchema, metadata={"description": "Every problem of the file, by row."})


OutreachPage = page_schema(OutreachSchema, "OutreachPage")

IMPORT_BODY = {
    "required": True,
    "description": "The CSV file: the raw file as `text/csv`, or a form upload with the field `file`. "
                   "Columns: first_name, last_name, birth_date (YYYY-MM-DD) and/or national_id, service, "
                   "informed_on, offered_on, note; first row the column names; `;` or `,` between columns; "
                   "UTF-8 (Excel's byte order mark allowed).",
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                           "properties": {"file": {"type": "string", "format": "binary"}}}},
    },
}


def _vault():
    return current_app.extensions["samverka"].vault


@api.route("/outreach")
class OutreachList(MethodView):
    @requires("vip.outreach")
    @api.arguments(OutreachArgsSchema, location="query")
    @api.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @api.response(200, OutreachPage)
    def get(self, args, page, per_page):
        """Users of the disability services and when they were informed and offered, by name."""
        return services.page(db.session, args["status"], args["q"], page, per_page)

    @requires("vip.outreach")
    @idempotent
    @api.arguments(OutreachInSchema)
    @api.response(201, OutreachSchema)
    @api.alt_response(200, schema=OutreachSchema, description="The person had a row already; it was updated.")
    @conflict_response(api, "The same person was recorded at the same moment.")
    def post(self, data):
        """Record outreach for one person, registered or new (matched by national ID or name
        and birth date before anyone is created)."""
        done = services.record(db.session, _vault(), data, country=g.tenant.country)
        db.session.commit()
        return done.outreach, 201 if done.created else 200


@api.route("/outreach/coverage")
class OutreachCoverage(MethodView):
    @requires("vip.view")
    @api.response(200, OutreachCoverageSchema)
    def get(self):
        """How many registered users of the disability services were offered the course at least once."""
        offered, total = services.coverage(db.session)
        return {"offered": offered, "total": total, "percent": services.coverage_percent(offered, total)}


@api.route("/outreach/import")
class OutreachImport(MethodView):
    @requires("vip.outreach")
    @api.doc(requestBody=IMPORT_BODY)
    @api.response(201, OutreachImportResultSchema, description="Imported; at least one row or person is new.")
    @api.alt_response(200, schema=OutreachImportResultSchema, description="Imported; every row updated an existing one.")
    @api.alt_response(422, schema=OutreachImportProblemSchema, content_type=PROBLEM_JSON,
                      description="Nothing was imported; `errors.rows` lists every problem of the file.")
    @conflict_response(api, "The same records were changed at the same moment; nothing was imported.")
    def post(self):
        """Import a CSV file of outreach: every row or none. Any problem anywhere in the file
        leaves everything as it was and answers 422 with every problem, by row."""
        if request.mimetype == "multipart/form-data":
            upload = request.files.get("file")
            if upload is None:
                abort_invalid({"rows": [{"row": 0, "column": None, "message": "Send the file in the field `file`."}]})
            raw = upload.read(services.MAX_IMPORT_BYTES + 1)
        elif request.mimetype in ("text/csv", "text/plain", "application/csv"):
            raw = request.get_data(cache=False)
        else:
            abort_invalid({"rows": [{"row": 0, "column": None,
                                     "message": "Send the file as text/csv or as multipart/form-data."}]})
        report = services.import_file(db.session, _vault(), raw, country=g.tenant.country)
        db.session.commit()
        counts = {key: getattr(report, key) for key in ("rows", "created", "updated", "unchanged", "people_created")}
        return counts, 201 if report.created or report.people_created else 200


@api.route("/outreach/<int:outreach_id>")
class OutreachResource(MethodView):
    @requires("vip.outreach")
    @api.response(200, OutreachSchema)
    def get(self, outreach_id):
        """One user's outreach record (the read is audited)."""
        row = services.outreach_or_404(db.session, outreach_id)
        audit.record(db.session, "vip.outreach.read", object_type="vip_outreach", object_id=row.id)
        db.session.commit()
        return row

    @requires("vip.outreach")
    @api.arguments(OutreachPatchSchema)
    @api.response(200, OutreachSchema)
    def patch(self, data, outreach_id):
        """Change some fields of a record; null clears one."""
        row = services.outreach_or_404(db.session, outreach_id)
        services.update(db.session, row, data)
        db.session.commit()
        return row
