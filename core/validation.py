"""Text hygiene for everything people type: no control characters or hidden direction marks, NFC."""

from __future__ import annotations

import unicodedata
from typing import Any

from flask_babel import gettext as _
from marshmallow import ValidationError, fields

#: Bidirectional controls (embeddings, overrides, isolates, marks): they make a name read
#: differently from what it is ("Trojan Source"), and nothing typed as a name needs them.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


class TextError(ValueError):
    """A text holds a character it may not; ``str(error)`` is the message, translated."""


def _refused(char: str, multiline: bool) -> bool:
    if char in BIDI_CONTROLS:
        return True
    if multiline and char == "\n":
        return False
    return unicodedata.category(char) == "Cc"


def clean_text(value: str, *, multiline: bool = False) -> str:
    """``value`` in NFC; free text (``multiline``) with its line breaks as ``\\n``.

    Raises :class:`TextError` for a control character (tab included; in free text a line
    break is allowed) or a bidirectional control such as U+202E."""
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if any(_refused(char, multiline) for char in value):
        if multiline:
            raise TextError(_("Remove the control characters or hidden direction marks; line breaks are fine."))
        raise TextError(_("Remove the control characters, line breaks or hidden direction marks."))
    return unicodedata.normalize("NFC", value)


def clean_into(errors: dict[str, list[str]], field: str, value: str, *, multiline: bool = False) -> str:
    """``value`` cleaned as :func:`clean_text` does; when it cannot be, the message is noted
    under ``errors[field]`` and ``value`` comes back unchanged (for the form to show again)."""
    try:
        return clean_text(value, multiline=multiline)
    except TextError as exc:
        errors[field] = [str(exc)]
        return value


def clean_fields(data: dict[str, Any], short: tuple[str, ...] = (), free: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """Clean the named string values of ``data`` in place (short text, free text); the
    errors, field -> messages, for those that cannot be cleaned."""
    errors: dict[str, list[str]] = {}
    for names, multiline in ((short, False), (free, True)):
        for name in names:
            if isinstance(data.get(name), str):
                data[name] = clean_into(errors, name, data[name], multiline=multiline)
    return errors


class ShortText(fields.String):
    """A one-line text (a name, title, place, organisation): no control characters or
    bidirectional controls, normalised to NFC."""

    multiline = False

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return clean_text(text, multiline=self.multiline)
        except TextError as exc:
            raise ValidationError(str(exc)) from None


#: A person's, organisation's or group's name: a short text.
Name = ShortText


class FreeText(ShortText):
    """A text of several lines (notes, needs, messages): as :class:`ShortText`, but line breaks
    are kept (``\\r\\n`` and ``\\r`` become ``\\n``)."""

    multiline = True
