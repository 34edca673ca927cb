"""Core's demo records (people, consents, sessions), as an internal plugin: fictional people only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from core.hookspecs import hookimpl
from core.people import services as people
from core.people.models import Person
from core.sessions import services as sessions

#: Fictional names per country; no real person is meant.
DEMO_PEOPLE = {
    "SE": [("Alva", "Lindqvist", 1994, "kvinna"), ("Elias", "Bergström", 1988, "man"),
           ("Nour", "Haddad", 2001, "kvinna"), ("Oskar", "Nyberg", 1979, "man"),
           ("Saga", "Holm", 1999, None), ("Yusuf", "Abdi", 1992, "man")],
    "DK": [("Freja", "Madsen", 1985, "kvinde"), ("Mikkel", "Skov", 1990, "mand"),
           ("Ida", "Kjær", 1977, "kvinde"), ("Jonas", "Dahl", 1996, "mand")],
    "FI": [("Aino", "Virtanen", 2010, "tyttö"), ("Eetu", "Korhonen", 2009, "poika")],
}
DEMO_TENANTS = {"eskilstuna", "vejle", "huddinge", "turku"}


@hookimpl
def samverka_demo_data(session, tenant):
    if tenant.slug not in DEMO_TENANTS or session.scalar(select(Person.id).limit(1)) is not None:
        return
    vault = current_app.extensions["samverka"].vault
    created = []
    for first, last, year, gender in DEMO_PEOPLE.get(tenant.country, []):
        person = people.create_person(session, vault, {"first_name": first, "last_name": last, "birth_year": year,
                                                        "gender": gender, "preferred_language": tenant.default_language},
                                      country=tenant.country)
        people.add_consent(session, person, purpose="Demo: taking part and its follow-up", given_by="self",
                           given_on=date.today() - timedelta(days=30))
        created.append(person.id)
    monday = date.today() + timedelta(days=7 - date.today().weekday())
    for week in range(3):
        starts = datetime.combine(monday + timedelta(weeks=week), time(13, 0), tzinfo=timezone.utc)
        sessions.create_session(session, {"plugin": "core", "kind": "meeting", "title": f"Group meeting {week + 1}",
                                          "starts_at": starts, "ends_at": starts + timedelta(hours=2),
                                          "location": "Träffpunkten"}, participant_ids=created[:4])
