"""Validation, normalisation and masking of Danish, Swedish and Finnish national identity numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date


def N_(message: str) -> str:
    """Marks a message for the catalog (pybabel's ``N_`` keyword). The messages stay English
    here, a module without an application; pages translate field errors where they show them
    (core.web.messages), as they do marshmallow's."""
    return message

__all__ = ["SUPPORTED_COUNTRIES", "NationalId", "NationalIdError", "parse"]

SUPPORTED_COUNTRIES: tuple[str, ...] = ("DK", "SE", "FI")

# re.ASCII keeps \d-lookalikes such as Arabic-Indic digits out of identifiers.
_CPR_RE = re.compile(r"(\d{6})-?(\d{4})", re.ASCII)
_SE_SHORT_RE = re.compile(r"(\d{6})([-+]?)(\d{4})", re.ASCII)
_SE_LONG_RE = re.compile(r"(\d{8})-?(\d{4})", re.ASCII)
_FI_RE = re.compile(r"(\d{6})([-+A-FU-Y])(\d{3})([0-9A-Y])", re.ASCII)

_FI_CHECK_CHARS = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_FI_CENTURY = {"+": 1800, "-": 1900, "U": 1900, "V": 1900, "W": 1900, "X": 1900, "Y": 1900,
               "A": 2000, "B": 2000, "C": 2000, "D": 2000, "E": 2000, "F": 2000}

_SAMORDNING_DAY_OFFSET = 60


class NationalIdError(ValueError):
    """Raised when a national identity number is invalid.

    The message is meant for people and never contains the number itself;
    ``code`` is a stable machine-readable reason: ``"country"``, ``"format"``,
    ``"date"``, ``"checksum"`` or ``"serial"``.
    """

    def __init__(self, code: str, message: str) -> None:
        """Create the error with a machine ``code`` and a human ``message``."""
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, repr=False)
class NationalId:
    """A validated national identity number in canonical form.

    ``str()`` and ``repr()`` only ever show the masked form, so the object can
    be logged or interpolated into messages without leaking the number.
    """

    country: str
    kind: str
    value: str
    birth_date: date
    temporary: bool = False

    @property
    def masked(self) -> str:
        """Return the number with everything but the last four characters hidden.

        The birth date (and, for Finland, the century sign) is replaced by
        asterisks; Danish and Swedish numbers get their conventional hyphen.
        """
        tail = self.value[-4:]
        hidden = len(self.value) - len(tail)
        if self.country in ("DK", "SE"):
            return "*" * hidden + "-" + tail
        return "*" * hidden + tail

    def __str__(self) -> str:
        """Return the masked form."""
        return self.masked

    def __repr__(self) -> str:
        """Return a debugging representation that shows only the masked form."""
        return f"NationalId(country={self.country!r}, kind={self.kind!r}, masked={self.masked!r})"


def parse(country: str, raw: str, *, today: date | None = None) -> NationalId:
    """Validate ``raw`` as a national identity number of ``country``.

    ``country`` is one of :data:`SUPPORTED_COUNTRIES` (case-insensitive).
    Surrounding whitespace is ignored. ``today`` is used to resolve the century
    of 10-digit Swedish numbers and to reject birth dates in the future; it
    defaults to :func:`datetime.date.today`.

    Returns a :class:`NationalId` whose ``value`` is canonical: Danish
    ``DDMMYYSSSS``, Swedish ``YYYYMMDDNNNC`` and Finnish ``DDMMYYCZZZQ`` in
    upper case. Raises :class:`NationalIdError` if the number is invalid.
    """
    if not isinstance(country, str) or country.strip().upper() not in SUPPORTED_COUNTRIES:
        raise NationalIdError("country", N_("National identity numbers from this country are not supported."))
    if not isinstance(raw, str):
        raise NationalIdError("format", N_("The national identity number must be text."))
    today = today or date.today()
    text = raw.strip()
    code = country.strip().upper()
    if code == "DK":
        return _parse_dk(text, today)
    if code == "SE":
        return _parse_se(text, today)
    return _parse_fi(text, today)


def _birth_date(year: int, month: int, day: int, today: date) -> date:
    """Build a birth date, rejecting impossible and future dates."""
    try:
        born = date(year, month, day)
    except ValueError:
        raise NationalIdError("date", N_("The national identity number does not contain a valid birth date.")) from None
    if born > today:
        raise NationalIdError("date", N_("The national identity number contains a birth date in the future."))
    return born


def _parse_dk(text: str, today: date) -> NationalId:
    """Parse a Danish CPR number (deliberately without the modulus-11 check)."""
    match = _CPR_RE.fullmatch(text)
    if not match:
        raise NationalIdError("format", N_("A CPR number has 10 digits, written DDMMYY-SSSS."))
    digits = match.group(1) + match.group(2)
    day, month, yy = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    # Official CPR century table, keyed on the 7th digit (first serial digit).
    seventh = int(digits[6])
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:
        century = 2000 if yy <= 57 else 1800
    born = _birth_date(century + yy, month, day, today)
    return NationalId(country="DK", kind="cpr", value=digits, birth_date=born)


def _luhn_check_digit(digits: str) -> int:
    """Return the Luhn check digit for ``digits`` (weights 2, 1, 2, ... from the left)."""
    total = 0
    for index, char in enumerate(digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product - 9 if product > 9 else product
    return (10 - total % 10) % 10


def _parse_se(text: str, today: date) -> NationalId:
    """Parse a Swedish personnummer or samordningsnummer."""
    short = _SE_SHORT_RE.fullmatch(text)
    long = _SE_LONG_RE.fullmatch(text)
    if short:
        yymmdd, separator, tail = short.groups()
    elif long:
        yymmdd, separator, tail = long.group(1)[2:], "", long.group(2)
    else:
        raise NationalIdError("format", N_("A Swedish personal identity number is written YYMMDD-NNNC or YYYYMMDDNNNC."))

    if int(tail[3]) != _luhn_check_digit(yymmdd + tail[:3]):
        raise NationalIdError("checksum", N_("The check digit of the Swedish personal identity number is wrong."))

    yy, month, day = int(yymmdd[0:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    kind = "personnummer"
    if day > _SAMORDNING_DAY_OFFSET:
        kind = "samordningsnummer"
        day -= _SAMORDNING_DAY_OFFSET

    if long:
        year = int(long.group(1)[0:4])
    else:
        # Most recent year ending in YY whose birthday is not after today;
        # '+' marks a person aged 100 or more, so go back one more century.
        year = today.year - (today.year - yy) % 100
        if (month, day) > (today.month, today.day) and year == today.year:
            year -= 100
        if separator == "+":
            year -= 100
    born = _birth_date(year, month, day, today)
    value = f"{year:04d}{yymmdd[2:]}{tail}"
    return NationalId(country="SE", kind=kind, value=value, birth_date=born)


def _parse_fi(text: str, today: date) -> NationalId:
    """Parse a Finnish henkilötunnus, including the century signs introduced in 2023."""
    match = _FI_RE.fullmatch(text.upper())
    if not match:
        raise NationalIdError("format", N_("A Finnish personal identity code is written DDMMYYCZZZQ."))
    ddmmyy, sign, serial, check = match.groups()
    if _FI_CHECK_CHARS[int(ddmmyy + serial) % 31] != check:
        raise NationalIdError("checksum", N_("The check character of the Finnish personal identity code is wrong."))
    individual = int(serial)
    if individual < 2:
        raise NationalIdError("serial", N_("The individual number of the Finnish personal identity code is not valid."))
    day, month, yy = int(ddmmyy[0:2]), int(ddmmyy[2:4]), int(ddmmyy[4:6])
    born = _birth_date(_FI_CENTURY[sign] + yy, month, day, today)
    return NationalId(
        country="FI",
        kind="henkilotunnus",
        value=ddmmyy + sign + serial + check,
        birth_date=born,
        temporary=individual >= 900,
    )
