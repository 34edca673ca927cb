"""The public application form's questions, in order: the one list both the online form and
the printable paper form are drawn from, so the two never ask different things."""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.toolkit import N_
from plugins.vip.settings import AUDIENCE_LABELS


@dataclass(frozen=True)
class Field:
    """One text answer (``rows`` set: several lines)."""

    name: str
    label: str
    type: str = "text"
    autocomplete: str | None = None
    inputmode: str | None = None
    maxlength: int | None = None
    help: str | None = None
    rows: int | None = None
    #: Shown only when an earlier answer calls for it (the CSS hides it otherwise).
    class_: str = ""
    kind: str = "field"


@dataclass(frozen=True)
class Group:
    """Text answers under one question (a fieldset)."""

    legend: str
    fields: tuple[Field, ...]
    intro: str | None = None
    class_: str = ""
    kind: str = "group"


@dataclass(frozen=True)
class Choice:
    """One answer out of ``options`` (value, label); none given: the tenant's audiences."""

    name: str
    legend: str
    options: tuple[tuple[str, str], ...] = ()
    help: str | None = None
    kind: str = "choice"


@dataclass(frozen=True)
class Consent:
    """The consent: what it is for (the service's purpose text), and a box to tick."""

    name: str
    legend: str
    label: str
    kind: str = "consent"


#: When a question applies only after some answer: said on paper, where nothing hides it.
ONLY_IF = {
    "vip-if-self": N_("Answer this if we should talk to you."),
    "vip-if-other": N_("Answer this if we should talk to someone else."),
    "vip-if-interpreter": N_("Answer this if you need an interpreter."),
}

QUESTIONS = (
    Group(N_("What is your name?"), (
        Field("first_name", N_("First name"), autocomplete="given-name", maxlength=100),
        Field("last_name", N_("Last name"), autocomplete="family-name", maxlength=100),
    )),
    Group(N_("Which year were you born?"), (
        Field("birth_year", N_("Year"), autocomplete="bday-year", inputmode="numeric", maxlength=4,
              help=N_("For example 1990. You do not have to answer.")),
    )),
    Choice("contact_via", N_("Who should we talk to about the course?"), (
        ("self", N_("Me")),
        ("contact_person", N_("My contact person")),
        ("guardian", N_("My guardian")),
        ("legal_representative", N_("My legal representative")),
    ), help=N_("We will call or write to this person.")),
    Group(N_("How can we reach you?"), (
        Field("phone", N_("Your phone number"), type="tel", autocomplete="tel", maxlength=40),
        Field("email", N_("Your email address"), type="email", autocomplete="email", maxlength=254),
    ), intro=N_("Write your phone number or your email address. One of them is enough."), class_="vip-if-self"),
    Group(N_("Who should we talk to?"), (
        Field("contact_name", N_("Their name"), autocomplete="off", maxlength=200),
        Field("contact_phone", N_("Their phone number"), type="tel", autocomplete="off", maxlength=40),
        Field("contact_email", N_("Their email address"), type="email", autocomplete="off", maxlength=254),
    ), intro=N_("Write the name of the person. Write their phone number or their email address. "
                "One of them is enough."), class_="vip-if-other"),
    Choice("audience", N_("Which group do you want to be in?")),
    Choice("taken_before", N_("Have you been in a VIP group before?"), (
        ("yes", N_("Yes")), ("no", N_("No")), ("dont_know", N_("I do not know")),
    )),
    Choice("interpreter_needed", N_("Do you need an interpreter?"), (
        ("no", N_("No")), ("yes", N_("Yes")),
    ), help=N_("An interpreter helps you if you speak another language.")),
    Field("interpreter_language", N_("Which language do you speak?"), autocomplete="off", maxlength=35,
          class_="vip-if-interpreter"),
    Group(N_("Do you need help to take part?"), (
        Field("needs", N_("Write what you need"), rows=3,
              help=N_("For example a ramp, a hearing loop or a support person. You do not have to write anything.")),
    )),
    Consent("consent", N_("Do you say yes?"), N_("Yes, I say yes to this.")),
    Choice("consent_given_by", N_("Who says yes?"), (
        ("self", N_("I do")),
        ("guardian", N_("My guardian")),
        ("legal_representative", N_("My legal representative")),
    )),
)


def questions(audiences) -> list[Field | Group | Choice | Consent]:
    """The questions for a tenant: the group question offers the ``audiences`` it runs."""
    options = tuple((key, AUDIENCE_LABELS[key]) for key in audiences)
    return [replace(q, options=options) if isinstance(q, Choice) and not q.options else q for q in QUESTIONS]


def field_anchors(asked) -> list[tuple[str, str]]:
    """(field, id of the element to jump to) in the order of the form, for the error summary:
    a choice's first option, any other answer's own input."""
    anchors = []
    for question in asked:
        if isinstance(question, Group):
            anchors.extend((f.name, f.name) for f in question.fields)
        elif isinstance(question, Choice):
            anchors.append((question.name, f"{question.name}-{question.options[0][0]}"))
        else:
            anchors.append((question.name, question.name))
    return anchors
