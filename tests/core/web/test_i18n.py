"""Translations: complete catalogs, compiled and extracted up to date, and rendered pages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from core.people.models import ConsentGiver
from core.sessions.models import AttendanceStatus
from core.tenants.models import TenantKind
from core.web.strings import LABELS, NAVIGATION, label
from core.testing.app import login
from core.testing.plugin_tests import configured

ROOT = Path(__file__).resolve().parents[3]
LANGUAGES = ("sv", "da", "fi")
COMMENT_TAGS = ("TRANSLATORS:",)


@dataclass(frozen=True)
class Catalogs:
    """One set of catalogs: core's, or an in-repo plugin's own (PluginInfo.translations)."""

    sources: str  # the folder pybabel extracts from, relative to the repository root
    mapping: str  # its babel.cfg, relative to the repository root

    @property
    def folder(self) -> Path:
        return ROOT / self.sources / ("core/translations" if self.sources == "." else "translations")

    @property
    def relative(self) -> str:
        return str(self.folder.relative_to(ROOT))

    # The commands of docs/operations.md, "Translations"; the tests below name them when they fail.
    @property
    def extract(self) -> str:
        return (f"pybabel extract -F {self.mapping} -c TRANSLATORS: --project=Samverka --version=0.1.0 "
                f'--copyright-holder="Samverka contributors" -o {self.relative}/messages.pot {self.sources}')

    @property
    def update(self) -> str:
        return f"pybabel update -i {self.relative}/messages.pot -d {self.relative}"

    @property
    def compile(self) -> str:
        return f"pybabel compile -d {self.relative} --statistics"


#: Core's catalogs and each in-repo plugin's (its PluginTests.catalogs).
CATALOGS = {"core": Catalogs(".", "babel.cfg"),
            **{tests.key: Catalogs(*tests.catalogs) for tests in configured() if tests.catalogs}}
catalogs = pytest.mark.parametrize("catalogs", list(CATALOGS.values()), ids=list(CATALOGS))
CORE = CATALOGS["core"]


def _po(language: str, catalogs: Catalogs = CORE) -> Catalog:
    with open(catalogs.folder / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def _pot(catalogs: Catalogs = CORE) -> Catalog:
    with open(catalogs.folder / "messages.pot", "rb") as f:
        return read_po(f)


def _keys(catalog: Catalog) -> set:
    return {(m.id, m.context) for m in catalog if m.id}


def _messages(catalog: Catalog) -> dict:
    """msgid -> translation, plural forms as tuples (read_mo gives lists)."""
    def tupled(value):
        return tuple(value) if isinstance(value, (list, tuple)) else value

    return {(tupled(m.id), m.context): tupled(m.string) for m in catalog if m.id}


def _extract(catalogs: Catalogs) -> Catalog:
    """What ``pybabel extract`` finds in the sources now, run in-process with their babel.cfg."""
    with open(ROOT / catalogs.mapping, encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename=catalogs.mapping)
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT / catalogs.sources), method_map, options_map, comment_tags=COMMENT_TAGS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _show(keys) -> str:
    return "\n".join(f"  {msgid!r}" + (f" (context {context!r})" if context else "")
                     for msgid, context in sorted(keys, key=str))


@catalogs
def test_the_template_is_up_to_date_with_the_sources(catalogs):
    found, pot = _keys(_extract(catalogs)), _keys(_pot(catalogs))
    new, gone = found - pot, pot - found
    assert not new and not gone, (
        f"{catalogs.relative}/messages.pot is out of date with the sources.\n"
        + (f"Strings in the code that are not in the catalogs:\n{_show(new)}\n" if new else "")
        + (f"Strings in the catalogs that the code no longer uses:\n{_show(gone)}\n" if gone else "")
        + f"From the repository root run:\n  {catalogs.extract}\n  {catalogs.update}\n"
        f"then translate every new or fuzzy entry in {catalogs.relative}/{{sv,da,fi}}/LC_MESSAGES/messages.po"
        f" and run:\n  {catalogs.compile}"
    )


@catalogs
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(catalogs, language):
    catalog, pot = _po(language, catalogs), _pot(catalogs)
    assert catalog.num_plurals == 2 and not catalog.fuzzy
    assert _keys(catalog) == _keys(pot), f"{language}: the .po is not updated from the .pot; run:\n  {catalogs.update}"
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"{message.id!r} is fuzzy")
        elif len(strings) != (catalog.num_plurals if message.pluralizable else 1) or not all(strings):
            problems.append(f"{message.id!r} has no translation")
        elif any("%" in re.sub(r"%\(\w+\)s", "", s) for s in strings):
            problems.append(f"{message.id!r}: a '%' other than %(name)s breaks the template's formatting")
    problems += [f"{message.id!r}: {'; '.join(map(str, errors))}" for message, errors in catalog.check()]
    assert not problems, (
        f"{catalogs.relative}/{language}/LC_MESSAGES/messages.po:\n  " + "\n  ".join(problems)
        + f"\nTranslate them, then run:\n  {catalogs.compile}"
    )


@catalogs
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_up_to_date(catalogs, language):
    po = _po(language, catalogs)
    expected = BytesIO()
    write_mo(expected, po)
    expected.seek(0)
    with open(catalogs.folder / language / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = read_mo(f)
    want, have = _messages(read_mo(expected)), _messages(compiled)
    assert have == want and compiled.plural_forms == po.plural_forms, (
        f"{catalogs.relative}/{language}/LC_MESSAGES/messages.mo differs from its .po; run:\n  {catalogs.compile}"
    )


def test_every_plugin_of_this_repository_with_translations_has_its_catalogs_checked(app):
    """A plugin shipping catalogs from this repository names them in its PluginTests.catalogs."""
    shipped = {key for key, loaded in app.extensions["samverka"].registry.plugins.items()
               if loaded.info.translations and Path(loaded.info.translations).resolve().is_relative_to(ROOT)}
    checked = {key: catalogs.folder for key, catalogs in CATALOGS.items() if key != "core"}
    assert shipped <= set(checked), f"plugins whose catalogs no test checks: {sorted(shipped - set(checked))}"
    for key in shipped:
        assert Path(app.extensions["samverka"].registry.plugins[key].info.translations).resolve() == checked[key]


def test_core_navigation_labels_and_enum_values_are_in_the_catalogs(app):
    msgids = {msgid for msgid, _context in _keys(_pot())}
    assert set(NAVIGATION) <= msgids
    hook = app.extensions["samverka"].registry.hook.samverka_navigation
    core_labels = {item.label for impl in hook.get_hookimpls() if impl.plugin_name.startswith("core.")
                   for item in impl.function(tenant=None) or ()}
    assert core_labels <= set(NAVIGATION), (
        f"NavItem labels missing from core/web/strings.py NAVIGATION: {sorted(core_labels - set(NAVIGATION))}"
    )
    for enum in (TenantKind, AttendanceStatus, ConsentGiver):
        assert set(LABELS[enum]) == set(enum), f"core/web/strings.py LABELS[{enum.__name__}] misses a member"
        assert set(LABELS[enum].values()) <= msgids


def test_a_plugin_enum_must_label_every_member():
    from enum import Enum

    from core.web.strings import register_labels

    class Colour(str, Enum):
        red = "red"
        blue = "blue"

    with pytest.raises(ValueError, match="blue"):
        register_labels(Colour, {Colour.red: "Red"})


def test_times_on_a_tenants_pages_are_in_its_clock(app, make_tenant):
    from flask import g
    from flask_babel import format_datetime

    winter, summer = datetime(2026, 1, 15, 12, 0, tzinfo=timezone.utc), datetime(2026, 7, 15, 12, 0, tzinfo=timezone.utc)
    for country, local_winter, local_summer in (("SE", "13:00", "14:00"), ("FI", "14:00", "15:00"), ("NO", "13:00", "14:00")):
        tenant = make_tenant(country=country)
        with app.test_request_context():
            g.tenant = tenant
            assert format_datetime(winter, "HH:mm") == local_winter
            assert format_datetime(summer, "HH:mm") == local_summer
    with app.test_request_context():  # outside a tenant: the installation's clock (SAMVERKA_TIMEZONE)
        assert app.extensions["samverka"].settings.timezone == "Europe/Stockholm"
        assert format_datetime(winter, "HH:mm") == "13:00"


def test_enum_labels_follow_the_language(app):
    with app.test_request_context():
        assert label(AttendanceStatus.absent_with_notice) == "Absent with notice"
        assert label(ConsentGiver.legal_representative) == "legal representative"
        with force_locale("sv"):
            assert label(AttendanceStatus.absent_with_notice) == "Anmäld frånvaro"
            assert label(TenantKind.municipality) == "Kommun"
        with force_locale("da"):
            assert label(ConsentGiver.self) == "personen selv"
            assert label(TenantKind.municipality) == "Kommune"
        with force_locale("fi"):
            assert label(ConsentGiver.guardian) == "huoltaja"
            assert label(AttendanceStatus.present) == "Läsnä"


@pytest.mark.parametrize(("language", "log_in"), [("sv", "Logga in"), ("da", "Log ind"), ("fi", "Kirjaudu sisään"),
                                                  ("en", "Log in")])
def test_the_login_page_speaks_the_chosen_language(client, language, log_in):
    client.post("/language", data={"language": language, "next": "/login"})
    page = client.get("/login").text
    assert f'<html lang="{language}">' in page
    assert f"<h1>{log_in}</h1>" in page


@pytest.mark.parametrize(("language", "words"), [
    ("sv", ["Översikt", "Personer", "Träffar", "Kalenderflöden", "Tillägg", "Kommun", "Logga ut"]),
    ("da", ["Oversigt", "Personer", "Mødegange", "Kalenderfeeds", "Udvidelser", "Kommune", "Log ud"]),
    ("fi", ["Yleiskatsaus", "Henkilöt", "Tapaamiset", "Kalenterisyötteet", "Laajennukset", "Kunta",
            "Kirjaudu ulos"]),
    ("en", ["Overview", "People", "Sessions", "Calendar feeds", "Plugins", "Municipality", "Log out"]),
])
def test_a_tenant_page_shows_translated_navigation(client, make_tenant, make_user, language, words):
    tenant = make_tenant(languages=("sv", "da", "fi", "en"))
    login(client, make_user(("tenant_admin", tenant)))
    client.post("/language", data={"language": language, "next": "/"})
    page = client.get(f"/t/{tenant.slug}/").text
    nav = page[page.index("<nav"):page.index("</nav>")]
    for word in words[:5]:
        assert f">{word}</a>" in nav, (language, word)
    assert f"<dd>{words[5]}</dd>" in page and words[6] in page


def test_attendance_statuses_and_consent_givers_are_shown_translated(client, make_tenant, make_user, make_person):
    tenant = make_tenant(languages=("sv", "da", "fi", "en"))
    login(client, make_user(("tenant_admin", tenant)))
    person = make_person(tenant)
    # A session that has begun: every status can be recorded (#7 item 12).
    starts = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=3)
    created = client.post(f"/api/v1/t/{tenant.slug}/sessions", json={
        "title": "Group meeting", "plugin": "sample", "kind": "group_meeting", "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(), "participant_ids": [person.id]})
    assert created.status_code == 201, created.json
    given = client.post(f"/t/{tenant.slug}/people/{person.id}/consents",
                        data={"purpose": "Group activities", "given_by": "legal_representative",
                              "given_on": "2024-01-02"})
    assert given.status_code == 302

    client.post("/language", data={"language": "fi", "next": "/"})
    page = client.get(f"/t/{tenant.slug}/sessions/{created.json['id']}").text
    for word in ("Läsnä", "Ilmoitettu poissaolo", "Poissa", "Peruttu"):
        assert f">{word}</label>" in page, word

    client.post("/language", data={"language": "da", "next": "/"})
    page = client.get(f"/t/{tenant.slug}/people/{person.id}").text
    assert "<td>værge</td>" in page
    for word in ("personen selv", "forældremyndighedsindehaver", "værge"):
        assert f">{word}</option>" in page, word
