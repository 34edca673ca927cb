"""marshmallow's validation messages in the reader's language, translated where pages show them."""

from __future__ import annotations

import re
from typing import Any, Iterable

from flask_babel import gettext

from core.web.strings import N_

#: marshmallow's own messages (fields, validators, schemas) as it writes them, placeholders
#: included. A message of a page's form error that matches one is shown through gettext with
#: the placeholders filled in again; tests/core/web/test_validation_messages.py fails when a
#: marshmallow upgrade adds or rewords one.
MARSHMALLOW = (
    N_("Missing data for required field."),
    N_("Field may not be null."),
    N_("Invalid value."),
    N_("Invalid input."),
    N_("Invalid input type."),
    N_("Invalid type."),
    N_("Unknown field."),
    N_("Not a valid boolean."),
    N_("Not a valid date."),
    N_("Not a valid datetime."),
    N_("Not a valid time."),
    N_("Not a valid {obj_type}."),
    N_("Not a valid {awareness} {obj_type}."),
    N_('"{input}" cannot be formatted as a date.'),
    N_('"{input}" cannot be formatted as a {obj_type}.'),
    N_("{input!r} cannot be formatted as a timedelta."),
    N_("Special numeric values (nan or infinity) are not permitted."),
    N_("Not a valid mapping type."),
    N_("Not a valid email address."),
    N_("Must be one of: {choices}."),
    N_("Not a valid IP address."),
    N_("Not a valid IP interface."),
    N_("Not a valid IPv4 address."),
    N_("Not a valid IPv4 interface."),
    N_("Not a valid IPv6 address."),
    N_("Not a valid IPv6 interface."),
    N_("Not a valid integer."),
    N_("Not a valid list."),
    N_("Not a valid number."),
    N_("Number too large."),
    N_("Not a valid string."),
    N_("Not a valid utf-8 string."),
    N_("Not a valid period of time."),
    N_("Not a valid tuple."),
    N_("Not a valid URL."),
    N_("Not a valid UUID."),
    N_("One or more of the choices you made was in: {values}."),
    N_("One or more of the choices you made was not in: {choices}."),
    N_("Must be equal to {other}."),
    N_("Length must be between {min} and {max}."),
    N_("Length must be {equal}."),
    N_("Longer than maximum length {max}."),
    N_("Shorter than minimum length {min}."),
    N_("String does not match expected pattern."),
    # validate.Range builds its message from the bounds' kinds: every combination.
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Must be greater than or equal to {min}."),
    N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."),
    N_("Must be less than {max}."),
)

_FIELD = re.compile(r"\{(\w+)(![rs])?\}")


def _pattern(template: str) -> re.Pattern[str]:
    parts, end = [], 0
    for found in _FIELD.finditer(template):
        parts += [re.escape(template[end:found.start()]), f"(?P<{found.group(1)}>.+?)"]
        end = found.end()
    return re.compile("".join(parts) + re.escape(template[end:]) + r"\Z", re.S)


#: (pattern, template) for the messages with placeholders, longest first so that the most
#: specific template wins ("Must be greater than or equal to ..." before "Must be greater than ...").
_TEMPLATES = [(_pattern(t), t) for t in sorted((t for t in MARSHMALLOW if "{" in t), key=len, reverse=True)]


def translate_message(message: Any) -> str:
    """One validation message in the current language: a message in the catalogs (core's or
    a plugin's) as translated, one of marshmallow's templates with its values filled in
    again, anything else as it is."""
    text = str(message)
    translated = gettext(text)
    if translated != text:
        return translated
    for pattern, template in _TEMPLATES:
        found = pattern.match(text)
        if found:
            return _FIELD.sub(lambda m: "{" + m.group(1) + "}", gettext(template)).format(**found.groupdict())
    return text


def translate_messages(messages: Any) -> list[str]:
    """A field's messages (a list, or one message) translated: the ``messages`` template filter."""
    if messages is None:
        return []
    if isinstance(messages, str) or not isinstance(messages, Iterable):
        messages = [messages]
    return [translate_message(m) for m in messages]
