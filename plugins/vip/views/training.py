"""VIP pages: leader training courses (training tenant only) and every tenant's staff training status."""

from __future__ import annotations

from datetime import date

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from core.auth.permissions import requires
from core.db import db
from core.pagination import paginate, requested_page
from core.toolkit import staff_query
from plugins.vip.services import training as services
from plugins.vip.views import bp

COURSE_FIELDS = ("name", "starts_on", "ends_on", "location")
TRAINEE_FIELDS = ("name", "email", "organisation", "municipality")


def _training_tenant() -> None:
    """Courses exist only where the tenant trains leaders; elsewhere the pages do not."""
    if not services.runs_courses(db.session):
        abort(404)


def _date(raw: str | None) -> date | None:
    raw = (raw or "").strip()
    if len(raw) != 10:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _course_input(form) -> tuple[dict, dict]:
    data: dict = {}
    errors: dict[str, list[str]] = {}
    for key in COURSE_FIELDS:
        raw = (form.get(key) or "").strip()
        if key in ("starts_on", "ends_on"):
            data[key] = _date(raw)
            if raw and data[key] is None:
                errors[key] = [_("Write the date as YYYY-MM-DD, for example 2025-03-15.")]
        else:
            data[key] = raw or None
    return data, errors


def _typed(form) -> dict:
    return {k: v for k, v in form.items() if k != "csrf_token"}


@bp.get("/training/")
@requires("vip.training")
def training():
    _training_tenant()
    page = paginate(db.session, services.courses(), requested_page(), 50)
    return render_template("vip/training.html", page=page)


@bp.route("/training/courses/new", methods=["GET", "POST"])
@requires("vip.training")
def training_course_new():
    _training_tenant()
    if request.method == "GET":
        return render_template("vip/training_course_form.html", course=None, typed={}, errors={})
    data, errors = _course_input(request.form)
    if not errors:
        try:
            course = services.create_course(db.session, data)
        except services.TrainingError as exc:
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("The course is saved."), "success")
            return redirect(url_for("vip.training_course", course_id=course.id))
    db.session.rollback()
    return render_template("vip/training_course_form.html", course=None, typed=_typed(request.form),
                           errors=errors), 422


@bp.route("/training/courses/<int:course_id>/edit", methods=["GET", "POST"])
@requires("vip.training")
def training_course_edit(course_id: int):
    _training_tenant()
    course = services.course_or_404(db.session, course_id)
    if request.method == "GET":
        typed = {key: "" if getattr(course, key) is None else str(getattr(course, key)) for key in COURSE_FIELDS}
        return render_template("vip/training_course_form.html", course=course, typed=typed, errors={})
    data, errors = _course_input(request.form)
    if not errors:
        try:
            services.update_course(db.session, course, data)
        except services.TrainingError as exc:
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("The course is saved."), "success")
            return redirect(url_for("vip.training_course", course_id=course.id))
    db.session.rollback()
    return render_template("vip/training_course_form.html", course=services.course_or_404(db.session, course_id),
                           typed=_typed(request.form), errors=errors), 422


def _course_page(course, *, trainee_typed=None, trainee_errors=None, completion=None, status=200):
    """The course with its trainees; ``completion`` is ``(trainee_id, typed date, errors)``
    of a completion form that failed."""
    return render_template("vip/training_course.html", course=course, today=date.today(),
                           typed=trainee_typed or {}, errors=trainee_errors or {},
                           completion=completion or (None, "", {})), status


@bp.get("/training/courses/<int:course_id>")
@requires("vip.training")
def training_course(course_id: int):
    _training_tenant()
    return _course_page(services.course_or_404(db.session, course_id))


@bp.post("/training/courses/<int:course_id>/trainees")
@requires("vip.training")
def training_trainee_add(course_id: int):
    _training_tenant()
    course = services.course_or_404(db.session, course_id)
    data = {key: request.form.get(key) for key in TRAINEE_FIELDS}
    try:
        trainee = services.add_trainee(db.session, course, data)
    except services.TrainingError as exc:
        errors = exc.errors
    except IntegrityError:  # the same email added at the same moment
        errors = {"email": [_("Someone with this email is already on the course.")]}
    else:
        db.session.commit()
        flash(_("%(name)s is on the course.", name=trainee.name), "success")
        return redirect(url_for("vip.training_course", course_id=course.id) + "#trainees")
    db.session.rollback()
    return _course_page(services.course_or_404(db.session, course_id), trainee_typed=_typed(request.form), trainee_errors=errors,
                        status=422)


@bp.post("/training/courses/<int:course_id>/trainees/<int:trainee_id>/completion")
@requires("vip.training")
def training_completion(course_id: int, trainee_id: int):
    _training_tenant()
    course = services.course_or_404(db.session, course_id)
    trainee = services.get_trainee(db.session, course, trainee_id)
    if trainee is None:
        abort(404)
    if request.form.get("action") == "undo":
        services.undo_completion(db.session, trainee)
        db.session.commit()
        flash(_("The completion of %(name)s is taken back.", name=trainee.name), "success")
        return redirect(url_for("vip.training_course", course_id=course.id) + "#trainees")
    raw = (request.form.get("completed_on") or "").strip()
    completed_on = _date(raw)
    if completed_on is None:
        errors = {"completed_on": [_("Give the day the course was completed, as YYYY-MM-DD.") if not raw else
                                   _("Write the date as YYYY-MM-DD, for example 2025-03-15.")]}
    else:
        try:
            services.complete(db.session, trainee, completed_on)
        except services.TrainingError as exc:
            errors = exc.errors
        else:
            db.session.commit()
            flash(_("%(name)s completed the course and is in the register of trained leaders.", name=trainee.name),
                  "success")
            return redirect(url_for("vip.training_course", course_id=course.id) + "#trainees")
    db.session.rollback()
    return _course_page(services.course_or_404(db.session, course_id), completion=(trainee_id, raw, errors), status=422)


@bp.get("/training/register")
@requires("vip.training")
def training_register():
    """The leaders this tenant trained, by municipality and year, searchable (training tenant only)."""
    _training_tenant()
    search = services.register_search(request.args)
    page = paginate(db.session, services.trained_leaders(**search), requested_page(), 50, **search)
    table = services.register_by_year(db.session, **search)
    return render_template("vip/training_register.html", page=page, table=table, search=search)


@bp.get("/training/register.csv")
@requires("vip.training")
def training_register_csv():
    """The same list (all of it, with the same search) as a CSV file."""
    _training_tenant()
    search = services.register_search(request.args)
    leaders = list(db.session.scalars(services.trained_leaders(**search)))
    text = services.register_csv(db.session, leaders, search)
    db.session.commit()
    response = current_app.response_class(text, mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="vip-trained-leaders.csv"'
    return response


@bp.get("/staff/training")
@requires("vip.view")
def staff_training():
    page = paginate(db.session, staff_query(), requested_page(), 50)
    rows = services.staff_training(db.session, page.items)
    roles = current_app.extensions["samverka"].roles.roles
    return render_template("vip/staff_training.html", page=page, rows=rows, roles=roles)
