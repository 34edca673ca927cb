"""Outreach: who among the users of disability services was informed about VIP and offered it.

The municipality's goal is that every user of its disability services is informed about the
course and offered it at least once. Each user is a core person with one :class:`Outreach`
row: the service they use, when they were informed and when they were offered a place.

Rules, for single entry (:func:`record`, :func:`update`) and the CSV import alike:

- Dates are not in the future (nor before 1990: a mistyped year).
- An offer counts as information: when ``informed_on`` is empty and ``offered_on`` is set,
  ``informed_on`` takes the date of the offer. Informed after the offer is an error.
- A new person is matched to someone already registered by national ID, or by the same
  name and birth year (the paper form's rule, :func:`_match`), when no birth date known on
  both sides differs and exactly one person fits (one with the same birth date comes
  first); only when no one matches is a person created. Several people who fit equally
  well is an error: staff choose the person instead.
- National IDs are never echoed: not in messages, reports, audit details or logs.

The CSV import is all or nothing: every row is checked first and any error leaves the
database as it was; see :func:`import_csv` for the columns.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import case, distinct, func, or_, select
from sqlalchemy.orm import Session, contains_eager

from core.toolkit import (
    DEFAULT_PER_PAGE,
    Conflict,
    FieldError,
    MatchProfile,
    NationalIdError,
    NotFound,
    Page,
    Person,
    PersonError,
    Vault,
    _,
    clean_into,
    conflict_on_integrity_error,
    create_person,
    csv_writer,
    current_tenant,
    find_matches,
    get_person,
    paginate,
    parse_national_id,
    record_audit,
)
from plugins.vip.models import Outreach

#: The list filters: no date yet; informed but not offered; offered (and so informed).
NOT_INFORMED, INFORMED, OFFERED = "not_informed", "informed", "offered"
STATUSES = (NOT_INFORMED, INFORMED, OFFERED)

#: Earlier dates are taken for a mistyped year.
EARLIEST = date(1990, 1, 1)

#: The outreach fields a caller may set; the rest of ``data`` in :func:`record` names the person.
FIELDS = ("service", "informed_on", "offered_on", "note")
PERSON_KEYS = ("first_name", "last_name", "birth_date", "birth_year", "national_id", "national_id_country")
LIMITS = {"first_name": 100, "last_name": 100, "service": 200, "note": 500}
#: Fields that keep their line breaks; the others are one line.
FREE_TEXT = frozenset({"note"})

#: The columns of an import file, in the order of the template.
COLUMNS = ("first_name", "last_name", "birth_date", "national_id", "service", "informed_on", "offered_on", "note")
REQUIRED_COLUMNS = ("first_name", "last_name")
#: Bounds of one import: larger files are refused whole, with a message saying so.
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


class OutreachError(FieldError):
    """Invalid outreach data; ``errors`` maps field name to messages, as the API returns them."""


class OutreachConflict(Conflict, OutreachError):
    """Someone recorded the same person, or changed the same records, at the same moment (a 409)."""

    def __init__(self, message: str, field: str = "_schema") -> None:
        OutreachError.__init__(self, {field: [message]})
        self.args = (message,)


@dataclass(frozen=True)
class Recorded:
    """What :func:`record` did: the row, whether it is new, and whether the person is."""

    outreach: Outreach
    created: bool
    person_created: bool


def status_of(outreach: Outreach) -> str:
    if outreach.offered_on is not None:
        return OFFERED
    return INFORMED if outreach.informed_on is not None else NOT_INFORMED


# --- Reading -------------------------------------------------------------------------------


def search(status: str | None = None, query: str | None = None):
    """A SELECT of the tenant's outreach rows with their people (one query), by name;
    ``status`` is one of :data:`STATUSES`, ``query`` part of a name."""
    stmt = (select(Outreach).join(Person, Person.id == Outreach.person_id)
            .options(contains_eager(Outreach.person))
            .where(Person.anonymised_at.is_(None))
            .order_by(Person.last_name, Person.first_name, Outreach.id))
    if status == OFFERED:
        stmt = stmt.where(Outreach.offered_on.is_not(None))
    elif status == INFORMED:
        stmt = stmt.where(Outreach.informed_on.is_not(None), Outreach.offered_on.is_(None))
    elif status == NOT_INFORMED:
        stmt = stmt.where(Outreach.informed_on.is_(None), Outreach.offered_on.is_(None))
    if query and query.strip():
        like = f"%{query.strip()}%"
        stmt = stmt.where(or_(Person.first_name.ilike(like), Person.last_name.ilike(like)))
    return stmt


def page(session: Session, status: str | None = None, query: str | None = None, number: int = 1,
         per_page: int = DEFAULT_PER_PAGE, *, args: dict[str, Any] | None = None) -> Page:
    """One page of :func:`search` (two queries: the count and the rows)."""
    return paginate(session, search(status, query), number, per_page, **(args or {}))


def get(session: Session, outreach_id: int) -> Outreach | None:
    """One outreach row of the current tenant with its person, or None (other tenants' too)."""
    return session.scalar(search().where(Outreach.id == outreach_id))


def outreach_or_404(session: Session, outreach_id: int) -> Outreach:
    """As :func:`get`, or :class:`NotFound` (also for an anonymised person's row)."""
    row = get(session, outreach_id)
    if row is None:
        raise NotFound("no such outreach record in this tenant")
    return row


def for_person(session: Session, person_id: int) -> Outreach | None:
    return session.scalar(select(Outreach).where(Outreach.person_id == person_id))


def coverage(session: Session) -> tuple[int, int]:
    """``(offered, total)``: people offered the course at least once, and all registered
    users of disability services, in the current tenant; people, not rows (the import and
    single entry match a person already registered rather than add them twice). One query.

    Rows of anonymised people count too: anonymisation keeps their dates for the statistics
    (as the ``vip.outreach_coverage`` metric counts them); the list shows only named people."""
    offered, total = session.execute(select(*people_counted())).one()
    return int(offered or 0), int(total or 0)


def people_counted() -> tuple:
    """The columns counting people offered and people registered (distinct persons)."""
    offered = case((Outreach.offered_on.is_not(None), Outreach.person_id))
    return func.count(distinct(offered)), func.count(distinct(Outreach.person_id))


def coverage_percent(offered: int, total: int) -> int | None:
    """The share offered in whole per cent, rounded down (so 100 % means everyone); None
    when no one is registered."""
    return None if not total else offered * 100 // total


# --- Checking ------------------------------------------------------------------------------


def _check_date(errors: dict, name: str, value: date | None, today: date) -> None:
    if value is None:
        return
    if value > today:
        errors.setdefault(name, []).append(_("The date is in the future."))
    elif value < EARLIEST:
        errors.setdefault(name, []).append(_("Check the year: the date is too early."))


def _settle_dates(errors: dict, informed_on: date | None, offered_on: date | None,
                  today: date) -> tuple[date | None, date | None]:
    """Check both dates and apply "an offer counts as information"."""
    _check_date(errors, "informed_on", informed_on, today)
    _check_date(errors, "offered_on", offered_on, today)
    if offered_on is not None and informed_on is None:
        informed_on = offered_on
    if informed_on and offered_on and informed_on > offered_on and "informed_on" not in errors:
        errors.setdefault("informed_on", []).append(
            _("The person must be informed before the offer or on the same day."))
    return informed_on, offered_on


def _check_lengths(errors: dict, data: dict[str, Any], keys) -> None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, str) and len(value) > LIMITS[key]:
            errors.setdefault(key, []).append(_("Write at most %(n)s characters.", n=LIMITS[key]))
        elif isinstance(value, str):
            data[key] = clean_into(errors, key, value, multiline=key in FREE_TEXT)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_new_person(errors: dict, data: dict[str, Any], country: str, today: date):
    """Check the details of a person not chosen from the register; returns the parsed
    national ID (or None). Nothing here ever quotes the number."""
    for key, message in (("first_name", _("Enter a first name.")), ("last_name", _("Enter a last name."))):
        if _blank(data.get(key)):
            errors.setdefault(key, []).append(message)
    _check_lengths(errors, data, ("first_name", "last_name"))
    parsed = None
    if not _blank(data.get("national_id")):
        try:
            parsed = parse_national_id(data.get("national_id_country") or country, data["national_id"], today=today)
        except NationalIdError as exc:
            errors.setdefault("national_id", []).append(str(exc))  # core's words; never the number
    birth_date, birth_year = data.get("birth_date"), data.get("birth_year")
    if birth_date is not None and birth_date > today:
        errors.setdefault("birth_date", []).append(_("The birth date is in the future."))
    if birth_date is not None and birth_year is not None and birth_date.year != birth_year:
        errors.setdefault("birth_year", []).append(_("The birth year does not match the birth date."))
    if parsed is not None and birth_date is not None and parsed.birth_date != birth_date:
        errors.setdefault("birth_date", []).append(_("The birth date does not match the national identity number."))
    if birth_year is not None and not 1880 <= birth_year <= today.year:
        errors.setdefault("birth_year", []).append(_("Check the birth year."))
    if birth_date is None and birth_year is None and parsed is None and _blank(data.get("national_id")):
        errors.setdefault("birth_date", []).append(
            _("Give a birth date, a birth year or a national identity number, so the right person is found."))
    return parsed


class _Ambiguous(Exception):
    """Several registered people fit the details equally well."""


def _match(session: Session, vault: Vault, data: dict[str, Any], parsed) -> Person | None:
    """The registered person these details describe, or None; raises :class:`_Ambiguous`.

    The candidates are those core's person matching finds, as the paper form shows staff
    (:func:`~plugins.vip.services.applications.possible_duplicates`): the same national ID
    (``parsed``, the row's, parsed once when it was checked), or the same name and birth
    year. A namesake fits when nothing known contradicts the row: not another national ID,
    not another birth date when both are known to the day. So someone the paper form
    registered with only a birth year is found by their birth date.
    """
    birth_date = data.get("birth_date") or (parsed.birth_date if parsed is not None else None)
    candidate = {"first_name": data.get("first_name"), "last_name": data.get("last_name"),
                 "birth_date": birth_date, "birth_year": data.get("birth_year")}
    found = find_matches(session, MatchProfile.of_candidate(vault, candidate, national_id=parsed))
    same_number = [d.person for d in found if "national_id" in d.reasons]
    if same_number:
        return same_number[0]
    fits = [d.person for d in found if "name+birth_year" in d.reasons
            and not (parsed is not None and d.person.national_id_index is not None)  # another number: someone else
            and not (birth_date and d.person.birth_date and d.person.birth_date != birth_date)]
    exact = [p for p in fits if birth_date and p.birth_date == birth_date]
    fits = exact or fits
    if len(fits) > 1:
        raise _Ambiguous
    return fits[0] if fits else None


def _person_data(data: dict[str, Any], parsed) -> dict[str, Any]:
    person = {k: data[k].strip() for k in ("first_name", "last_name")}
    for key in ("birth_date", "birth_year"):
        if data.get(key) is not None:
            person[key] = data[key]
    if parsed is not None:
        person.update(national_id=parsed.value, national_id_country=parsed.country)
    return person


def _clean_text(value: Any) -> str | None:
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _apply(outreach: Outreach, values: dict[str, Any]) -> list[str]:
    changed = [key for key, value in values.items() if getattr(outreach, key) != value]
    for key in changed:
        setattr(outreach, key, values[key])
    return changed


# --- Single entry --------------------------------------------------------------------------


def record(session: Session, vault: Vault, data: dict[str, Any], *, country: str | None = None,
           today: date | None = None) -> Recorded:
    """Record outreach for one person: a registered one (``person_id``) or one given by
    ``first_name``, ``last_name`` and ``birth_date``, ``birth_year`` or ``national_id``
    (matched to the register first, created through core only when no one matches).

    ``service``, ``informed_on``, ``offered_on`` and ``note`` are set where given; when the
    person already has a row it is updated (given values replace, absent ones stay).
    Raises :class:`OutreachError` with a field map; audited.
    """
    today = today or date.today()
    country = country or current_tenant(session).country
    errors: dict[str, list[str]] = {}
    given_person = [k for k in PERSON_KEYS if k != "national_id_country" and not _blank(data.get(k))]
    person = parsed = None
    if data.get("person_id") is not None:
        if given_person:
            errors.setdefault("person_id", []).append(
                _("Choose a registered person or give a new person's details, not both."))
        else:
            person = get_person(session, data["person_id"])
            if person is None:
                errors.setdefault("person_id", []).append(_("There is no such person."))
    else:
        parsed = _check_new_person(errors, data, country, today)
    _check_lengths(errors, data, ("service", "note"))
    if person is None and not errors:
        try:
            person = _match(session, vault, data, parsed)
        except _Ambiguous:
            errors.setdefault("_schema", []).append(
                _("Several registered people fit these details. Choose the person from the list instead."))
    existing = for_person(session, person.id) if person is not None else None
    values = {key: _clean_text(data.get(key)) for key in ("service", "note") if not _blank(data.get(key))}
    informed = data.get("informed_on") or (existing.informed_on if existing else None)
    offered = data.get("offered_on") or (existing.offered_on if existing else None)
    informed, offered = _settle_dates(errors, informed, offered, today)
    if errors:
        raise OutreachError(errors)
    values.update(informed_on=informed, offered_on=offered)
    person_created = person is None
    with conflict_on_integrity_error(_("Someone recorded this person at the same moment. Try again."),
                                     OutreachConflict):
        if person is None:
            try:
                person = create_person(session, vault, _person_data(data, parsed), country=country)
            except PersonError as exc:
                raise OutreachError(exc.errors) from None
        created = existing is None
        outreach = existing or Outreach(person_id=person.id)
        if created:
            session.add(outreach)
        changed = _apply(outreach, values)
        session.flush()
    outreach.person = person
    record_audit(session, "vip.outreach.create" if created else "vip.outreach.update", object_type="vip_outreach",
                 object_id=outreach.id, detail={"fields": sorted(changed), "person_created": person_created})
    return Recorded(outreach, created, person_created)


def update(session: Session, outreach: Outreach, data: dict[str, Any], *, today: date | None = None) -> Outreach:
    """Change the given fields of a row (a key present with None clears it); audited.

    An offer still counts as information: clearing ``informed_on`` while an offer is on file
    gives it the offer's date.
    """
    today = today or date.today()
    errors: dict[str, list[str]] = {}
    _check_lengths(errors, data, ("service", "note"))
    informed = data["informed_on"] if "informed_on" in data else outreach.informed_on
    offered = data["offered_on"] if "offered_on" in data else outreach.offered_on
    informed, offered = _settle_dates(errors, informed, offered, today)
    if errors:
        raise OutreachError(errors)
    values = {key: _clean_text(data[key]) for key in ("service", "note") if key in data}
    values.update(informed_on=informed, offered_on=offered)
    changed = _apply(outreach, values)
    session.flush()
    record_audit(session, "vip.outreach.update", object_type="vip_outreach", object_id=outreach.id,
                 detail={"fields": sorted(changed), "person_created": False})
    return outreach


# --- CSV import ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One problem of an import file: ``row`` as a spreadsheet numbers it (the column
    names are row 1; 0 is the file as a whole), ``column`` the column's name (None for the
    whole row or file)."""

    row: int
    column: str | None
    message: str


@dataclass
class ImportReport:
    """What an import did, or why it did nothing: with ``errors``, nothing was imported."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    people_created: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class ImportFileError(FieldError):
    """The upload cannot be read as a text file at all (too large, not UTF-8): the file as a
    whole (row 0) in ``rows``, as every problem of an import, and under ``file``."""

    def __init__(self, message: str) -> None:
        super().__init__({"rows": [{"row": 0, "column": None, "message": message}], "file": [message]})
        self.args = (message,)


class ImportRefused(FieldError):
    """The file has problems and nothing was imported: every problem in ``rows`` (a 422)."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__({"rows": [asdict(error) for error in report.errors]})
        self.report = report


def decode(data: bytes) -> str:
    """An uploaded file's bytes as text: UTF-8, with or without Excel's byte order mark."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(_("The file is too large. It may be at most %(mb)s MB. Split it into smaller files.",
                                mb=MAX_IMPORT_BYTES // (1024 * 1024)))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(_("The file is not UTF-8 text. In Excel, save it as \"CSV UTF-8\".")) from None


def template_csv() -> str:
    """An import file with the column names and one example row, as Excel reads it."""
    example = ["Sara", "Lind", "1990-04-12", "", "Daglig verksamhet Norr", "2025-01-20", "2025-02-03", ""]
    out = io.StringIO()
    out.write("\ufeff")
    csv_writer(out, delimiter=";", lineterminator="\r\n").writerows([COLUMNS, example])
    return out.getvalue()


def _column_name(raw: str) -> str:
    return re.sub(r"[\s\-]+", "_", raw.strip().lower())


def _read_date(errors: list, row: int, column: str, raw: str) -> date | None:
    if not raw:
        return None
    if _ISO_DATE.fullmatch(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    errors.append(RowError(row, column, _("Write the date as YYYY-MM-DD, for example 2025-03-15.")))
    return None


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    parsed: Any = None
    person: Person | None = None
    data: dict[str, Any] = field(default_factory=dict)


def _read_rows(text: str, report: ImportReport) -> list[_Row]:
    """The data rows of the file with their row numbers; header problems go to ``report``."""
    if len(text) > MAX_IMPORT_BYTES:
        report.errors.append(RowError(0, None, _(
            "The file is too large. It may be at most %(mb)s MB. Split it into smaller files.",
            mb=MAX_IMPORT_BYTES // (1024 * 1024))))
        return []
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text or not _encodable(text):
        report.errors.append(RowError(0, None, _("The file holds characters that cannot be stored. "
                                                 "Save it again as \"CSV UTF-8\".")))
        return []
    first_line = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[str]]] = []
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            if not any(cell.strip() for cell in cells):
                continue  # a blank line, or the empty row ";;;;" Excel writes
            records.append((start, cells))
            if len(records) > MAX_IMPORT_ROWS + 1:
                report.errors.append(RowError(0, None, _(
                    "The file has more than %(n)s rows. Split it into smaller files.", n=MAX_IMPORT_ROWS)))
                return []
    except csv.Error:
        report.errors.append(RowError(reader.line_num, None, _(
            "This row cannot be read. Check the quotation marks, or save the file again as \"CSV UTF-8\".")))
        return []
    if not records:
        report.errors.append(RowError(0, None, _("The file is empty. The first row must hold the column names.")))
        return []
    header_row, header = records[0]
    names = [_column_name(cell) for cell in header]
    known = [name for name in names if name in COLUMNS]
    if not known:
        report.errors.append(RowError(header_row, None, _(
            "The first row must hold the column names: %(names)s.", names=", ".join(COLUMNS))))
        return []
    for position, (raw, name) in enumerate(zip(header, names), start=1):
        if name and name not in COLUMNS:
            if any(ch.isdigit() for ch in raw):  # it may be data (a national ID): never echoed
                message = _("Column %(n)s has a name the import does not know. Use only: %(names)s.",
                            n=position, names=", ".join(COLUMNS))
            else:
                message = _("Column %(n)s has the name \"%(name)s\", which the import does not know. "
                            "Use only: %(names)s.", n=position, name=raw.strip()[:50], names=", ".join(COLUMNS))
            report.errors.append(RowError(header_row, None, message))
    for name in dict.fromkeys(known):
        if known.count(name) > 1:
            report.errors.append(RowError(header_row, name, _("This column is in the file twice.")))
    for name in REQUIRED_COLUMNS:
        if name not in known:
            report.errors.append(RowError(header_row, name, _("The file needs this column.")))
    if "birth_date" not in known and "national_id" not in known:
        report.errors.append(RowError(header_row, "birth_date", _(
            "The file needs a column birth_date or national_id, so the right person is found.")))
    if report.errors:
        return []
    rows = []
    for number, cells in records[1:]:
        values: dict[str, str] = {}
        stray = False
        for position, cell in enumerate(cells):
            name = names[position] if position < len(names) else ""
            if name:
                values[name] = cell.strip()
            elif cell.strip():
                stray = True
        if stray:
            report.errors.append(RowError(number, None, _("This row has a value in a column without a name.")))
        rows.append(_Row(number, values))
    return rows


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_row(row: _Row, errors: list[RowError], country: str, today: date) -> None:
    """Field checks of one row, into ``row.data``; its problems go to ``errors``."""
    values, number = row.values, row.number
    found: list[RowError] = []
    data: dict[str, Any] = {key: values.get(key, "") for key in ("first_name", "last_name", "national_id")}
    data["birth_date"] = _read_date(found, number, "birth_date", values.get("birth_date", ""))
    dates = {key: _read_date(found, number, key, values.get(key, "")) for key in ("informed_on", "offered_on")}
    fields_errors: dict[str, list[str]] = {}
    row.parsed = _check_new_person(fields_errors, data, country, today)
    if any(e.column == "birth_date" for e in found):
        fields_errors.pop("birth_date", None)  # unreadable, not missing: the format message says what to do
    for key in ("service", "note"):
        if values.get(key):
            data[key] = values[key]
    _check_lengths(fields_errors, data, ("service", "note"))
    for column, messages in fields_errors.items():
        for message in messages:
            found.append(RowError(number, column, message))
    date_errors: dict[str, list[str]] = {}
    _check_date(date_errors, "informed_on", dates["informed_on"], today)
    _check_date(date_errors, "offered_on", dates["offered_on"], today)
    for column, messages in date_errors.items():
        found.extend(RowError(number, column, message) for message in messages)
    data.update(dates)
    row.data = data
    errors.extend(found)


def import_csv(session: Session, vault: Vault, text: str, *, country: str, today: date | None = None) -> ImportReport:
    """Import outreach from a CSV file: all rows or none.

    The first row names the columns, in any order: ``first_name``, ``last_name`` (needed),
    ``birth_date`` (YYYY-MM-DD) and/or ``national_id`` (at least one of the two columns;
    each row needs one of them filled), ``service``, ``informed_on``, ``offered_on``
    (YYYY-MM-DD) and ``note``. Names are matched without regard to case, spaces or hyphens.
    Columns are separated by ``;`` (as Excel writes CSV in the Nordic countries) or ``,``;
    Excel's UTF-8 byte order mark is allowed; empty rows are skipped. At most
    :data:`MAX_IMPORT_ROWS` rows. National IDs are read as numbers of ``country``.

    Each row is one person, matched to the register like :func:`record` does or created.
    A person with a row already has it updated: a filled cell replaces the value on file, an
    empty cell keeps it. The same person twice in one file is an error.

    Every row is checked before anything is written. With any error the report lists every
    problem (row as the spreadsheet numbers it, column, message; never a national ID) and
    nothing is written: no person created, no row changed. Otherwise all rows are written
    in one savepoint and the report counts them; the caller commits.
    """
    today = today or date.today()
    report = ImportReport()
    rows = _read_rows(text, report)
    if not rows:
        return report
    report.rows = len(rows)
    errors = report.errors
    for row in rows:
        _check_row(row, errors, country, today)
    failed = {e.row for e in errors}
    seen: dict[Any, int] = {}
    for row in rows:
        if row.number in failed:
            continue
        try:
            row.person = _match(session, vault, row.data, row.parsed)
        except _Ambiguous:
            errors.append(RowError(row.number, None, _(
                "Several registered people fit these details. Record this person on the outreach page instead.")))
            continue
        birth = row.data.get("birth_date") or (row.parsed.birth_date if row.parsed is not None else None)
        keys = [("name", row.data["first_name"].strip().casefold(), row.data["last_name"].strip().casefold(), birth)]
        if row.parsed is not None:
            keys.append(("id", row.parsed.country, row.parsed.value))
        if row.person is not None:
            keys.append(("person", row.person.id))
        earlier = next((seen[key] for key in keys if key in seen), None)
        if earlier is not None:
            errors.append(RowError(row.number, None, _("The same person is on row %(row)s.", row=earlier)))
            continue
        for key in keys:
            seen[key] = row.number
    person_ids = [row.person.id for row in rows if row.person is not None]
    existing: dict[int, Outreach] = {}
    for start in range(0, len(person_ids), 500):
        chunk = person_ids[start:start + 500]
        existing.update((o.person_id, o) for o in session.scalars(select(Outreach).where(Outreach.person_id.in_(chunk))))
    failed = {e.row for e in errors}
    for row in rows:
        if row.number in failed:
            continue
        current = existing.get(row.person.id) if row.person is not None else None
        date_errors: dict[str, list[str]] = {}
        informed = row.data["informed_on"] or (current.informed_on if current else None)
        offered = row.data["offered_on"] or (current.offered_on if current else None)
        row.data["informed_on"], row.data["offered_on"] = _settle_dates(date_errors, informed, offered, today)
        errors.extend(RowError(row.number, column, message)
                      for column, messages in date_errors.items() for message in messages)
    if errors:
        order = {name: i for i, name in enumerate(COLUMNS)}
        errors.sort(key=lambda e: (e.row, -1 if e.column is None else order.get(e.column, len(order))))
        return report
    try:
        with session.begin_nested():
            for row in rows:
                _write_row(session, vault, row, existing.get(row.person.id) if row.person else None, country, report)
    except PersonError as exc:  # checked above; kept so a missed rule still imports nothing
        report.errors.append(RowError(getattr(exc, "row", 0), next(iter(exc.errors), None),
                                      " ".join(next(iter(exc.errors.values()), []))))
        report.created = report.updated = report.unchanged = report.people_created = 0
        return report
    record_audit(session, "vip.outreach.import", object_type="vip_outreach",
                 detail={"rows": report.rows, "created": report.created, "updated": report.updated,
                         "unchanged": report.unchanged, "people_created": report.people_created})
    return report


def import_file(session: Session, vault: Vault, data: bytes, *, country: str, today: date | None = None) -> ImportReport:
    """Import an uploaded CSV file (its bytes) as :func:`import_csv` does, all rows or none.

    Raises :class:`ImportFileError` when the file cannot be read as text,
    :class:`ImportRefused` with every problem when nothing was imported, and
    :class:`OutreachConflict` when someone changed the same records at the same moment.
    """
    text = decode(data)
    with conflict_on_integrity_error(_("Someone changed the same records at the same moment. "
                                       "Nothing was imported. Try again."),
                                     lambda message: OutreachConflict(message, "file")):
        report = import_csv(session, vault, text, country=country, today=today)
    if not report.ok:
        raise ImportRefused(report)
    return report


def _write_row(session: Session, vault: Vault, row: _Row, current: Outreach | None, country: str,
               report: ImportReport) -> None:
    person = row.person
    person_created = person is None
    if person is None:
        try:
            person = create_person(session, vault, _person_data(row.data, row.parsed), country=country)
        except PersonError as exc:
            exc.row = row.number
            raise
        report.people_created += 1
    values = {key: _clean_text(row.data[key]) for key in ("service", "note") if row.data.get(key)}
    values.update(informed_on=row.data["informed_on"], offered_on=row.data["offered_on"])
    outreach = current or Outreach(person_id=person.id)
    if current is None:
        session.add(outreach)
    changed = _apply(outreach, values)
    if current is None:
        report.created += 1
    elif changed:
        report.updated += 1
    else:
        report.unchanged += 1
        return
    session.flush()
    record_audit(session, "vip.outreach.create" if current is None else "vip.outreach.update",
                 object_type="vip_outreach", object_id=outreach.id,
                 detail={"fields": sorted(changed), "person_created": person_created, "import": True})
