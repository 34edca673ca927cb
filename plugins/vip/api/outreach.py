"""VIP API: outreach, who was informed about the course and offered it, and its CSV import."""

from __future__ import annotations

from flask import g, request
from flask.views import MethodView

from core.toolkit import (
    PROBLEM_JSON,
    PageArgsSchema,
    abort_invalid,
    conflict_response,
    current_vault,
    db,
    idempotent,
    record_audit,
    requires,
)
from plugins.vip.api import api
from plugins.vip.schemas import (
    OutreachArgsSchema,
    OutreachCoverageSchema,
    OutreachImportProblemSchema,
    OutreachImportResultSchema,
    OutreachInSchema,
    OutreachPage,
    OutreachPatchSchema,
    OutreachSchema,
)
from plugins.vip.services import outreach as services

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
        done = services.record(db.session, current_vault(), data, country=g.tenant.country)
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
        report = services.import_file(db.session, current_vault(), raw, country=g.tenant.country)
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
        record_audit(db.session, "vip.outreach.read", object_type="vip_outreach", object_id=row.id)
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
