"""VIP API: applications, registering one for staff, withdrawal, possible duplicates and merging."""

from __future__ import annotations

from flask import g
from flask.views import MethodView

from core.toolkit import (
    PageArgsSchema,
    conflict_response,
    current_vault,
    db,
    has_consent,
    has_permission,
    idempotent,
    open_person,
    paginate,
    person_or_invalid,
    requires,
    shown_person,
)
from plugins.vip.api import api
from plugins.vip.schemas import (
    VipApplicantSchema,
    VipApplicationArgsSchema,
    VipApplicationCreateSchema,
    VipApplicationDetailSchema,
    VipApplicationPage,
    VipDuplicateSchema,
    VipMergeSchema,
    VipWithdrawalSchema,
)
from plugins.vip.services import applications as services

NO_SUCH_PERSON = "No such person in this organisation."

APPLICANT_FIELDS = tuple(VipApplicantSchema._declared_fields)


def _applicant(person) -> dict:
    """The applicant as this caller may see them (core's rule for protected identities)."""
    shown = shown_person(person, see_protected=has_permission("core.people.protected"))
    return {k: shown.get(k) for k in APPLICANT_FIELDS}


def _summary(application, flagged: set[int] | None = None) -> dict:
    data = {name: getattr(application, name) for name in (
        "id", "person_id", "audience", "channel", "status", "taken_before", "contact_via", "applied_at", "group_id",
        "placed_at", "closed_at", "closed_reason", "created_person")}
    data.update(first_name=application.person.first_name, last_name=application.person.last_name)
    data["possible_duplicate"] = application.id in (
        flagged if flagged is not None else services.duplicate_flags(db.session, [application]))
    return data


def _detail(application, person=None) -> dict:
    person = person or application.person
    data = _summary(application)
    applicant = _applicant(person)
    withheld = applicant["contact_withheld"]
    data.update(
        contact_name=None if withheld else application.contact_name,
        contact_phone=None if withheld else application.contact_phone,
        contact_email=None if withheld else application.contact_email,
        needs=application.needs, applicant=applicant, offers=application.offers,
        has_consent=has_consent(db.session, person, plugin="vip"),
    )
    return data



@api.route("/applications")
class VipApplications(MethodView):
    @requires("vip.applications")
    @api.arguments(VipApplicationArgsSchema, location="query")
    @api.arguments(PageArgsSchema, location="query", as_kwargs=True)
    @api.response(200, VipApplicationPage)
    def get(self, args, page, per_page):
        """The tenant's applications, newest first, filtered by audience, status and channel."""
        result = paginate(db.session, services.applications_query(**args), page, per_page)
        flagged = services.duplicate_flags(db.session, result.items)
        result.items = [_summary(a, flagged) for a in result.items]
        return result

    @requires("vip.applications")
    @idempotent
    @api.arguments(VipApplicationCreateSchema)
    @api.response(201, VipApplicationDetailSchema)
    def post(self, data):
        """Register an application for an applicant (a paper form, a phone call).

        The same rules as the public form, plus an optional national ID. Possible duplicates
        are not refused: ``possible_duplicate`` says to check them. With ``person_id`` the
        application is attached to that registered person instead, unless they already have
        an open application for the same audience (422 on ``person_id``: never a second place
        in the line). The acknowledgement is queued.
        """
        person = None
        person_id = data.pop("person_id", None)
        if person_id is not None:
            person = person_or_invalid(db.session, person_id, field="person_id", message=NO_SUCH_PERSON)
        channel = data.pop("channel")
        application = services.submit_application(db.session, current_vault(), data, channel=channel,
                                                  country=g.tenant.country, person=person)
        body = _detail(services.get_application(db.session, application.id))
        db.session.commit()
        return body


@api.route("/applications/<int:application_id>")
class VipApplicationResource(MethodView):
    @requires("vip.applications")
    @api.response(200, VipApplicationDetailSchema)
    def get(self, application_id):
        """One application with its applicant (the read of the person is audited)."""
        application = services.application_or_404(db.session, application_id)
        person = open_person(db.session, application.person_id)
        db.session.commit()
        return _detail(application, person)


@api.route("/applications/<int:application_id>/withdrawal")
class VipApplicationWithdrawal(MethodView):
    @requires("vip.applications")
    @api.arguments(VipWithdrawalSchema)
    @api.response(200, VipApplicationDetailSchema)
    @conflict_response(api, "The application has already ended.")
    def post(self, data, application_id):
        """Withdraw the application (the applicant took it back); open offers are withdrawn."""
        application = services.application_or_404(db.session, application_id)
        services.withdraw(db.session, application, data["reason"])
        body = _detail(application)
        db.session.commit()
        return body


@api.route("/applications/<int:application_id>/duplicates")
class VipApplicationDuplicates(MethodView):
    @requires("vip.applications")
    @api.response(200, VipDuplicateSchema(many=True))
    def get(self, application_id):
        """Registered people who may be the applicant.

        The same national ID, or the same name with the same phone, email (the applicant's or
        their contact's) or birth year. Nothing is merged without a merge request.
        """
        application = services.application_or_404(db.session, application_id)
        found = services.possible_duplicates(db.session, current_vault(), application, country=g.tenant.country)
        return [{"person": _applicant(d.person), "reasons": list(d.reasons),
                 "application_ids": [a.id for a in d.applications]} for d in found]


@api.route("/applications/<int:application_id>/merge")
class VipApplicationMerge(MethodView):
    @requires("vip.applications")
    @api.arguments(VipMergeSchema)
    @api.response(200, VipApplicationDetailSchema)
    @conflict_response(api, "The application or the person changed meanwhile (merged, withdrawn, erased).")
    def post(self, data, application_id):
        """Merge the applicant into a registered person (staff checked it is the same person).

        The application and the applicant's other VIP records move to ``person_id``. The
        person record the application made is erased when it holds nothing else (and is under
        no legal hold); an application in line twice for one group is closed as merged.
        """
        application = services.application_or_404(db.session, application_id)
        person = person_or_invalid(db.session, data["person_id"], field="person_id", message=NO_SUCH_PERSON)
        services.merge(db.session, application, person, hooks=g.hooks)
        db.session.flush()
        # Read before the commit: an erasure waiting for the person may remove it right after.
        body = _detail(services.get_application(db.session, application.id))
        db.session.commit()
        return body
