"""Leader training: courses, trainees and completions, and the national register they feed.

Only a tenant whose VIP settings say ``trains_leaders`` runs courses (Eskilstuna trains VIP
group leaders for the whole country). Courses and trainees are that tenant's rows; trainees
come from any municipality. A completed trainee enters the national register of trained
leaders (:mod:`plugins.vip.services.register`) with the date of completion; undoing the
completion takes the entry out again. Every other tenant sees only whether its own staff
are in the register, and since when (:func:`staff_training`).

The register keeps one entry per email and, for each training tenant, the earliest completion
it recorded for that email; the entry shows the earliest of them (an entry that came from
elsewhere, with an earlier date, stands). Recording, correcting or undoing a completion
restates this tenant's part from its completed trainees with that email, never another's.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

from marshmallow import ValidationError, validate
from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from core.toolkit import (
    Conflict,
    FieldError,
    NotFound,
    User,
    _,
    clean_into,
    conflict_on_integrity_error,
    csv_writer,
    current_tenant_id,
    record_audit,
    staff_roles,
)
from plugins.vip.models import LeaderCourse, Trainee
from plugins.vip.services import register
from plugins.vip.settings import current_settings

LIMITS = {"name": 200, "location": 300, "email": 254, "organisation": 200, "municipality": 100}


class TrainingError(FieldError):
    """Invalid training data; ``errors`` maps field name to messages, as the API returns them."""


class TraineeConflict(Conflict, TrainingError):
    """The same email was put on the course at the same moment (a 409, at ``email``)."""

    def __init__(self, message: str) -> None:
        TrainingError.__init__(self, {"email": [message]})
        self.args = (message,)


def runs_courses(session: Session) -> bool:
    """Whether the current tenant trains VIP group leaders (its ``trains_leaders`` setting)."""
    return bool(current_settings(session).get("trains_leaders"))


# --- Courses -------------------------------------------------------------------------------


def courses():
    """A SELECT of the tenant's leader courses, latest first, with their trainees (one query
    more for all trainees of a page)."""
    return (select(LeaderCourse).options(selectinload(LeaderCourse.trainees))
            .order_by(LeaderCourse.starts_on.desc(), LeaderCourse.id.desc()))


def require_courses(session: Session) -> None:
    """:class:`NotFound` where the current tenant does not train leaders: there its courses,
    their pages and endpoints do not exist."""
    if not runs_courses(session):
        raise NotFound("this organisation does not run VIP leader courses")


def get_course(session: Session, course_id: int) -> LeaderCourse | None:
    """One course of the current tenant with its trainees, or None (also other tenants')."""
    return session.scalar(courses().where(LeaderCourse.id == course_id))


def course_or_404(session: Session, course_id: int) -> LeaderCourse:
    """As :func:`get_course`, or :class:`NotFound`."""
    course = get_course(session, course_id)
    if course is None:
        raise NotFound("no such course in this tenant")
    return course


def _text(errors: dict, data: dict[str, Any], key: str, *, required: bool, message: str | None = None) -> None:
    value = data.get(key)
    if isinstance(value, str):
        value = value.strip()
        data[key] = value or None
    if required and not data.get(key):
        errors.setdefault(key, []).append(message or _("This is needed."))
    elif data.get(key) and len(data[key]) > LIMITS[key]:
        errors.setdefault(key, []).append(_("Write at most %(n)s characters.", n=LIMITS[key]))
    elif isinstance(data.get(key), str):
        data[key] = clean_into(errors, key, data[key])


def _check_course(course: LeaderCourse, data: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    data = dict(data)
    errors: dict[str, list[str]] = {}
    if creating or "name" in data:
        _text(errors, data, "name", required=True, message=_("Give the course a name."))
    if "location" in data:
        _text(errors, data, "location", required=False)
    for key, message in (("starts_on", _("Give the first day of the course.")),
                         ("ends_on", _("Give the last day of the course."))):
        if (creating or key in data) and data.get(key) is None:
            errors.setdefault(key, []).append(message)
    starts = data.get("starts_on", course.starts_on)
    ends = data.get("ends_on", course.ends_on)
    if starts and ends and ends < starts and "ends_on" not in errors:
        errors.setdefault("ends_on", []).append(_("The course cannot end before it starts."))
    if not creating and starts and "starts_on" not in errors:
        first = min((t.completed_on for t in course.trainees if t.completed_on), default=None)
        if first is not None and first < starts:
            errors.setdefault("starts_on", []).append(
                _("A trainee completed the course before this day. Correct that completion first."))
    if errors:
        raise TrainingError(errors)
    return data


def create_course(session: Session, data: dict[str, Any]) -> LeaderCourse:
    """Add a course: ``name``, ``starts_on``, ``ends_on`` (not before the start), ``location``."""
    course = LeaderCourse()
    data = _check_course(course, data, creating=True)
    for key in ("name", "starts_on", "ends_on", "location"):
        setattr(course, key, data.get(key))
    session.add(course)
    session.flush()
    record_audit(session, "vip.course.create", object_type="vip_leader_course", object_id=course.id)
    return course


def update_course(session: Session, course: LeaderCourse, data: dict[str, Any]) -> LeaderCourse:
    """Change the given fields of a course; a start after a recorded completion is refused."""
    data = _check_course(course, data, creating=False)
    changed = [key for key in ("name", "starts_on", "ends_on", "location")
               if key in data and getattr(course, key) != data[key]]
    for key in changed:
        setattr(course, key, data[key])
    session.flush()
    record_audit(session, "vip.course.update", object_type="vip_leader_course", object_id=course.id,
                 detail={"fields": sorted(changed)})
    return course


# --- Trainees ------------------------------------------------------------------------------

_email = validate.Email(error="Not a valid email address.")


def add_trainee(session: Session, course: LeaderCourse, data: dict[str, Any]) -> Trainee:
    """Put someone on a course: ``name``, ``email`` (kept lower-case; one trainee per email
    and course), the ``organisation`` they work for and, optionally, the ``municipality``
    they lead groups in (the register groups by it)."""
    data = dict(data)
    errors: dict[str, list[str]] = {}
    _text(errors, data, "name", required=True, message=_("Enter the trainee's name."))
    _text(errors, data, "organisation", required=True, message=_("Enter the organisation the trainee works for."))
    _text(errors, data, "email", required=True, message=_("Enter the trainee's work email."))
    _text(errors, data, "municipality", required=False)
    if data.get("email") and "email" not in errors:
        data["email"] = data["email"].lower()
        try:
            _email(data["email"])
        except ValidationError:
            errors.setdefault("email", []).append(_("Write a whole email address, like name@example.org."))
        else:
            if session.scalar(select(Trainee.id).where(Trainee.course_id == course.id, Trainee.email == data["email"])):
                errors.setdefault("email", []).append(_("Someone with this email is already on the course."))
    if errors:
        raise TrainingError(errors)
    trainee = Trainee(course_id=course.id, name=data["name"], email=data["email"], organisation=data["organisation"],
                      municipality=data.get("municipality"))
    session.add(trainee)
    with conflict_on_integrity_error(_("Someone with this email is already on the course."), TraineeConflict):
        session.flush()
    record_audit(session, "vip.trainee.add", object_type="vip_trainee", object_id=trainee.id,
                 detail={"course": course.id})
    return trainee


def get_trainee(session: Session, course: LeaderCourse, trainee_id: int) -> Trainee | None:
    return session.scalar(select(Trainee).where(Trainee.id == trainee_id, Trainee.course_id == course.id))


def trainee_or_404(session: Session, course: LeaderCourse, trainee_id: int) -> Trainee:
    """As :func:`get_trainee`, or :class:`NotFound`."""
    trainee = get_trainee(session, course, trainee_id)
    if trainee is None:
        raise NotFound("no such trainee on this course")
    return trainee


def set_completion(session: Session, trainee: Trainee, completed_on: date | None) -> Trainee:
    """Record the day ``trainee`` completed the course (:func:`complete`), or with None take the
    completion back (:func:`undo_completion`)."""
    if completed_on is None:
        return undo_completion(session, trainee)
    return complete(session, trainee, completed_on)


def complete(session: Session, trainee: Trainee, completed_on: date, *, today: date | None = None) -> Trainee:
    """Record that ``trainee`` completed the course on ``completed_on`` (not before the
    course started, not in the future; a second call corrects the date) and put them in the
    national register. Audited."""
    today = today or date.today()
    course = trainee.course
    if completed_on > today:
        raise TrainingError({"completed_on": [_("The date is in the future.")]})
    if completed_on < course.starts_on:
        raise TrainingError({"completed_on": [_("The date is before the course started.")]})
    trainee.completed_on = completed_on
    session.flush()
    restate(session, trainee.email)
    record_audit(session, "vip.trainee.complete", object_type="vip_trainee", object_id=trainee.id,
                 detail={"course": course.id})
    return trainee


def undo_completion(session: Session, trainee: Trainee) -> Trainee:
    """Take back a completion recorded by mistake, and the register entry it made. Audited."""
    if trainee.completed_on is None:
        return trainee
    trainee.completed_on = None
    session.flush()
    restate(session, trainee.email)
    record_audit(session, "vip.trainee.uncomplete", object_type="vip_trainee", object_id=trainee.id,
                 detail={"course": trainee.course_id})
    return trainee


def restate(session: Session, email: str) -> None:
    """Make what this tenant says in the register about ``email`` follow its completed
    trainees with that email: the earliest completion, or nothing when none is left. What
    other training tenants (or records from before) say stays, and the entry shows the
    earliest of all."""
    completed = sorted(session.execute(select(Trainee.completed_on, Trainee.id).where(
        Trainee.email == email, Trainee.completed_on.is_not(None))).all())
    trained_on, trainee_id = completed[0] if completed else (None, None)
    register.state(session, email=email, training_tenant_id=current_tenant_id(), trained_on=trained_on,
                   trainee_id=trainee_id)


# --- The register as the training tenant keeps it ------------------------------------------

#: Longest search text read; a longer one is cut (it could match nothing longer anyway).
SEARCH_MAX = 200


def register_place():
    """Where a trained leader belongs in the register: the municipality the trainee gave, or
    else the organisation they work for."""
    return func.coalesce(func.nullif(Trainee.municipality, ""), Trainee.organisation)


def register_search(args) -> dict[str, str]:
    """The register's search (``name``, ``municipality``) from query arguments: trimmed, cut
    to :data:`SEARCH_MAX`, empty ones left out."""
    found = {key: str(args.get(key) or "").strip()[:SEARCH_MAX] for key in ("name", "municipality")}
    return {key: value for key, value in found.items() if value}


def _completed(name: str = "", municipality: str = ""):
    conditions = [Trainee.completed_on.is_not(None)]
    if name:
        conditions.append(Trainee.name.icontains(name, autoescape=True))
    if municipality:
        conditions.append(register_place().icontains(municipality, autoescape=True))
    return conditions


def trained_leaders(name: str = "", municipality: str = ""):
    """A SELECT of the leaders this tenant trained (its completed trainees, with their courses;
    nothing another tenant holds), by municipality, latest first, then name. ``name`` and
    ``municipality`` search within the name and the municipality (or organisation)."""
    return (select(Trainee).join(Trainee.course).options(contains_eager(Trainee.course))
            .where(*_completed(name, municipality))
            .order_by(register_place(), Trainee.completed_on.desc(), Trainee.name, Trainee.id))


@dataclass(frozen=True)
class RegisterTable:
    """Trained leaders counted by municipality (rows) and year of completion (columns)."""

    years: list[int]
    rows: list[tuple[str, dict[int, int], int]]

    @property
    def totals(self) -> dict[int, int]:
        return {year: sum(counts.get(year, 0) for _place, counts, _total in self.rows) for year in self.years}


def register_by_year(session: Session, name: str = "", municipality: str = "") -> RegisterTable:
    """The trained leaders of :func:`trained_leaders` counted by municipality and year (one query)."""
    place, year = register_place(), extract("year", Trainee.completed_on)
    counts: dict[str, dict[int, int]] = {}
    for where, when, count in session.execute(select(place, year, func.count(Trainee.id))
                                              .where(*_completed(name, municipality)).group_by(place, year)):
        counts.setdefault(where, {})[int(when)] = count
    years = sorted({year for by_year in counts.values() for year in by_year}, reverse=True)
    rows = [(where, by_year, sum(by_year.values())) for where, by_year in sorted(counts.items(),
                                                                                 key=lambda i: i[0].lower())]
    return RegisterTable(years, rows)


def register_csv(session: Session, leaders: list[Trainee], search: dict[str, str]) -> str:
    """The trained leaders as CSV (UTF-8 with a byte-order mark, for spreadsheets), every cell
    made safe by core's CSV writer. Audited with the search's field names and the row count."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv_writer(out)
    writer.writerow([_("Municipality"), _("Organisation"), _("Name"), _("Work email"), _("Course"),
                     _("Completed"), _("Year")])
    for t in leaders:
        writer.writerow([t.municipality or t.organisation, t.organisation, t.name, t.email,
                         t.course.name, t.completed_on.isoformat(), t.completed_on.year])
    record_audit(session, "vip.register.export", object_type="vip_trainee",
                 detail={"search": sorted(search), "rows": len(leaders)})
    return out.getvalue()


# --- Staff of any tenant -------------------------------------------------------------------


@dataclass(frozen=True)
class StaffStatus:
    """One staff user of the current tenant: their roles here and whether they are a trained
    VIP leader (the date, or None)."""

    user: User
    roles: tuple[str, ...]
    trained_on: date | None

    @property
    def trained(self) -> bool:
        return self.trained_on is not None


def staff_training(session: Session, users: list[User]) -> list[StaffStatus]:
    """The training status of ``users`` (staff of the current tenant): their roles here and
    the register's date. Two queries whatever the number of users; nothing about any other
    tenant is read."""
    if not users:
        return []
    roles = staff_roles(session, users)
    dates = register.trained_dates(session, users)
    return [StaffStatus(u, roles.get(u.id, ()), dates.get(u.id)) for u in users]
