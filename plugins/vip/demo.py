"""Demo records for VIP: a leader course, trained leaders, applicants on the waitlists, a
finished group, a running group and outreach. Fictional people only, made through the
plugin's own services so the demo obeys every rule the pages do."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from core.toolkit import current_roles, current_vault, current_zone, from_local, upsert_local_user, utcnow
from plugins.vip.models import Application, ApplicationStatus
from plugins.vip.schemas import VipStaffApplicationInSchema
from plugins.vip.services import applications, groups, meetings, offers, outreach, training, waitlist
from plugins.vip.settings import current_settings

#: Staff who lead groups, by tenant: (name, work email).
LEADERS = {
    "eskilstuna": [("Linnea Ek", "linnea.ek@eskilstuna.example.org"),
                   ("Johan Sand", "johan.sand@eskilstuna.example.org"),
                   ("Maria Berg", "maria.berg@eskilstuna.example.org"),
                   ("Ahmed Yusuf", "ahmed.yusuf@eskilstuna.example.org")],
    "huddinge": [("Karin Holm", "karin.holm@huddinge.example.org"),
                 ("Peter Lund", "peter.lund@huddinge.example.org")],
}
#: Trainees from other organisations on Eskilstuna's leader courses.
OTHER_TRAINEES = [("Sara Nilsson", "sara.nilsson@vasteras.example.org", "Västerås stad", "Västerås")]

#: (first name, last name, birth year, audience, taken before, channel, days ago, contact)
APPLICANTS = {
    "eskilstuna": [
        # The finished group of women.
        ("Emma", "Lind", 1990, "women", False, "web", 300, None),
        ("Fatima", "Ali", 1995, "women", False, "paper", 295, None),
        ("Hanna", "Ström", 1988, "women", True, "web", 290, ("guardian", "Britt Ström")),
        ("Ingrid", "Malm", 1979, "women", False, "web", 288, None),
        ("Julia", "Sjö", 2000, "women", False, "paper", 280, ("contact_person", "Lena Roos")),
        ("Klara", "Vik", 1997, "women", False, "web", 275, None),
        # The running group of men.
        ("Adam", "Falk", 1993, "men", False, "web", 80, None),
        ("Benjamin", "Hed", 1986, "men", False, "paper", 75, ("legal_representative", "Gustav Hed")),
        ("Daniel", "Rask", 1999, "men", False, "web", 70, None),
        ("Erik", "Lööf", 1982, "men", True, "web", 66, None),
        ("Filip", "Norén", 2001, "men", False, "web", 60, None),
        # Waiting.
        ("Gustav", "Alm", 1991, "men", False, "web", 30, None),
        ("Hassan", "Omar", 1998, "men", True, "paper", 25, None),
        ("Lisa", "Hult", 1994, "women", False, "web", 21, None),
        ("Moa", "Dahl", 2002, "women", True, "web", 18, ("contact_person", "Eva Dahl")),
        ("Nadia", "Karim", 1996, "women", False, "paper", 12, None),
        ("Olivia", "Frid", 1985, "women", False, "web", 5, None),
    ],
    "huddinge": [
        ("Amira", "Said", 1997, "women", False, "web", 20, None),
        ("Tove", "Ring", 1990, "women", True, "web", 14, None),
        ("Oskar", "Bäck", 1989, "men", False, "paper", 9, None),
    ],
}
#: Users of the disability services told about VIP, beyond the applicants: (first, last, year, service).
SERVICE_USERS = [("Rut", "Ek", 1975, "Daglig verksamhet Kvarngärdet"), ("Sven", "Tall", 1983, "Gruppbostad Ekbacken"),
                 ("Alice", "Borg", 1999, "Daglig verksamhet Kvarngärdet"), ("Noah", "Fors", 2003, "Gruppbostad Ekbacken"),
                 ("Elin", "Storm", 1992, "Daglig verksamhet Fröslunda")]


def load(session, tenant) -> None:
    if tenant.slug not in APPLICANTS or session.scalar(select(Application.id).limit(1)) is not None:
        return
    roles = current_roles()
    leaders = [upsert_local_user(session, roles, email=email, name=name, password=None,
                                 grants=[("vip.leader", tenant)]) for name, email in LEADERS[tenant.slug]]
    if current_settings(session)["trains_leaders"]:
        _leader_courses(session)
    people = _applications(session, tenant)
    if tenant.slug == "eskilstuna":
        _finished_group(session, people["women"][:6], leaders[:2])
        _running_group(session, people["men"][:5], leaders[2:4])
        _waitlists(session, people)
        _outreach(session, tenant, people)


def _leader_courses(session) -> None:
    """Last year's course, completed (which puts its trainees in the national register), and
    next month's, with its trainees still to come."""
    today = date.today()
    done = training.create_course(session, {"name": "VIP-gruppledarutbildning", "location": "Eskilstuna",
                                            "starts_on": date(today.year - 1, 3, 4), "ends_on": date(today.year - 1, 3, 6)})
    everyone = [(name, email, "Eskilstuna kommun", "Eskilstuna") for name, email in LEADERS["eskilstuna"]]
    everyone += [(name, email, "Huddinge kommun", "Huddinge") for name, email in LEADERS["huddinge"]] + OTHER_TRAINEES
    for name, email, organisation, municipality in everyone:
        trainee = training.add_trainee(session, done, {"name": name, "email": email, "organisation": organisation,
                                                       "municipality": municipality})
        training.complete(session, trainee, done.ends_on)
    coming = training.create_course(session, {"name": "VIP-gruppledarutbildning", "location": "Eskilstuna",
                                              "starts_on": today + timedelta(days=30), "ends_on": today + timedelta(days=32)})
    training.add_trainee(session, coming, {"name": "Anna Vall", "email": "anna.vall@orebro.example.org",
                                           "organisation": "Örebro kommun", "municipality": "Örebro"})


def _applications(session, tenant) -> dict[str, list[Application]]:
    vault = current_vault()
    schema = VipStaffApplicationInSchema(audiences=current_settings(session)["audiences"])
    made: dict[str, list[Application]] = {"women": [], "men": []}
    now = utcnow()
    for first, last, year, audience, before, channel, days_ago, contact in APPLICANTS[tenant.slug]:
        raw = {"first_name": first, "last_name": last, "birth_year": year, "audience": audience,
               "taken_before": "yes" if before else "no", "consent": True, "consent_given_by": "self",
               "contact_via": "self", "phone": "070-123 45 67",
               "email": f"{first.lower()}.{last.lower()}@example.org".replace("ö", "o").replace("ä", "a")}
        if contact is not None:
            via, name = contact
            raw.update(contact_via=via, contact_name=name, contact_phone="070-765 43 21", email=None, phone=None,
                       consent_given_by="self" if via == "contact_person" else via)
        data = schema.load({k: v for k, v in raw.items() if v is not None})
        made[audience].append(applications.submit_application(
            session, vault, data, channel=channel, country=tenant.country,
            applied_at=now - timedelta(days=days_ago), language=tenant.default_language))
    return made


def _weekday_at(days_ago: int, hour: int, zone) -> datetime:
    """A Wednesday about ``days_ago`` days back (or ahead when negative), at ``hour`` local time."""
    day = date.today() - timedelta(days=days_ago)
    day -= timedelta(days=(day.weekday() - 2) % 7)
    return from_local(day, time(hour, 0), zone)


def _finished_group(session, women: list[Application], leaders) -> None:
    now = utcnow()
    group = groups.form_group(session, name="Kvinnogruppen våren", audience="women", location="Träffpunkten, rum 2",
                              leader_ids=[u.id for u in leaders])
    for application in women:
        offers.place(session, application, group, now=now)
    course = meetings.generate_meetings(session, group, first_start=_weekday_at(200, 13, current_zone(session)))
    for meeting in course:
        # Klara missed four meetings: eight of twelve is short of completing the course.
        statuses = {a.person_id: "present" for a in women}
        if meeting.number in (3, 5, 8, 11):
            statuses[women[-1].person_id] = "absent_with_notice"
        if meeting.number == 7:
            statuses[women[1].person_id] = "absent"
        meetings.record(session, meeting, statuses)
    groups.advance_statuses(session, None, now)


def _running_group(session, men: list[Application], leaders) -> None:
    now = utcnow()
    group = groups.form_group(session, name="Mansgruppen hösten", audience="men", location="Träffpunkten, rum 1",
                              leader_ids=[u.id for u in leaders])
    for application in men:
        offers.place(session, application, group, now=now)
    course = meetings.generate_meetings(session, group, first_start=_weekday_at(30, 14, current_zone(session)))
    for meeting in course:
        if meeting.session.starts_at < now:
            statuses = {a.person_id: "present" for a in men}
            if meeting.number == 2:
                statuses[men[1].person_id] = "absent_with_notice"
            meetings.record(session, meeting, statuses)
    groups.advance_statuses(session, None, now)
    offers.offer_next(session, group, now=now)  # the sixth place goes to the next man in line


def _waitlists(session, people: dict[str, list[Application]]) -> None:
    waiting = [a for a in people["women"] if a.status == ApplicationStatus.waiting]
    waitlist.move(session, waiting[-1], 1, "Hennes gruppboende flyttar i vår; samordnaren kom överens med "
                                           "hennes kontaktperson om att hon går först.")


def _outreach(session, tenant, people: dict[str, list[Application]]) -> None:
    vault = current_vault()
    today = date.today()
    for n, application in enumerate(people["women"][:6] + people["men"][:5]):
        outreach.record(session, vault, {"person_id": application.person_id, "service": "Daglig verksamhet Kvarngärdet",
                                         "informed_on": today - timedelta(days=320 - n),
                                         "offered_on": today - timedelta(days=310 - n)}, country=tenant.country)
    for n, (first, last, year, service) in enumerate(SERVICE_USERS):
        data = {"first_name": first, "last_name": last, "birth_year": year, "service": service,
                "informed_on": today - timedelta(days=40 + n)}
        if n < 2:
            data["offered_on"] = today - timedelta(days=30 + n)
        outreach.record(session, vault, data, country=tenant.country)
