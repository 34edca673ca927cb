"""VIP pages: outreach, who was informed about the course and offered it, and its CSV import."""

from __future__ import annotations

import re
from datetime import date

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from core.audit import services as audit
from core.auth.guard import has_permission
from core.auth.permissions import requires
from core.db import db
from core.pagination import requested_page
from core.people import services as people
from core.web.strings import N_
from plugins.vip.services import outreach as services
from plugins.vip.views import bp, posted_id

#: Outreach status -> label (the msgid; lazy_gettext is not among pybabel's keywords).
STATUS_LABELS = {
    services.NOT_INFORMED: N_("Not yet informed"),
    services.INFORMED: N_("Informed, not offered"),
    services.OFFERED: N_("Offered"),
}
DATE_FIELDS = ("birth_date", "informed_on", "offered_on")
_YEAR = re.compile(r"\d{4}", re.ASCII)


def _vault():
    return current_app.extensions["samverka"].vault


def _coverage() -> dict:
    offered, total = services.coverage(db.session)
    return {"offered": offered, "total": total, "percent": services.coverage_percent(offered, total)}


def _form_input(form, keys) -> tuple[dict, dict]:
    """The posted ``keys`` as the services take them (blank is "not given"), and the
    per-field errors of values that are not even of the right kind."""
    data: dict = {}
    errors: dict[str, list[str]] = {}
    for key in keys:
        raw = (form.get(key) or "").strip()
        if not raw:
            data[key] = None
        elif key in DATE_FIELDS:
            try:
                data[key] = date.fromisoformat(raw) if len(raw) == 10 else None
            except ValueError:
                data[key] = None
            if data[key] is None:
                errors[key] = [_("Write the date as YYYY-MM-DD, for example 2025-03-15.")]
        elif key == "birth_year":
            data[key] = int(raw) if _YEAR.fullmatch(raw) else None
            if data[key] is None:
                errors[key] = [_("Write the year with four digits.")]
        elif key == "person_id":
            data[key] = posted_id(raw)
            if data[key] is None:
                errors[key] = [_("There is no such person.")]
        else:
            data[key] = raw
    return data, errors


def _typed(form) -> dict:
    """What was typed, to show again: everything but the national ID, which is never echoed."""
    return {k: v for k, v in form.items() if k not in ("csrf_token", "national_id")}


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
    return people.get_person(db.session, person_id)


def _new_form(typed: dict, errors: dict, status: int = 200, person=None):
    find = (request.args.get("find") or "").strip()[:100]
    found = []
    if find and has_permission("core.people.read"):
        found = list(db.session.scalars(people.search_people(find).limit(20)))
    return render_template("vip/outreach_form.html", outreach=None, person=person, typed=typed, errors=errors,
                           find=find, found=found), status


@bp.route("/outreach/new", methods=["GET", "POST"])
@requires("vip.outreach")
def outreach_new():
    if request.method == "GET":
        person = None
        raw = request.args.get("person_id", "")
        if raw:
            person_id = posted_id(raw)
            person = _chosen_person(person_id) if person_id else None
            if person is None:
                abort(404)
        return _new_form({}, {}, person=person)
    keys = ("person_id", "first_name", "last_name", "birth_date", "birth_year", "national_id", *services.FIELDS)
    data, errors = _form_input(request.form, keys)
    person = _chosen_person(data.get("person_id"))
    if not errors:
        try:
            done = services.record(db.session, _vault(), data, country=g.tenant.country)
        except services.OutreachError as exc:
            db.session.rollback()
            errors = exc.errors
        except IntegrityError:  # the same person recorded at the same moment by someone else
            db.session.rollback()
            errors = {"_schema": [_("Someone recorded this person at the same moment. Try again.")]}
        else:
            db.session.commit()
            name = done.outreach.person.display_name
            if done.person_created:
                flash(_("Saved. %(name)s was added to the register of people.", name=name), "success")
            elif data.get("person_id") is None:
                flash(_("Saved. %(name)s was already registered, so the outreach was recorded for them.",
                        name=name), "success")
            else:
                flash(_("Saved."), "success")
            return redirect(url_for("vip.outreach"))
    return _new_form(_typed(request.form), errors, 422, person=person)


@bp.route("/outreach/<int:outreach_id>/edit", methods=["GET", "POST"])
@requires("vip.outreach")
def outreach_edit(outreach_id: int):
    row = services.outreach_or_404(db.session, outreach_id)
    if request.method == "GET":
        audit.record(db.session, "vip.outreach.read", object_type="vip_outreach", object_id=row.id)
        db.session.commit()
        typed = {key: "" if getattr(row, key) is None else str(getattr(row, key)) for key in services.FIELDS}
        return render_template("vip/outreach_form.html", outreach=row, person=row.person, typed=typed, errors={})
    data, errors = _form_input(request.form, services.FIELDS)
    if not errors:
        try:
            services.update(db.session, row, data)
        except services.OutreachError as exc:
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("vip.outreach"))
    db.session.rollback()
    row = services.outreach_or_404(db.session, outreach_id)  # erased while the form was being checked?
    return render_template("vip/outreach_form.html", outreach=row, person=row.person, typed=_typed(request.form),
                           errors=errors), 422


@bp.route("/outreach/import", methods=["GET", "POST"])
@requires("vip.outreach")
def outreach_import():
    if request.method == "GET":
        return _import_page()
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(file_error=_("Choose a CSV file to import."))
    try:
        text = services.decode(upload.read(services.MAX_IMPORT_BYTES + 1))
    except services.ImportFileError as exc:
        return _import_page(file_error=str(exc))
    try:
        report = services.import_csv(db.session, _vault(), text, country=g.tenant.country)
    except IntegrityError:
        db.session.rollback()
        return _import_page(file_error=_("Someone changed the same records at the same moment. "
                                         "Nothing was imported. Try again."))
    if not report.ok:
        db.session.rollback()
        return _import_page(report=report)
    db.session.commit()
    flash(_("The file was imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged. "
            "%(people)s people were added to the register of people.", created=report.created,
            updated=report.updated, unchanged=report.unchanged, people=report.people_created), "success")
    return redirect(url_for("vip.outreach"))


def _import_page(*, file_error: str | None = None, report=None):
    status = 422 if file_error or report is not None else 200
    return render_template("vip/outreach_import.html", file_error=file_error, report=report,
                           columns=services.COLUMNS, max_rows=services.MAX_IMPORT_ROWS,
                           max_mb=services.MAX_IMPORT_BYTES // (1024 * 1024)), status


@bp.get("/outreach/template.csv")
@requires("vip.outreach")
def outreach_template():
    response = current_app.response_class(services.template_csv(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="vip-outreach.csv"'
    return response
