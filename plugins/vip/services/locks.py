"""Row locks of VIP's changes, always taken in one order: people, applications, groups, offers.

Core locks people (:func:`core.people.services.lock_people`, by id) before it erases or
anonymises one; every VIP change of who an application belongs to or where it stands
(merging, withdrawing, placing, answering an offer, anonymising) takes the same lock first,
then the applications (by id), then the groups (by id), then the offers (core's
``lock_offer``, which core's offer services take last). Operations that
start from a group (offering its free places, expiry, cancelling) take no person lock:
they lock the applications they change, then the group. So two transactions never wait
for each other in a circle, and each one reads, under its locks, what the other committed.

The one exception is offering a freed place to the next in line while the group is held:
it cannot wait for an application without breaking the order, so it passes over
applications locked at that moment (``SKIP LOCKED``): they are being changed (withdrawn,
merged, placed, erased) and the place goes to the next one. SQLite ignores row locks (a
writer holds the whole database).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.toolkit import N_, Person, lock_people
from plugins.vip.models import Application, Group

#: Said when what a request read changed before it got its locks.
CHANGED = N_("The application has changed meanwhile (withdrawn, merged or erased). "
             "Open it again to see where it stands.")


def applications(session: Session, *application_ids: int, skip_locked: bool = False) -> dict[int, Application]:
    """Lock the applications (by id) and read them afresh with their offers; gone ones (and
    with ``skip_locked`` those another transaction holds) are missing."""
    found = {}
    for application_id in sorted(set(application_ids)):
        application = session.scalar(
            select(Application).where(Application.id == application_id).with_for_update(skip_locked=skip_locked)
            .options(selectinload(Application.offers)).execution_options(populate_existing=True))
        if application is not None:
            found[application_id] = application
    return found


def groups(session: Session, *group_ids: int) -> dict[int, Group]:
    """Lock the groups (by id) and read them afresh; gone ones are missing."""
    found = {}
    for group_id in sorted(set(group_ids)):
        group = session.scalar(select(Group).where(Group.id == group_id).with_for_update()
                               .execution_options(populate_existing=True))
        if group is not None:
            found[group_id] = group
    return found


def people_and_applications(session: Session, *person_ids: int) -> tuple[dict[int, Person], list[Application]]:
    """Lock the people (core's lock), then every VIP application of theirs (by id). Under the
    people's lock no application can move to or from them, so the list is complete."""
    people = lock_people(session, *person_ids)
    ids = session.scalars(select(Application.id).where(Application.person_id.in_(list(people)))).all() \
        if people else []
    return people, sorted(applications(session, *ids).values(), key=lambda a: a.id)


def application_with_person(session: Session, application_id: int) -> Application | None:
    """Lock the application's person, then the application, and read both afresh. None when
    the application is gone, its person erased or anonymised, or it moved to another
    person meanwhile: the caller answers that it changed, never acts on a stale read."""
    person_id = session.scalar(select(Application.person_id).where(Application.id == application_id))
    if person_id is None:
        return None
    person = lock_people(session, person_id).get(person_id)
    if person is None or person.anonymised_at is not None:
        return None
    application = applications(session, application_id).get(application_id)
    if application is None or application.person_id != person_id:
        return None
    return application
