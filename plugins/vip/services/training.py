"""Leader training: courses, trainees and completions, and the national register they feed.

Only a tenant whose VIP settings say ``trains_leaders`` runs courses (Eskilstuna trains VIP
group leaders for the whole country). Courses and trainees are that tenant's rows; trainees
come from any municipality. A completed trainee enters the national register of trained
leaders (:mod:`plugins.vip.services.register`) with the date of completion; undoing the
completion takes the entry out again. Every other tenant sees only whether its own staff
are in the register, and since when (:func:`staff_training`).

The register keeps one entry per email: the earliest completion this tenant recorded for it
(an entry that came from elsewhere, with an earlier date, stands). Recording, correcting or
undoing a completion restates the entry from this tenant's completed trainees with that email.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError, validate
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.audit import services as audit
from core.auth.models import RoleGrant, User
from core.db import current_tenant_id
from core.validation import clean_into
from plugins.vip.models import LeaderCourse, Trainee
from plugins.vip.services import register
from plugins.vip.settings import current_settings

LIMITS = {"name": 200, "location": 300, "email": 254, "organisation": 200}


class TrainingError(ValueError):
    """Invalid training data; ``errors`` maps field name to messages, as the API returns them."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def runs_courses(session: Session) -> bool:
    """Whether the current tenant trains VIP group leaders (its ``trains_leaders`` setting)."""
    return bool(current_settings(session).get("trains_leaders"))


# --- Courses -------------------------------------------------------------------------------


def courses():
    """A SELECT of the tenant's leader courses, latest first, with their trainees (one query
    more for all trainees of a page)."""
    return (select(LeaderCourse).options(selectinload(LeaderCourse.trainees))
            .order_by(LeaderCourse.starts_on.desc(), LeaderCourse.id.desc()))


def get_course(session: Session, course_id: int) -> LeaderCourse | None:
    """One course of the current tenant with its trainees, or None (also other tenants')."""
    return session.scalar(courses().where(LeaderCourse.id == course_id))


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
    audit.record(session, "vip.course.create", object_type="vip_leader_course", object_id=course.id)
    return course


def update_course(session: Session, course: LeaderCourse, data: dict[str, Any]) -> LeaderCourse:
    """Change the given fields of a course; a start after a recorded completion is refused."""
    data = _check_course(course, data, creating=False)
    changed = [key for key in ("name", "starts_on", "ends_on", "location")
               if key in data and getattr(course, key) != data[key]]
    for key in changed:
        setattr(course, key, data[key])
    session.flush()
    audit.record(session, "vip.course.update", object_type="vip_leader_course", object_id=course.id,
                 detail={"fields": sorted(changed)})
    return course


# --- Trainees ------------------------------------------------------------------------------

_email = validate.Email(error="Not a valid email address.")


def add_trainee(session: Session, course: LeaderCourse, data: dict[str, Any]) -> Trainee:
    """Put someone on a course: ``name``, ``email`` (kept lower-case; one trainee per email
    and course) and the ``organisation`` they work for, in any municipality."""
    data = dict(data)
    errors: dict[str, list[str]] = {}
    _text(errors, data, "name", required=True, message=_("Enter the trainee's name."))
    _text(errors, data, "organisation", required=True, message=_("Enter the organisation the trainee works for."))
    _text(errors, data, "email", required=True, message=_("Enter the trainee's work email."))
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
    trainee = Trainee(course_id=course.id, name=data["name"], email=data["email"], organisation=data["organisation"])
    session.add(trainee)
    session.flush()
    audit.record(session, "vip.trainee.add", object_type="vip_trainee", object_id=trainee.id,
                 detail={"course": course.id})
    return trainee


def get_trainee(session: Session, course: LeaderCourse, trainee_id: int) -> Trainee | None:
    return session.scalar(select(Trainee).where(Trainee.id == trainee_id, Trainee.course_id == course.id))


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
    _restate(session, trainee.email)
    audit.record(session, "vip.trainee.complete", object_type="vip_trainee", object_id=trainee.id,
                 detail={"course": course.id})
    return trainee


def undo_completion(session: Session, trainee: Trainee) -> Trainee:
    """Take back a completion recorded by mistake, and the register entry it made. Audited."""
    if trainee.completed_on is None:
        return trainee
    trainee.completed_on = None
    session.flush()
    _restate(session, trainee.email)
    audit.record(session, "vip.trainee.uncomplete", object_type="vip_trainee", object_id=trainee.id,
                 detail={"course": trainee.course_id})
    return trainee


def _restate(session: Session, email: str) -> None:
    """Make the register entry for ``email`` follow this tenant's completed trainees: an
    entry that came from one of them is restated from the earliest completion left (or
    removed when none is); an entry from elsewhere gives way only to an earlier date."""
    ours = session.execute(select(Trainee.id, Trainee.completed_on).where(Trainee.email == email)).all()
    entry = register.entry(session, email)
    if entry is not None and entry.trainee_id in {trainee_id for trainee_id, _on in ours}:
        register.remove(session, trainee_id=entry.trainee_id)
    completed = sorted((on, trainee_id) for trainee_id, on in ours if on is not None)
    if completed:
        trained_on, trainee_id = completed[0]
        register.enter(session, email=email, trained_on=trained_on, trainee_id=trainee_id)


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


def staff():
    """A SELECT of the users with a role at the current tenant, by name."""
    holders = select(RoleGrant.user_id).where(RoleGrant.tenant_id == current_tenant_id())
    return select(User).where(User.id.in_(holders)).order_by(User.name, User.id)


def staff_training(session: Session, users: list[User]) -> list[StaffStatus]:
    """The training status of ``users`` (staff of the current tenant): their roles here and
    the register's date. Two queries whatever the number of users; nothing about any other
    tenant is read."""
    if not users:
        return []
    roles: dict[int, list[str]] = {}
    for user_id, role in session.execute(select(RoleGrant.user_id, RoleGrant.role).where(
            RoleGrant.tenant_id == current_tenant_id(), RoleGrant.user_id.in_([u.id for u in users]))):
        roles.setdefault(user_id, []).append(role)
    dates = register.trained_dates(session, users)
    return [StaffStatus(u, tuple(sorted(roles.get(u.id, ()))), dates.get(u.id)) for u in users]
