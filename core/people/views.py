"""People pages: list and search, detail with consents, add and edit with duplicate checks."""

from __future__ import annotations

import json
from datetime import date

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.auth.guard import has_permission
from core.auth.permissions import requires
from core.db import db
from core.errors import Conflict, FieldError
from core.pagination import paginate, requested_page
from core.people import services
from core.people.models import Consent, ConsentGiver
from core.people.schemas import ConsentInSchema, PersonInSchema, PersonPatchSchema
from core.web.forms import form_page

bp = Blueprint("people", __name__, url_prefix="/t/<tenant>/people")

CHECKBOXES = ("interpreter_needed", "protected_identity")


def _vault():
    return current_app.extensions["samverka"].vault


def _person_or_404(person_id: int, *, audited: bool = False):
    """The person, or 404; ``audited`` records the read and commits it."""
    person = services.person_or_404(db.session, person_id, audited=audited)
    if audited:
        db.session.commit()
    return person


def _form_input(form) -> dict:
    """Posted fields as the schema expects them: blanks are "not given", boxes are booleans."""
    raw = {k: v.strip() for k, v in form.items() if k != "csrf_token" and k not in CHECKBOXES}
    raw = {k: (v if v != "" else None) for k, v in raw.items()}
    raw.update({box: box in form for box in CHECKBOXES})
    raw.pop("confirm_not_duplicate", None)
    return raw


@bp.get("/")
@requires("core.people.read")
def index():
    query = (request.args.get("q") or "").strip()[:100]
    page = paginate(db.session, services.search_people(query), requested_page(), 50, q=query)
    return render_template("people/index.html", page=page, query=query)


class PossibleDuplicates(Conflict, FieldError):
    """Registered people may be the one being saved: the form again (409) showing them, with
    no field in error, until staff confirm it is a different person."""

    def __init__(self) -> None:
        FieldError.__init__(self, {})
        self.args = ("possible duplicates",)


def _person_form(person=None, *, initial=None):
    """The add or edit form through the API's input schema (every field optional when editing,
    as a PATCH); possible duplicates are shown before anything is saved, unless confirmed."""
    found: list = []

    def render(typed, errors):
        return render_template("people/form.html", person=person, typed=typed, errors=errors, duplicates=found)

    def save(data):
        if "confirm_not_duplicate" not in request.form:
            found.extend(services.find_duplicates(db.session, _vault(), data, country=g.tenant.country,
                                                  exclude_id=person.id if person else None))
            if found:
                raise PossibleDuplicates()
        if person is None:
            return services.create_person(db.session, _vault(), data, country=g.tenant.country)
        if not data.get("national_id"):
            data.pop("national_id", None)  # blank on the edit form keeps the number on file
        return services.update_person(db.session, _vault(), person, data, country=g.tenant.country)

    return form_page(
        render, save, schema=PersonInSchema() if person is None else PersonPatchSchema(), read=_form_input,
        initial=initial, flash_message=_("Saved."),
        done=lambda saved: url_for("people.detail", person_id=saved.id))


@bp.route("/new", methods=["GET", "POST"])
@requires("core.people.write")
def new():
    return _person_form()


@bp.route("/<int:person_id>/edit", methods=["GET", "POST"])
@requires("core.people.write")
def edit(person_id: int):
    person = _person_or_404(person_id, audited=request.method == "GET")

    def initial():
        shown = services.shown(person, see_protected=has_permission("core.people.protected"))
        return {k: ("" if v is None else v) for k, v in shown.items()}

    return _person_form(person, initial=initial)


@bp.get("/<int:person_id>")
@requires("core.people.read")
def detail(person_id: int):
    person = _person_or_404(person_id, audited=True)
    shown = services.shown(person, see_protected=has_permission("core.people.protected"))
    return render_template("people/detail.html", person=person, shown=shown, givers=list(ConsentGiver),
                           errors={}, typed={}, today=date.today())


@bp.post("/<int:person_id>/consents")
@requires("core.people.write")
def add_consent(person_id: int):
    person = _person_or_404(person_id)

    def render(typed, errors):
        shown = services.shown(person, see_protected=has_permission("core.people.protected"))
        return render_template("people/detail.html", person=person, shown=shown, givers=list(ConsentGiver),
                               errors=errors, typed=typed, today=date.today())

    return form_page(
        render, lambda data: services.add_consent(db.session, person, **data), schema=ConsentInSchema(),
        read=lambda form: {k: v for k, v in form.items() if k != "csrf_token" and v.strip()},
        flash_message=_("Consent recorded."), done=url_for("people.detail", person_id=person_id))


@bp.post("/<int:person_id>/consents/<int:consent_id>/withdraw")
@requires("core.people.write")
def withdraw_consent(person_id: int, consent_id: int):
    person = _person_or_404(person_id)
    consent = db.session.scalar(select(Consent).where(Consent.id == consent_id, Consent.person_id == person.id))
    if consent is None:
        abort(404)
    services.withdraw_consent(db.session, consent, max(date.today(), consent.given_on), g.hooks)
    db.session.commit()
    flash(_("Consent withdrawn."), "success")
    return redirect(url_for("people.detail", person_id=person.id))


@bp.get("/<int:person_id>/export")
@requires("core.people.export")
def export(person_id: int):
    """Everything held about the person, as a page they could be handed, or as JSON."""
    person = _person_or_404(person_id)
    data = services.export_person(db.session, g.hooks, person)
    db.session.commit()
    if request.args.get("format") == "json":
        response = current_app.response_class(json.dumps(data, indent=2, ensure_ascii=False, default=str),
                                              mimetype="application/json")
        response.headers["Content-Disposition"] = f'attachment; filename="person-{person.id}.json"'
        return response
    return render_template("people/export.html", person=person, data=data)


@bp.route("/<int:person_id>/erase", methods=["GET", "POST"])
@requires("core.people.erase")
def erase(person_id: int):
    person = _person_or_404(person_id)
    error = None
    if request.method == "POST":
        if request.form.get("confirm") != "yes":
            error = _("Tick the box to confirm.")
        else:
            try:
                reports = services.erase_person(db.session, g.hooks, person,
                                                anonymise=request.form.get("mode") == "anonymise")
            except services.LegalHold as exc:
                db.session.rollback()
                error = _("The record is under a legal hold and cannot be erased: %(reason)s", reason=exc)
            except services.PersonGone:
                db.session.rollback()
                abort(404)
            else:
                db.session.commit()
                kept = [reason for report in reports.values() for reason in report.kept]
                flash(_("The person's data is erased.") if not reports["core"].anonymised else
                      _("The person's data is anonymised.") + (" " + " ".join(kept) if kept else ""), "success")
                return redirect(url_for("people.index"))
    return render_template("people/erase.html", person=person, error=error), 422 if error else 200
