"""HTML forms: one path for a form page (validate, re-render with the answers kept, or commit and
redirect), and forms generated from marshmallow schemas (plugin settings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from typing import Any, Callable, Iterable, Mapping, Union

from flask import flash, redirect, request
from flask_babel import gettext
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from core.db import db
from core.errors import Conflict, FieldError
from core.tenants.clock import from_local


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # number, decimal, checkbox, select, multiselect, lines, text
    value: Any
    required: bool
    help: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    #: Stored value -> label (an msgid): choices, and lines of a default list, are shown
    #: through gettext and stored as the value (``metadata={"labels": ...}`` on the field).
    labels: dict[str, str] = field(default_factory=dict)

    def shown(self, value: Any) -> str:
        """``value`` as the reader sees it: its label in the current language, or as it is."""
        msgid = self.labels.get(value) if isinstance(value, str) else None
        return gettext(msgid) if msgid else value


def _choices(field: fields.Field) -> tuple[str, ...]:
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return tuple(str(c) for c in validator.choices)
    return ()


def _range(field: fields.Field) -> tuple[float | None, float | None]:
    for validator in field.validators:
        if isinstance(validator, validate.Range):
            return validator.min, validator.max
    return None, None


def _kind(field: fields.Field) -> str:
    if isinstance(field, fields.Boolean):
        return "checkbox"
    if isinstance(field, fields.Integer):
        return "number"
    if isinstance(field, (fields.Float, fields.Decimal)):
        return "decimal"
    if isinstance(field, fields.List):
        return "multiselect" if _choices(field.inner) else "lines"
    if _choices(field):
        return "select"
    return "text"


def describe(schema: Schema, values: dict[str, Any]) -> list[FormField]:
    """The fields of ``schema`` with ``values`` (stored settings, or what was just typed)."""
    result = []
    for name, item in schema.fields.items():
        if item.dump_only or isinstance(item, (fields.Dict, fields.Nested)):
            continue
        kind = _kind(item)
        default = item.load_default if item.load_default is not None else None
        value = values.get(name, default() if callable(default) else default)
        minimum, maximum = _range(item)
        result.append(
            FormField(
                name=name,
                label=item.metadata.get("label", name.replace("_", " ").capitalize()),
                kind=kind,
                value=value,
                required=item.required,
                help=item.metadata.get("description", ""),
                choices=_choices(item.inner if isinstance(item, fields.List) else item),
                minimum=minimum,
                maximum=maximum,
                labels=dict(item.metadata.get("labels", {})),
            )
        )
    return result


def read_form(schema: Schema, form: MultiDict) -> dict[str, Any]:
    """Turn posted form values into the raw input ``schema.load`` expects."""
    raw: dict[str, Any] = {}
    for item in describe(schema, {}):
        if item.kind == "checkbox":
            raw[item.name] = item.name in form
        elif item.kind == "multiselect":
            raw[item.name] = form.getlist(item.name)
        elif item.kind == "lines":
            stored = {gettext(msgid): value for value, msgid in item.labels.items()}
            lines = (line.strip() for line in form.get(item.name, "").splitlines())
            raw[item.name] = [stored.get(line, line) for line in lines if line]
        elif item.name in form and form[item.name].strip() != "":
            raw[item.name] = form[item.name].strip()
    return raw


# --------------------------------------------------------------------------- one path for a form page

#: What a page's success flash may be: a message (category "success"), or (message, category).
Flash = Union[str, tuple[str, str], None]


def typed_answers(form: MultiDict, lists: Iterable[str] = ()) -> dict[str, Any]:
    """What was posted, to show again: every answer as typed (those named in ``lists``, such as
    a multiple choice, as the list of every value), the CSRF token left out."""
    typed: dict[str, Any] = {key: value for key, value in form.items() if key != "csrf_token"}
    typed.update({key: form.getlist(key) for key in lists})
    return typed


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def load_input(schema: Schema, raw: Any, *, blank: Iterable[str] = ()) -> Any:
    """``raw`` loaded with ``schema`` (the API's input schema of the same action), or
    :class:`~core.errors.FieldError` with its messages by field. The fields named in ``blank``
    may be left blank (None or ""): they are loaded as None, for the service to refuse in its
    own words together with everything else it checks."""
    blank = [name for name in blank if isinstance(raw, Mapping) and _is_blank(raw.get(name))]
    if blank:
        raw = {key: value for key, value in raw.items() if key not in blank}
    try:
        data = schema.load(raw, partial=tuple(blank)) if blank else schema.load(raw)
        return {**data, **{name: None for name in blank}} if blank else data
    except ValidationError as exc:
        messages = exc.normalized_messages()
        raise FieldError(messages if isinstance(messages, dict) else {"_schema": messages}) from exc


def _as_form_fields(errors: Mapping[str, Any], names: Mapping[str, str]) -> dict[str, Any]:
    """The errors under the names the form's fields have (the API's ``first_start`` is the page's
    ``first_date``), each as a list of plain strings (an import's row problems stay maps)."""
    shown: dict[str, Any] = {}
    for key, messages in errors.items():
        name = names.get(key, key)
        if isinstance(messages, Mapping):
            messages = [str(m) for nested in messages.values()
                        for m in (nested if isinstance(nested, (list, tuple)) else [nested])]
        elif isinstance(messages, (list, tuple)):
            messages = [m if isinstance(m, Mapping) else str(m) for m in messages]  # a row's error stays a map
        else:
            messages = [str(messages)]
        shown.setdefault(name, []).extend(messages)
    return shown


def form_page(render: Callable[[dict[str, Any], dict[str, list[str]]], Any],
              action: Callable[[Any], Any], *,
              done: str | Callable[[Any], str],
              schema: Schema | None = None,
              read: Callable[[MultiDict], Any] | None = None,
              initial: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
              flash_message: Flash | Callable[[Any], Flash] = None,
              blank: Iterable[str] = (),
              worded: Mapping[str, str] | None = None,
              lists: Iterable[str] = (),
              renamed: Mapping[str, str] | None = None,
              conflict_field: str | None = None,
              redirect_code: int = 302) -> Any:
    """One form page, the same way everywhere: GET renders; POST validates, then re-renders
    with the answers kept and the field errors shown (422), or runs ``action``, commits,
    flashes and redirects.

    :param render: ``render(typed, errors)``, the page's HTML: ``typed`` the answers to show in
        the fields, ``errors`` field -> messages.
    :param action: ``action(data)`` calls the service with the loaded input and returns what
        ``done`` and ``flash_message`` may use. A :class:`~core.errors.FieldError` it raises
        rolls back and re-renders (422; 409 when it is also a :class:`~core.errors.Conflict`);
        a :class:`~core.errors.Conflict` re-renders with 409 under ``conflict_field`` when
        given, else core's 409 page answers.
    :param done: where to go after success: a URL, or ``done(result)``.
    :param schema: the marshmallow input schema the API uses for the same action: the page
        loads what it reads with it (its errors are the 422's field errors).
    :param read: ``read(form)`` turns the posted form into the schema's input (or, without a
        schema, into ``action``'s); it may raise ``FieldError`` for an answer it cannot read.
        By default the typed answers themselves.
    :param initial: the answers shown on GET (or a function returning them).
    :param flash_message: flashed after the commit: a message, ``(message, category)``, or a
        function of the result returning either (None flashes nothing).
    :param blank: fields the service itself requires, in its own words: left blank, they pass
        the schema as None, so the page shows every problem at once, as before the schema.
    :param worded: field -> the page's own words for whatever the schema refuses there (a
        person id that is no id: "There is no such person.").
    :param lists: the form's fields that hold several values (kept as lists in ``typed``).
    :param renamed: error field -> the form's field where the API's input names it otherwise.
    :param conflict_field: the form field a conflict's message is shown at.
    :param redirect_code: the redirect after success (303 where the next page must be fetched
        afresh with GET, such as a public form's thank-you page).
    """
    if request.method == "GET":
        start = initial() if callable(initial) else initial
        return render(dict(start or {}), {}), 200
    typed = typed_answers(request.form, lists)
    names = renamed or {}
    try:
        raw = read(request.form) if read is not None else typed
        data = load_input(schema, raw, blank=blank) if schema is not None else raw
    except FieldError as exc:
        db.session.rollback()
        refused = _as_form_fields(exc.errors, names)
        refused.update({name: [message] for name, message in (worded or {}).items() if name in refused})
        return render(typed, refused), 422
    try:
        result = action(data)
    except FieldError as exc:
        db.session.rollback()
        return render(typed, _as_form_fields(exc.errors, names)), 409 if isinstance(exc, Conflict) else 422
    except Conflict as exc:
        db.session.rollback()
        if conflict_field is None:
            raise
        return render(typed, {conflict_field: [str(exc)]}), 409
    db.session.commit()
    shown = flash_message(result) if callable(flash_message) else flash_message
    if shown:
        message, category = shown if isinstance(shown, tuple) else (shown, "success")
        flash(message, category)
    return redirect(done(result) if callable(done) else done, redirect_code)


def read_date(form: Mapping[str, Any], name: str, message: str) -> date:
    """The day typed in the form's field ``name`` (year-month-day), or :class:`FieldError`
    saying ``message`` at that field."""
    try:
        return date.fromisoformat(str(form.get(name) or "").strip())
    except ValueError:
        raise FieldError({name: [message]}) from None


def read_time(form: Mapping[str, Any], name: str, message: str) -> time:
    """The time of day typed in the form's field ``name`` (hours:minutes), or :class:`FieldError`."""
    try:
        return time.fromisoformat(str(form.get(name) or "").strip())
    except ValueError:
        raise FieldError({name: [message]}) from None


def read_moment(form: Mapping[str, Any], day: tuple[str, str], at: tuple[str, str], zone: tzinfo) -> datetime:
    """The moment (in UTC) a clock in ``zone`` shows at the day and time typed in the form;
    ``day`` and ``at`` are (field, message when it cannot be read). Both fields' errors at once."""
    errors: dict[str, Any] = {}
    parts = []
    for reader, (name, message) in ((read_date, day), (read_time, at)):
        try:
            parts.append(reader(form, name, message))
        except FieldError as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldError(errors)
    return from_local(*parts, zone)
