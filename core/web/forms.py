"""HTML forms generated from marshmallow schemas (plugin settings), keeping what was typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict


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
