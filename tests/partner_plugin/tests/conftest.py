"""The partner plugin's fixtures. Samverka's own (app, client, make_tenant, make_user, ...) come
from core.testing, which ``pip install samverka[test]`` registers with pytest: no import needed."""

from __future__ import annotations

import pytest
from samverka_partner.models import PartnerNote

from core.testing import login


@pytest.fixture
def partner_tenant(make_tenant):
    """A municipality with the partner programme on."""
    return make_tenant(plugins={"partner": {}}, languages=("en", "sv"))


@pytest.fixture
def partner_staff(client, make_user, partner_tenant):
    """``client`` signed in as a user with the partner's staff role at ``partner_tenant``."""
    return login(client, make_user(("partner.staff", partner_tenant), name="Pia Partner"), language="en")


@pytest.fixture
def add_notes(db_session, in_tenant, make_person):
    """``add_notes(tenant, "First", "Second", person=...)``: notes about one person of ``tenant``
    (a new one unless given), written one after the other; returns the notes."""
    def add(tenant, *texts, person=None):
        person = person or make_person(tenant)
        notes = []
        with in_tenant(tenant):
            for text in texts:
                notes.append(PartnerNote(person_id=person.id, text=text))
                db_session.add(notes[-1])
                db_session.flush()
            db_session.commit()
        return notes

    return add
