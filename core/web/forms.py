"""HTML forms generated from marshmallow schemas (plugin settings), keeping what was typed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    for name, field in schema.fields.items():
        if field.dump_only or isinstance(field, (fields.Dict, fields.Nested)):
            continue
        kind = _kind(field)
        default = field.load_default if field.load_default is not None else None
        value = values.get(name, default() if callable(default) else default)
        minimum, maximum = _range(field)
        result.append(
            FormField(
                name=name,
                label=field.metadata.get("label", name.replace("_", " ").capitalize()),
                kind=kind,
                value=value,
                required=field.required,
                help=field.metadata.get("description", ""),
                choices=_choices(field.inner if isinstance(field, fields.List) else field),
                minimum=minimum,
                maximum=maximum,
            )
        )
    return result


def read_form(schema: Schema, form: MultiDict) -> dict[str, Any]:
    """Turn posted form values into the raw input ``schema.load`` expects."""
    raw: dict[str, Any] = {}
    for field in describe(schema, {}):
        if field.kind == "checkbox":
            raw[field.name] = field.name in form
        elif field.kind == "multiselect":
            raw[field.name] = form.getlist(field.name)
        elif field.kind == "lines":
            raw[field.name] = [line.strip() for line in form.get(field.name, "").splitlines() if line.strip()]
        elif field.name in form and form[field.name].strip() != "":
            raw[field.name] = form[field.name].strip()
    return raw
