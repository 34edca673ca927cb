"""VIP API: leader training courses (training tenant only) and every tenant's staff training status."""

from __future__ import annotations

from flask.views import MethodView

from core.toolkit import PageArgsSchema, conflict_response, db, idempotent, paginate, requires, staff_query
from plugins.vip.api import api
from plugins.vip.schemas import (
    CoursePage,
    LeaderCourseDetailSchema,
    LeaderCourseInSchema,
    LeaderCoursePatchSchema,
    StaffTrainingPage,
    TraineeCompletionSchema,
    TraineeInSchema,
    TraineeSchema,
)
from plugins.vip.services import training as services


def _course_or_404(course_id: int):
    services.require_courses(db.session)
    return services.course_or_404(db.session, course_id)


@api.route("/training/courses")
class LeaderCourses(MethodView):
    @requires("vip.training")
    @api.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @api.response(200, CoursePage)
    def get(self, page, per_page):
        """The leader courses, latest first (only where the tenant trains leaders; else 404)."""
        services.require_courses(db.session)
        return paginate(db.session, services.courses(), page, per_page)

    @requires("vip.training")
    @idempotent
    @api.arguments(LeaderCourseInSchema)
    @api.response(201, LeaderCourseDetailSchema)
    def post(self, data):
        """Add a leader course."""
        services.require_courses(db.session)
        course = services.create_course(db.session, data)
        db.session.commit()
        return services.get_course(db.session, course.id)


@api.route("/training/courses/<int:course_id>")
class LeaderCourseResource(MethodView):
    @requires("vip.training")
    @api.response(200, LeaderCourseDetailSchema)
    def get(self, course_id):
        """A course with its trainees."""
        return _course_or_404(course_id)

    @requires("vip.training")
    @api.arguments(LeaderCoursePatchSchema)
    @api.response(200, LeaderCourseDetailSchema)
    def patch(self, data, course_id):
        """Change a course; a start after a recorded completion is refused."""
        course = _course_or_404(course_id)
        services.update_course(db.session, course, data)
        db.session.commit()
        return services.get_course(db.session, course_id)


@api.route("/training/courses/<int:course_id>/trainees")
class LeaderCourseTrainees(MethodView):
    @requires("vip.training")
    @idempotent
    @api.arguments(TraineeInSchema)
    @api.response(201, TraineeSchema)
    @conflict_response(api, "The same email was added to the course at the same moment.")
    def post(self, data, course_id):
        """Put a trainee, from any municipality, on the course."""
        course = _course_or_404(course_id)
        trainee = services.add_trainee(db.session, course, data)
        db.session.commit()
        return trainee


@api.route("/training/courses/<int:course_id>/trainees/<int:trainee_id>/completion")
class TraineeCompletion(MethodView):
    @requires("vip.training")
    @api.arguments(TraineeCompletionSchema)
    @api.response(200, TraineeSchema)
    def put(self, data, course_id, trainee_id):
        """Record the day the trainee completed the course, which enters them in the national
        register of trained leaders; null takes the completion (and the entry) back."""
        course = _course_or_404(course_id)
        trainee = services.trainee_or_404(db.session, course, trainee_id)
        services.set_completion(db.session, trainee, data["completed_on"])
        db.session.commit()
        return trainee


@api.route("/staff/training")
class StaffTrainingList(MethodView):
    @requires("vip.view")
    @api.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @api.response(200, StaffTrainingPage)
    def get(self, page, per_page):
        """Everyone with a role in this tenant and whether they are a trained VIP leader (and
        since when), from the national register. Nothing about any other tenant."""
        result = paginate(db.session, staff_query(), page, per_page)
        result.items = services.staff_training(db.session, result.items)
        return result
