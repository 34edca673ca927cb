"""VIP pages: outreach, who was informed about the course and offered it, and its CSV import."""

from __future__ import annotations

from flask import abort, current_app, g, render_template, request, url_for

from core.toolkit import (
    N_,
    FieldError,
    _,
    current_vault,
    db,
    form_page,
    get_person,
    has_permission,
    record_audit,
    requested_page,
    requires,
    search_people,
)
from plugins.vip.schemas import OutreachInSchema, OutreachPatchSchema
from plugins.vip.services import outreach as services
from plugins.vip.views import bp, posted_id

#: Outreach status -> label (the msgid; lazy_gettext is not among pybabel's keywords).
STATUS_LABELS = {
    services.NOT_INFORMED: N_("Not yet informed"),
    services.INFORMED: N_("Informed, not offered"),
    services.OFFERED: N_("Offered"),
}
DATE_FIELDS = ("birth_date", "informed_on", "offered_on")



def _coverage() -> dict:
    offered, total = services.coverage(db.session)
    return {"offered": offered, "total": total, "percent": services.coverage_percent(offered, total)}


def _outreach_input(form, keys) -> dict:
    """The posted ``keys`` as the API's outreach input: a blank answer is not given."""
    return {key: (form.get(key) or "").strip() or None for key in keys}


#: The page's own words where the API's schema refuses what was typed.
WORDED = {
    **{key: N_("Write the date as YYYY-MM-DD, for example 2025-03-15.") for key in DATE_FIELDS},
    "birth_year": N_("Write the year with four digits."),
    "person_id": N_("There is no such person."),
}


def _shown(typed: dict) -> dict:
    """What was typed, to show again: everything but the national ID, which is never echoed."""
    return {k: v for k, v in typed.items() if k != "national_id"}


@bp.get("/outreach/")
@requires("vip.outreach")
def outreach():
    status = request.args.get("status")
    status = status if status in services.STATUSES else None
    query = (request.args.get("q") or "").strip()[:100]
    args = {k: v for k, v in (("status", status), ("q", query)) if v}
    page = services.page(db.session, status, query, requested_page(), 50, args=args)
    return render_template("vip/outreach.html", page=page, status=status, query=query,
                           labels={key: _(label) for key, label in STATUS_LABELS.items()},
                           status_of=services.status_of, coverage=_coverage())


def _chosen_person(person_id):
    if person_id is None:
        return None
    return get_person(db.session, person_id)


def _new_form(typed: dict, errors: dict, person=None):
    find = (request.args.get("find") or "").strip()[:100]
    found = []
    if find and has_permission("core.people.read"):
        found = list(db.session.scalars(search_people(find).limit(20)))
    return render_template("vip/outreach_form.html", outreach=None, person=person, typed=typed, errors=errors,
                           find=find, found=found)


def _saved(done, person_id) -> str:
    name = done.outreach.person.display_name
    if done.person_created:
        return _("Saved. %(name)s was added to the register of people.", name=name)
    if person_id is None:
        return _("Saved. %(name)s was already registered, so the outreach was recorded for them.", name=name)
    return _("Saved.")


@bp.route("/outreach/new", methods=["GET", "POST"])
@requires("vip.outreach")
def outreach_new():
    person = None
    if request.method == "GET" and (raw := request.args.get("person_id", "")):
        person_id = posted_id(raw)
        person = _chosen_person(person_id) if person_id else None
        if person is None:
            abort(404)
    elif request.method == "POST":
        person = _chosen_person(posted_id(request.form.get("person_id")))
    keys = ("person_id", "first_name", "last_name", "birth_date", "birth_year", "national_id", *services.FIELDS)
    return form_page(
        lambda typed, errors: _new_form(_shown(typed), errors, person=person),
        lambda data: services.record(db.session, current_vault(), data, country=g.tenant.country),
        schema=OutreachInSchema(), read=lambda form: _outreach_input(form, keys),
        worded={key: _(message) for key, message in WORDED.items()},
        flash_message=lambda done: _saved(done, posted_id(request.form.get("person_id"))),
        done=url_for("vip.outreach"))


@bp.route("/outreach/<int:outreach_id>/edit", methods=["GET", "POST"])
@requires("vip.outreach")
def outreach_edit(outreach_id: int):
    row = services.outreach_or_404(db.session, outreach_id)

    def initial() -> dict:
        record_audit(db.session, "vip.outreach.read", object_type="vip_outreach", object_id=row.id)
        db.session.commit()
        return {key: "" if getattr(row, key) is None else str(getattr(row, key)) for key in services.FIELDS}

    def render(typed, errors):
        shown = services.outreach_or_404(db.session, outreach_id)  # erased while the form was being checked?
        return render_template("vip/outreach_form.html", outreach=shown, person=shown.person, typed=_shown(typed),
                               errors=errors)

    return form_page(
        render, lambda data: services.update(db.session, row, data),
        schema=OutreachPatchSchema(), read=lambda form: _outreach_input(form, services.FIELDS),
        worded={key: _(message) for key, message in WORDED.items()}, initial=initial,
        flash_message=_("Saved."), done=url_for("vip.outreach"))


def _upload(form) -> bytes:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise FieldError({"file": [_("Choose a CSV file to import.")]})
    return upload.read(services.MAX_IMPORT_BYTES + 1)


def _imported(report) -> str:
    return _("The file was imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged. "
             "%(people)s people were added to the register of people.", created=report.created,
             updated=report.updated, unchanged=report.unchanged, people=report.people_created)


@bp.route("/outreach/import", methods=["GET", "POST"])
@requires("vip.outreach")
def outreach_import():
    return form_page(
        lambda typed, errors: _import_page(errors),
        lambda raw: services.import_file(db.session, current_vault(), raw, country=g.tenant.country),
        read=_upload, flash_message=_imported, done=url_for("vip.outreach"))


def _import_page(errors: dict):
    """The import form; with ``errors``, why nothing was imported: the file as a whole
    (``file``), or every problem of its rows (``rows``)."""
    file_error = " ".join(errors.get("file", [])) or None
    rows = errors.get("rows") if not file_error else None
    return render_template("vip/outreach_import.html", file_error=file_error, report={"errors": rows} if rows else None,
                           columns=services.COLUMNS, max_rows=services.MAX_IMPORT_ROWS,
                           max_mb=services.MAX_IMPORT_BYTES // (1024 * 1024))


@bp.get("/outreach/template.csv")
@requires("vip.outreach")
def outreach_template():
    response = current_app.response_class(services.template_csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="vip-outreach.csv"'
    return response
