"""VIP pages for staff: the applications, one application with its possible duplicates, paper applications."""

from __future__ import annotations

from flask import abort, g, render_template, request, url_for

from core.toolkit import (
    ConsentGiver,
    FieldError,
    _,
    current_vault,
    db,
    form_page,
    has_consent,
    has_permission,
    open_person,
    paginate,
    person_or_invalid,
    requested_page,
    requires,
    shown_person,
)
from plugins.vip.models import ApplicationStatus, Channel, ContactVia
from plugins.vip.schemas import VipMergeSchema, VipStaffApplicationInSchema, VipWithdrawalSchema, load_form
from plugins.vip.services import applications as services
from plugins.vip.settings import AUDIENCE_LABELS, current_settings
from plugins.vip.views import bp, posted_id
from plugins.vip.views.public import field_anchors

LANGUAGE_NAMES = {"sv": "Svenska", "da": "Dansk", "fi": "Suomi", "en": "English"}



def _filters(settings) -> tuple[dict, dict]:
    """The list's filters from the query string: (for the query, for the links); anything
    unknown is ignored rather than refused."""
    args = request.args
    query: dict = {}
    kept: dict = {}
    if args.get("audience") in settings["audiences"]:
        query["audience"] = kept["audience"] = args["audience"]
    if args.get("status") in {s.value for s in ApplicationStatus}:
        query["status"] = ApplicationStatus(args["status"])
        kept["status"] = args["status"]
    if args.get("channel") in {c.value for c in Channel}:
        query["channel"] = Channel(args["channel"])
        kept["channel"] = args["channel"]
    return query, kept


@bp.get("/applications/")
@requires("vip.applications")
def applications():
    """Every application, newest first, filtered by audience, status and channel, with a
    flag on those whose applicant may be registered twice."""
    settings = current_settings(db.session)
    query, kept = _filters(settings)
    page = paginate(db.session, services.applications_query(**query), requested_page(), 50, **kept)
    flagged = services.duplicate_flags(db.session, page.items)
    return render_template("vip/applications.html", page=page, flagged=flagged, filters=kept,
                           audiences=settings["audiences"], audience_labels=AUDIENCE_LABELS,
                           statuses=list(ApplicationStatus), channels=list(Channel))


def _detail(application, *, errors=None, typed=None):
    """The application page; the read of the applicant's record is audited."""
    person = open_person(db.session, application.person_id)
    if person is None:
        abort(404)
    db.session.commit()
    shown = shown_person(person, see_protected=has_permission("core.people.protected"))
    duplicates = services.possible_duplicates(db.session, current_vault(), application, country=g.tenant.country)
    consent = has_consent(db.session, person, plugin="vip")
    return render_template(
        "vip/applications_detail.html", application=application, person=person, shown=shown,
        duplicates=duplicates, has_consent=consent, errors=errors or {}, typed=typed or {},
        reasons=services.WITHDRAWAL_REASONS, closed_labels=services.CLOSED_REASONS, reason_labels=services.REASON_LABELS,
        audience_labels=AUDIENCE_LABELS, language_names=LANGUAGE_NAMES,
        withdrawable=application.status in services.WITHDRAWABLE)


@bp.get("/applications/<int:application_id>")
@requires("vip.applications")
def application(application_id: int):
    return _detail(services.application_or_404(db.session, application_id))


def _merge_input(form) -> dict:
    """The merge form (the person chosen, and the box ticked beside them) as the API's merge input."""
    person_id = posted_id(form.get("person_id"))
    if person_id is None:
        raise FieldError({"person_id": [_("Choose the person to merge into.")]})
    if form.get("confirm") != "yes":
        raise FieldError({f"confirm-{person_id}": [_("Tick the box to confirm that this is the same person.")]})
    return {"person_id": person_id}


def _merge(application, data: dict):
    person = person_or_invalid(db.session, data["person_id"], field="person_id",
                               message=_("Choose the person to merge into."))
    services.merge(db.session, application, person, hooks=g.hooks)
    return person


@bp.post("/applications/<int:application_id>/merge")
@requires("vip.applications")
def merge_application(application_id: int):
    """Staff decided the applicant is someone already registered: move the application there."""
    application = services.application_or_404(db.session, application_id)
    return form_page(
        lambda typed, errors: _detail(services.application_or_404(db.session, application_id), errors=errors,
                                      typed=typed),
        lambda data: _merge(application, data),
        schema=VipMergeSchema(), read=_merge_input, conflict_field="person_id",
        flash_message=lambda person: _("The application now belongs to %(name)s.", name=person.display_name),
        done=url_for("vip.application", application_id=application_id))


@bp.post("/applications/<int:application_id>/withdraw")
@requires("vip.applications")
def withdraw_application(application_id: int):
    application = services.application_or_404(db.session, application_id)
    return form_page(
        lambda typed, errors: _detail(services.application_or_404(db.session, application_id), errors=errors,
                                      typed=typed),
        lambda data: services.withdraw(db.session, application, data["reason"]),
        schema=VipWithdrawalSchema(), read=lambda form: {"reason": form.get("reason", "")},
        worded={"reason": _("Choose one of the reasons.")}, conflict_field="reason",
        flash_message=_("The application is withdrawn."),
        done=url_for("vip.application", application_id=application_id))


def _new_form(settings, typed, errors):
    """The paper application form; with an error on ``duplicate_choice``, the people the
    applicant may be, to choose from."""
    duplicates = ()
    if "duplicate_choice" in errors:
        data, _errors = load_form(VipStaffApplicationInSchema(audiences=settings["audiences"]),
                                           typed)
        duplicates = services.possible_duplicates(db.session, current_vault(), data, country=g.tenant.country) if data else ()
    return render_template(
        "vip/applications_new.html", typed=typed, errors={k: v for k, v in errors.items() if v},
        duplicates=duplicates, audiences=settings["audiences"], audience_labels=AUDIENCE_LABELS,
        language_names=LANGUAGE_NAMES, reason_labels=services.REASON_LABELS,
        anchors=_staff_anchors(settings["audiences"]), contact_vias=list(ContactVia),
        # Who gave the consent, in the words of who is contacted: "The applicant", "A guardian" ...
        givers=[(giver.value, ContactVia(giver.value)) for giver in ConsentGiver],
        national_id_typed=bool((typed.get("national_id") or "").strip()))


def _staff_anchors(audiences) -> list[tuple[str, str]]:
    """The public form's fields in the paper form's order, with the staff's own fields."""
    anchors = field_anchors(audiences)
    return [*anchors[:3], ("national_id_country", "national_id_country"), ("national_id", "national_id"),
            *anchors[3:], ("applied_on", "applied_on"), ("language", "applicant-language"),
            ("duplicate_choice", "duplicate_choice-new")]


def _submit(data: dict, choice: str):
    """Save the paper application as staff chose: a new person ("new"), or one of the possible
    duplicates (their id); the rule is the service's."""
    return services.submit_paper_application(db.session, current_vault(), data, chosen=posted_id(choice),
                                             as_new=choice == "new", country=g.tenant.country)


@bp.route("/applications/new", methods=["GET", "POST"])
@requires("vip.applications")
def new_application():
    """A paper application, through the same rules as the public form. Possible duplicates are
    shown before anything is saved: staff save it as a new person or attach it to one of them."""
    settings = current_settings(db.session)
    return form_page(
        lambda typed, errors: _new_form(settings, typed, errors),
        lambda data: _submit(data, request.form.get("duplicate_choice", "")),
        schema=VipStaffApplicationInSchema(audiences=settings["audiences"]),
        initial={"language": g.tenant.languages[0] if g.tenant.languages else ""},
        flash_message=lambda saved: _("The application is saved.") if saved[1] is None else
        _("The application is saved for %(name)s.", name=saved[1].display_name),
        done=lambda saved: url_for("vip.application", application_id=saved[0].id))
