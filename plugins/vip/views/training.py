"""VIP pages: leader training courses (training tenant only) and every tenant's staff training status."""

from __future__ import annotations

from datetime import date

from flask import current_app, render_template, request, url_for

from core.toolkit import FieldError, _, current_roles, db, form_page, paginate, requested_page, requires, staff_query
from plugins.vip.schemas import LeaderCourseInSchema, LeaderCoursePatchSchema, TraineeCompletionSchema, TraineeInSchema
from plugins.vip.services import training as services
from plugins.vip.views import bp

COURSE_FIELDS = ("name", "starts_on", "ends_on", "location")
TRAINEE_FIELDS = ("name", "email", "organisation", "municipality")


def _training_tenant() -> None:
    """Courses exist only where the tenant trains leaders; elsewhere the pages do not."""
    services.require_courses(db.session)


def _blank_is_none(form, keys) -> dict:
    """The posted ``keys`` as the API's input: a blank answer is none."""
    return {key: (form.get(key) or "").strip() or None for key in keys}


def _dates_worded() -> dict:
    message = _("Write the date as YYYY-MM-DD, for example 2025-03-15.")
    return {"starts_on": message, "ends_on": message, "completed_on": message}


def _course_form(course_id: int | None, schema):
    """The new or changed course: the page of the API's course input."""
    course = services.course_or_404(db.session, course_id) if course_id is not None else None
    return form_page(
        lambda typed, errors: render_template(
            "vip/training_course_form.html", errors=errors, typed=typed,
            course=services.course_or_404(db.session, course_id) if course_id is not None else None),
        lambda data: services.update_course(db.session, course, data) if course is not None
        else services.create_course(db.session, data),
        schema=schema, read=lambda form: _blank_is_none(form, COURSE_FIELDS),
        initial=lambda: {key: "" if getattr(course, key) is None else str(getattr(course, key))
                         for key in COURSE_FIELDS} if course is not None else {},
        blank=("name", "starts_on", "ends_on"),
        worded=_dates_worded(), flash_message=_("The course is saved."),
        done=lambda saved: url_for("vip.training_course", course_id=saved.id))


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
    return _course_form(None, LeaderCourseInSchema())


@bp.route("/training/courses/<int:course_id>/edit", methods=["GET", "POST"])
@requires("vip.training")
def training_course_edit(course_id: int):
    _training_tenant()
    return _course_form(course_id, LeaderCoursePatchSchema())


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
    return form_page(
        lambda typed, errors: _course_page(services.course_or_404(db.session, course_id), trainee_typed=typed,
                                           trainee_errors=errors)[0],
        lambda data: services.add_trainee(db.session, course, data),
        schema=TraineeInSchema(), read=lambda form: _blank_is_none(form, TRAINEE_FIELDS),
        blank=("name", "organisation", "email"),
        flash_message=lambda trainee: _("%(name)s is on the course.", name=trainee.name),
        done=url_for("vip.training_course", course_id=course_id) + "#trainees")


def _completion_input(form) -> dict:
    """The completion form as the API's input; a blank day here is not "take it back"."""
    completed_on = (form.get("completed_on") or "").strip()
    if not completed_on:
        raise FieldError({"completed_on": [_("Give the day the course was completed, as YYYY-MM-DD.")]})
    return {"completed_on": completed_on}


@bp.post("/training/courses/<int:course_id>/trainees/<int:trainee_id>/completion")
@requires("vip.training")
def training_completion(course_id: int, trainee_id: int):
    """The day a trainee completed the course, or (``action=undo``) its taking back."""
    _training_tenant()
    course = services.course_or_404(db.session, course_id)
    trainee = services.trainee_or_404(db.session, course, trainee_id)
    undo = request.form.get("action") == "undo"
    return form_page(
        lambda typed, errors: _course_page(services.course_or_404(db.session, course_id),
                                           completion=(trainee_id, typed.get("completed_on", ""), errors))[0],
        lambda data: services.set_completion(db.session, trainee, data["completed_on"]),
        schema=TraineeCompletionSchema(),
        read=lambda form: {"completed_on": None} if undo else _completion_input(form),
        worded=_dates_worded(),
        flash_message=lambda done: _("The completion of %(name)s is taken back.", name=done.name) if undo else
        _("%(name)s completed the course and is in the register of trained leaders.", name=done.name),
        done=url_for("vip.training_course", course_id=course_id) + "#trainees")


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
    roles = current_roles().roles
    return render_template("vip/staff_training.html", page=page, rows=rows, roles=roles)
