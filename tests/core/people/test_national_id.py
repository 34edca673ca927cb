"""Tests for core.people.national_id."""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import pytest

from core.people.national_id import SUPPORTED_COUNTRIES, NationalId, NationalIdError, parse

TODAY = date(2025, 6, 15)


def luhn(digits: str) -> str:
    """Independent Luhn check digit: double every second digit from the right of the payload."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += sum(int(d) for d in str(value))
    return str(-total % 10)


def se(yymmdd: str, sep: str, serial: str) -> str:
    """Build a 10-digit Swedish number with a correct check digit."""
    return f"{yymmdd}{sep}{serial}{luhn(yymmdd + serial)}"


def fi(ddmmyy: str, sign: str, serial: str) -> str:
    """Build a Finnish henkilötunnus with a correct check character."""
    return f"{ddmmyy}{sign}{serial}{'0123456789ABCDEFHJKLMNPRSTUVWXY'[int(ddmmyy + serial) % 31]}"


def cpr_mod11_ok(digits: str) -> bool:
    """Return True if a CPR number passes the old modulus-11 test."""
    return sum(int(d) * w for d, w in zip(digits, (4, 3, 2, 7, 6, 5, 4, 3, 2, 1))) % 11 == 0


def test_helpers_match_published_examples() -> None:
    assert se("811218", "-", "987") == "811218-9876"
    assert fi("131052", "-", "308") == "131052-308T"


def test_supported_countries() -> None:
    assert SUPPORTED_COUNTRIES == ("DK", "SE", "FI")


# --- Denmark -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "birth"),
    [
        ("010190-1234", date(1990, 1, 1)),
        ("0101901234", date(1990, 1, 1)),
        ("  010190-1234\n", date(1990, 1, 1)),
        ("010136-3000", date(1936, 1, 1)),  # digit 7 in 0-3: always 1900s
        ("311299-0001", date(1999, 12, 31)),
        ("010100-4000", date(2000, 1, 1)),  # digit 7 = 4, YY <= 36
        ("010137-4000", date(1937, 1, 1)),  # digit 7 = 4, YY > 36
        ("010120-9000", date(2020, 1, 1)),  # digit 7 = 9, YY <= 36
        ("010199-9000", date(1999, 1, 1)),  # digit 7 = 9, YY > 36
        ("010125-5000", date(2025, 1, 1)),  # digit 7 in 5-8, YY <= 57
        ("010158-5000", date(1858, 1, 1)),  # digit 7 in 5-8, YY > 57
        ("311299-8000", date(1899, 12, 31)),
        ("150625-6000", date(2025, 6, 15)),  # born today
        ("290200-4000", date(2000, 2, 29)),  # leap day in a leap century year
        ("290264-7000", date(1864, 2, 29)),
        ("290296-1000", date(1996, 2, 29)),
    ],
)
def test_cpr_valid(raw: str, birth: date) -> None:
    nid = parse("DK", raw, today=TODAY)
    assert nid.country == "DK"
    assert nid.kind == "cpr"
    assert nid.value == raw.strip().replace("-", "")
    assert nid.birth_date == birth
    assert nid.temporary is False


@pytest.mark.parametrize("raw", ["010190-1234", "010190-1235", "070761-4285", "010101-0000"])
def test_cpr_has_no_modulus_11_check(raw: str) -> None:
    # Numbers failing modulus 11 have been issued since 2007 and must be accepted.
    digits = raw.replace("-", "")
    assert parse("DK", raw, today=TODAY).value == digits
    if raw == "010190-1235":
        assert not cpr_mod11_ok(digits)


def test_cpr_century_boundary_depends_on_today() -> None:
    # 2036 per the rule table: a future date now, valid once that day has come.
    with pytest.raises(NationalIdError) as excinfo:
        parse("DK", "010136-4000", today=TODAY)
    assert excinfo.value.code == "date"
    assert parse("DK", "010136-4000", today=date(2036, 1, 1)).birth_date == date(2036, 1, 1)
    assert parse("DK", "010157-5000", today=date(2060, 1, 1)).birth_date == date(2057, 1, 1)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "format"),
        ("010190123", "format"),
        ("01019012345", "format"),
        ("010190 1234", "format"),
        ("010190--1234", "format"),
        ("01019-01234", "format"),
        ("01019O1234", "format"),
        ("010190+1234", "format"),
        ("٠١٠١٩٠١٢٣٤", "format"),  # Arabic-Indic digits
        ("3201901234", "date"),
        ("0013901234", "date"),
        ("0001901234", "date"),
        ("0113901234", "date"),
        ("290200-3000", "date"),  # 1900 was not a leap year
        ("290258-5000", "date"),  # 1858 was not a leap year
        ("290201-4000", "date"),  # 2001 was not a leap year
        ("010126-4000", "date"),  # 2026: in the future
        ("160625-4000", "date"),  # tomorrow
    ],
)
def test_cpr_invalid(raw: str, code: str) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse("DK", raw, today=TODAY)
    assert excinfo.value.code == code


# --- Sweden ------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["811218-9876", "8112189876", "19811218-9876", "198112189876", " 811218-9876 "]
)
def test_personnummer_published_example_in_all_forms(raw: str) -> None:
    nid = parse("SE", raw, today=TODAY)
    assert nid == NationalId("SE", "personnummer", "198112189876", date(1981, 12, 18))


@pytest.mark.parametrize(
    ("raw", "value", "birth"),
    [
        (se("250615", "-", "123"), "20250615123", date(2025, 6, 15)),  # born today
        (se("250616", "-", "123"), "19250616123", date(1925, 6, 16)),  # tomorrow's date: last century
        (se("250614", "-", "123"), "20250614123", date(2025, 6, 14)),
        (se("250615", "+", "123"), "19250615123", date(1925, 6, 15)),  # exactly 100 today
        (se("250616", "+", "123"), "18250616123", date(1825, 6, 16)),
        (se("260101", "", "123"), "19260101123", date(1926, 1, 1)),
        (se("000101", "-", "123"), "20000101123", date(2000, 1, 1)),
        (se("991231", "-", "123"), "19991231123", date(1999, 12, 31)),
        (se("991231", "+", "123"), "18991231123", date(1899, 12, 31)),
        (se("000229", "-", "123"), "20000229123", date(2000, 2, 29)),
        (se("960229", "", "123"), "19960229123", date(1996, 2, 29)),
    ],
)
def test_personnummer_century_from_today(raw: str, value: str, birth: date) -> None:
    nid = parse("SE", raw, today=TODAY)
    assert nid.value == value + raw[-1]
    assert nid.birth_date == birth
    assert nid.kind == "personnummer"


@pytest.mark.parametrize(
    ("raw", "birth"),
    [
        (se("811278", "-", "987"), date(1981, 12, 18)),
        (se("800289", "", "234"), date(1980, 2, 29)),
        (se("811278", "-", "987")[:6] + "+" + se("811278", "-", "987")[7:], date(1881, 12, 18)),
        ("19" + se("811278", "", "987"), date(1981, 12, 18)),
        ("18" + se("811278", "-", "987"), date(1881, 12, 18)),
    ],
)
def test_samordningsnummer(raw: str, birth: date) -> None:
    nid = parse("SE", raw, today=TODAY)
    assert nid.kind == "samordningsnummer"
    assert nid.birth_date == birth
    # The canonical value keeps the day + 60 as issued.
    assert nid.value[6:8] == str(birth.day + 60)
    assert len(nid.value) == 12


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("811218-9875", "checksum"),
        ("19811218-9875", "checksum"),
        ("811218+9877", "checksum"),
        ("811218-9867", "checksum"),  # transposed digits
        ("", "format"),
        ("811218-987", "format"),
        ("811218_9876", "format"),
        ("811218 9876", "format"),
        ("19811218+9876", "format"),  # '+' only belongs in the 10-digit form
        ("1981121-89876", "format"),
        ("98112189876", "format"),
        ("8112I89876", "format"),
        (se("811318", "-", "987"), "date"),
        (se("811200", "-", "987"), "date"),
        (se("810230", "-", "987"), "date"),
        (se("050229", "-", "123"), "date"),
        (se("000229", "+", "123"), "date"),  # 1900 was not a leap year
        (se("811292", "-", "987"), "date"),  # samordningsnummer day 32
        (se("811260", "-", "987"), "date"),  # day 60 is day 0
        ("20" + se("300101", "", "123"), "date"),  # future in 12-digit form
    ],
)
def test_personnummer_invalid(raw: str, code: str) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse("SE", raw, today=TODAY)
    assert excinfo.value.code == code


def test_personnummer_defaults_today() -> None:
    assert parse("SE", "811218-9876").birth_date == date(1981, 12, 18)


# --- Finland -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value", "birth"),
    [
        ("131052-308T", "131052-308T", date(1952, 10, 13)),
        ("131052-308t", "131052-308T", date(1952, 10, 13)),
        (" 131052-308T ", "131052-308T", date(1952, 10, 13)),
        *[(fi("131052", s, "308"), f"131052{s}308T", date(1952, 10, 13)) for s in "YXWVU"],
        *[(fi("010120", s, "002"), fi("010120", s, "002"), date(2020, 1, 1)) for s in "ABCDEF"],
        (fi("010120", "b", "002").lower(), fi("010120", "B", "002"), date(2020, 1, 1)),
        (fi("311299", "+", "899"), fi("311299", "+", "899"), date(1899, 12, 31)),
        (fi("290200", "A", "123"), fi("290200", "A", "123"), date(2000, 2, 29)),
        (fi("290296", "-", "123"), fi("290296", "-", "123"), date(1996, 2, 29)),
        (fi("290296", "V", "123"), fi("290296", "V", "123"), date(1996, 2, 29)),
        (fi("150625", "F", "500"), fi("150625", "F", "500"), date(2025, 6, 15)),
    ],
)
def test_henkilotunnus_valid(raw: str, value: str, birth: date) -> None:
    nid = parse("FI", raw, today=TODAY)
    assert nid.country == "FI"
    assert nid.kind == "henkilotunnus"
    assert nid.value == value
    assert nid.birth_date == birth
    assert nid.temporary is False


@pytest.mark.parametrize(("serial", "temporary"), [("002", False), ("899", False), ("900", True), ("999", True)])
def test_henkilotunnus_temporary_numbers(serial: str, temporary: bool) -> None:
    assert parse("FI", fi("131052", "-", serial), today=TODAY).temporary is temporary


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("131052-308U", "checksum"),
        ("131052-309T", "checksum"),
        ("131052-308G", "checksum"),  # G, I, O, Q are not check characters
        ("", "format"),
        ("131052-308", "format"),
        ("131052-308TT", "format"),
        ("131052308T", "format"),
        ("131052G308T", "format"),  # G is not a century sign
        ("131052Z308T", "format"),
        ("131052-3O8T", "format"),
        ("131052-308Z", "format"),
        (fi("131052", "-", "000"), "serial"),
        (fi("131052", "-", "001"), "serial"),
        (fi("320152", "-", "308"), "date"),
        (fi("311152", "-", "308"), "date"),
        (fi("131352", "-", "308"), "date"),
        (fi("290200", "-", "123"), "date"),  # 1900 was not a leap year
        (fi("290201", "A", "123"), "date"),
        (fi("010150", "A", "123"), "date"),  # 2050: in the future
        (fi("160625", "A", "123"), "date"),  # tomorrow
    ],
)
def test_henkilotunnus_invalid(raw: str, code: str) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse("FI", raw, today=TODAY)
    assert excinfo.value.code == code


# --- Common behaviour --------------------------------------------------------


@pytest.mark.parametrize("country", ["NO", "", "XX", "DNK", "se-"])
def test_unknown_country(country: str) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse(country, "010190-1234", today=TODAY)
    assert excinfo.value.code == "country"


@pytest.mark.parametrize(("country", "raw"), [("dk", "010190-1234"), (" se ", "811218-9876"), ("Fi", "131052-308T")])
def test_country_is_case_insensitive(country: str, raw: str) -> None:
    assert parse(country, raw, today=TODAY).country == country.strip().upper()


@pytest.mark.parametrize("raw", [None, 101901234, b"0101901234"])
def test_non_text_input(raw: object) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse("DK", raw, today=TODAY)  # type: ignore[arg-type]
    assert excinfo.value.code == "format"


def test_error_is_value_error() -> None:
    with pytest.raises(ValueError):
        parse("DK", "nonsense", today=TODAY)


@pytest.mark.parametrize(
    ("country", "raw", "masked"),
    [
        ("DK", "010190-1234", "******-1234"),
        ("SE", "811218-9876", "********-9876"),
        ("SE", "19811218-9876", "********-9876"),
        ("FI", "131052-308T", "*******308T"),
        ("FI", fi("010120", "A", "002"), "*******002" + fi("010120", "A", "002")[-1]),
    ],
)
def test_masked_and_str_repr_hide_the_number(country: str, raw: str, masked: str) -> None:
    nid = parse(country, raw, today=TODAY)
    assert nid.masked == masked
    assert str(nid) == masked
    assert f"{nid}" == masked
    for shown in (str(nid), repr(nid), f"{nid!r}", str([nid]), str({"id": nid})):
        assert nid.value not in shown
        assert raw.strip() not in shown
        assert nid.value[:6] not in shown
        assert nid.birth_date.isoformat() not in shown
    assert masked in repr(nid)


@pytest.mark.parametrize(
    ("country", "raw"),
    [
        ("DK", "3201901234"),
        ("DK", "290200-3000"),
        ("DK", "010126-4000"),
        ("SE", "811218-9875"),
        ("SE", "19811218-9875"),
        ("SE", se("811318", "-", "987")),
        ("FI", "131052-308U"),
        ("FI", fi("131052", "-", "000")),
        ("FI", fi("320152", "-", "308")),
        ("FI", "131052G308T"),
        ("NO", "01019012345"),
    ],
)
def test_error_messages_never_echo_the_number(country: str, raw: str) -> None:
    with pytest.raises(NationalIdError) as excinfo:
        parse(country, raw, today=TODAY)
    error = excinfo.value
    digits = re.sub(r"\D", "", raw)
    for shown in (str(error), repr(error), " ".join(map(str, error.args))):
        assert raw not in shown
        assert digits not in shown
        assert digits[:6] not in shown
        assert not re.search(r"\d{5,}", shown)
    assert error.__cause__ is None
    assert error.__suppress_context__ or error.__context__ is None


def test_national_id_is_frozen_and_comparable() -> None:
    first = parse("DK", "010190-1234", today=TODAY)
    second = parse("DK", "0101901234", today=TODAY)
    assert first == second
    assert hash(first) == hash(second)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.value = "0202901234"  # type: ignore[misc]
