"""VIP pages for the public: the application form in easy-to-read words, its thank-you page, the
page that withdraws an application through the acknowledgement's link and the page that answers
an offer through the offer's link."""

from __future__ import annotations

from flask import current_app, g, render_template, request, session, url_for

from core.toolkit import (
    AnswerPage,
    _,
    answer_page,
    current_vault,
    db,
    force_locale,
    form_page,
    get_locale,
    limited,
    public,
)
from plugins.vip.models import ApplicationStatus, Channel
from plugins.vip.schemas import VipApplicationInSchema
from plugins.vip.services import applications as services
from plugins.vip.services import letters, offers
from plugins.vip.settings import current_settings
from plugins.vip.views import bp
from plugins.vip.views import questions as form_questions

#: Browser-session key saying how the last application from this browser was acknowledged;
#: the thank-you page reads it, so no personal data travels in its address.
APPLIED_KEY = "vip_applied"


def field_anchors(audiences) -> list[tuple[str, str]]:
    """(field, id of the element to jump to) in the order of the form, for the error summary."""
    return form_questions.field_anchors(form_questions.questions(audiences))


def _render(settings, typed, errors):
    return render_template("vip/apply.html", settings=settings, audiences=settings["audiences"], typed=typed,
                           errors=errors, anchors=field_anchors(settings["audiences"]),
                           questions=form_questions.questions(settings["audiences"]),
                           consent_purpose=services.CONSENT_PURPOSE)


@bp.route("/apply", methods=["GET", "POST"])
@public
@limited("vip.apply", limit=10, window=600)
def apply():
    """The public application form: no login, CSRF-protected, rate-limited, keeps every answer."""
    settings = current_settings(db.session)

    def submit(data):
        application = services.submit_application(
            db.session, current_vault(), data, channel=Channel.web,
            country=g.tenant.country, language=str(get_locale()))
        session[APPLIED_KEY] = "email" if letters.recipient(application) is not None else "no_email"

    return form_page(lambda typed, errors: _render(settings, typed, errors), submit,
                     schema=VipApplicationInSchema(audiences=settings["audiences"]),
                     done=url_for("vip.applied"), redirect_code=303)


def contact(settings) -> dict[str, str] | None:
    """Whom the public contacts about applications (the tenant's settings), or None when unset."""
    found = {key: settings.get(f"contact_{key}") for key in ("name", "phone", "email", "address")}
    return found if any(found.values()) else None


@bp.get("/apply/thanks")
@public
def applied():
    """Thank-you page after an application (Post/Redirect/Get): nothing personal in the address."""
    return render_template("vip/apply_thanks.html", how=session.pop(APPLIED_KEY, None),
                           contact=contact(current_settings(db.session)))


@bp.get("/apply/paper")
@public
def apply_paper():
    """The application form to print, fill in by hand and send in (staff then enter it as a
    paper application): the online form's questions, in any of the tenant's languages
    (``?lang=``; another value shows the page in the language in use)."""
    settings = current_settings(db.session)
    offered = [lang for lang in g.tenant.languages or () if lang in current_app.config["SAMVERKA_LANGUAGES"]]
    wanted = request.args.get("lang", "")
    with force_locale(wanted if wanted in offered else str(get_locale())):
        return render_template("vip/apply_paper.html", settings=settings, audiences=settings["audiences"],
                               questions=form_questions.questions(settings["audiences"]),
                               consent_purpose=services.CONSENT_PURPOSE, languages=offered,
                               only_if=form_questions.ONLY_IF,
                               contact=contact(settings))


@bp.route("/withdraw/<token>", methods=["GET", "POST"])
@public
@limited("vip.withdraw", limit=30, window=60, methods=("GET", "POST"))
def withdraw(token: str):
    """The page the acknowledgement links to: asks, then takes the application back. The link
    works once; an unknown or used one is a friendly 404. Shows the first name only."""
    application = services.application_for_withdrawal(db.session, token)
    if application is None:
        return render_template("vip/withdraw_gone.html"), 404
    context = dict(first_name=application.person.first_name, placed=application.status is ApplicationStatus.placed,
                   contact=contact(current_settings(db.session)))
    if request.method == "GET":
        return render_template("vip/withdraw.html", error=None, **context)
    if request.form.get("confirm") != "yes":
        return render_template("vip/withdraw.html", error=_("Press the button to take back the application."),
                               **context), 422
    if services.withdraw_by_link(db.session, token) is None:
        db.session.rollback()
        return render_template("vip/withdraw_gone.html"), 404
    db.session.commit()
    return render_template("vip/withdrawn.html", **context)


#: The offer's answer page: core runs it (core/offers/pages.py), VIP words it.
OFFER_ANSWER = AnswerPage(find=offers.offer_for_token, answer=offers.answer_through_link,
                          context=offers.answer_page_context, ask="vip/offer_answer.html",
                          answered="vip/offer_answered.html", gone="vip/offer_gone.html")


@bp.route("/offers/<token>", methods=["GET", "POST"])
@public
@limited("vip.offer_answer", limit=30, window=60, methods=("GET", "POST"))
def offer_answer(token: str):
    """The page the offer email links to: yes or no, in easy-to-read words, no login.

    Shows the first name only. An unknown link is a 404, an answered one 409, an expired
    one 410, each as a friendly page.
    """
    return answer_page(OFFER_ANSWER, token)
