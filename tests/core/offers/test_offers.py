"""Core's offers with a deadline, on a tiny offer model of no plugin: the link's token, one answer, expiry, the page.

The model (a seat offered at a concert) lives in a metadata of its own, created as a temporary
table inside the test's transaction, so core's migrations and catalog tests never see it.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from jinja2 import ChoiceLoader, DictLoader
from sqlalchemy import MetaData, String, delete, inspect, select, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import CreateTable

from core.auth.models import User
from core.db import NAMING_CONVENTION, Base, TenantOwned, tenant_scope
from core.errors import NotFound
from core.offers.models import OfferMixin, OfferStatus
from core.offers.pages import AnswerPage, answer_page
from core.offers.services import (
    OfferAnswered,
    OfferConflict,
    OfferExpired,
    answer_offer,
    expire_offers,
    issue_offer,
    offer_for_token,
    withdraw_offer,
)
from core.tenants.models import Tenant

NOW = datetime(2031, 5, 1, 9, 0, tzinfo=timezone.utc)


class _TestBase(Base):
    __abstract__ = True
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# What the mixins' foreign keys point at, so the columns get their types (never created here).
for _table in (Tenant.__table__, User.__table__):
    _table.to_metadata(_TestBase.metadata)


class SeatOffer(OfferMixin, TenantOwned, _TestBase):
    """A seat at a concert offered to a guest: all a plugin adds to core's offer columns."""

    __tablename__ = "test_seat_offer"
    __table_args__ = {"prefixes": ["TEMPORARY"]}

    id: Mapped[int] = mapped_column(primary_key=True)
    guest: Mapped[str] = mapped_column(String(40))
    seat: Mapped[str] = mapped_column(String(10))


@pytest.fixture
def seats(db_session):
    """The model's table for this test only (no foreign keys: a temporary table may not have them),
    made in the test's outer transaction, so the sessions' savepoints keep it until the end."""
    db_session.get_bind().execute(CreateTable(SeatOffer.__table__, include_foreign_key_constraints=[]))
    return SeatOffer


@pytest.fixture
def tenant(make_tenant):
    return make_tenant()


def _offer(db_session, guest="Anna", seat="A1", now=NOW, days=14) -> tuple[SeatOffer, str]:
    offer = SeatOffer(guest=guest, seat=seat)
    return offer, issue_offer(db_session, offer, now=now, days=days)


def test_an_offer_gets_its_deadline_and_a_token_of_which_only_the_digest_is_stored(db_session, seats, tenant):
    with tenant_scope(tenant.id):
        offer, token = _offer(db_session, days=14)
        stored = db_session.execute(text("SELECT * FROM test_seat_offer")).one()._asdict()  # every column, as stored
    assert (offer.status, offer.offered_at, offer.expires_at) == (OfferStatus.open, NOW, NOW + timedelta(days=14))
    assert offer.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 40 and not any(token in str(value) for value in stored.values())
    assert stored["tenant_id"] == tenant.id and stored["status"] == "open"


def test_the_token_finds_its_offer_in_its_tenant_only(db_session, seats, make_tenant, tenant):
    with tenant_scope(tenant.id):
        offer, token = _offer(db_session)
        assert offer_for_token(db_session, SeatOffer, token) is offer
        for wrong in (None, "", "not-a-token", token + "x", "x" * 201):
            assert offer_for_token(db_session, SeatOffer, wrong) is None
    with tenant_scope(make_tenant().id):
        assert offer_for_token(db_session, SeatOffer, token) is None


def test_an_offer_is_answered_once(db_session, seats, tenant, make_user):
    staff = make_user()
    with tenant_scope(tenant.id):
        offer, _token = _offer(db_session)
        answered = answer_offer(db_session, offer, True, now=NOW + timedelta(days=1), via_link=True)
        assert answered is offer
        assert (offer.status, offer.answered_at, offer.answered_via_link, offer.answered_by) == (
            OfferStatus.accepted, NOW + timedelta(days=1), True, None)
        for accept in (True, False):
            with pytest.raises(OfferAnswered, match="answered already"):
                answer_offer(db_session, offer, accept, now=NOW + timedelta(days=2), by_user=staff)
        assert (offer.status, offer.answered_at, offer.answered_by) == (OfferStatus.accepted, NOW + timedelta(days=1), None)

        declined, _token = _offer(db_session, guest="Bodil", seat="A2")
        answer_offer(db_session, declined, False, now=NOW, by_user=staff)
        assert (declined.status, declined.answered_by, declined.answered_via_link) == (OfferStatus.declined, staff.id, False)


def test_an_answer_after_the_deadline_or_to_a_withdrawn_offer_is_refused(db_session, seats, tenant):
    with tenant_scope(tenant.id):
        late, _token = _offer(db_session, days=3)
        with pytest.raises(OfferExpired, match="time to answer"):
            answer_offer(db_session, late, True, now=NOW + timedelta(days=3))  # the deadline itself is too late
        assert late.status == OfferStatus.open and late.answered_at is None
        withdrawn, _token = _offer(db_session, guest="Bodil", seat="A2")
        withdraw_offer(withdrawn, now=NOW)
        with pytest.raises(OfferAnswered):
            answer_offer(db_session, withdrawn, True, now=NOW)
    assert issubclass(OfferExpired, OfferConflict) and OfferExpired.kind == "expired" and OfferAnswered.kind == "answered"


def test_an_offer_deleted_meanwhile_is_not_found(db_session, seats, tenant):
    with tenant_scope(tenant.id):
        offer, _token = _offer(db_session)
        db_session.execute(delete(SeatOffer).where(SeatOffer.id == offer.id))
        with pytest.raises(NotFound):
            answer_offer(db_session, offer, True, now=NOW)


def test_expiry_expires_what_is_due_once_and_passes_each_place_on(db_session, seats, tenant):
    with tenant_scope(tenant.id):
        first, _token = _offer(db_session, guest="Anna", seat="A1", days=3)
        second, _token = _offer(db_session, guest="Bodil", seat="A2", days=1)
        later, _token = _offer(db_session, guest="Cissi", seat="A3", days=10)
        answered, _token = _offer(db_session, guest="Dora", seat="A4", days=1)
        answer_offer(db_session, answered, True, now=NOW)
        locked_first, passed_on = [], []

        def on_expired(offer: SeatOffer) -> None:  # the plugin's rule: the seat goes to the next guest
            passed_on.append(offer.seat)
            issue_offer(db_session, SeatOffer(guest="Next", seat=offer.seat), now=NOW + timedelta(days=3), days=3)

        expired = expire_offers(db_session, SeatOffer, NOW + timedelta(days=3), on_expired,
                                lock_first=lambda due: locked_first.append([o.seat for o in due]))
        assert [o.id for o in expired] == [second.id, first.id]  # by deadline, then id
        assert (first.status, second.status, later.status, answered.status) == (
            OfferStatus.expired, OfferStatus.expired, OfferStatus.open, OfferStatus.accepted)
        assert locked_first == [["A2", "A1"]] and passed_on == ["A2", "A1"]
        assert expire_offers(db_session, SeatOffer, NOW + timedelta(days=3), on_expired) == []  # idempotent
        nexts = db_session.scalars(select(SeatOffer).where(SeatOffer.guest == "Next")).all()
        assert sorted(o.seat for o in nexts) == ["A1", "A2"] and {o.status for o in nexts} == {OfferStatus.open}
        with pytest.raises(OfferExpired):
            answer_offer(db_session, first, True, now=NOW)  # expired by the job: too late whatever the clock


def test_nothing_due_locks_nothing(db_session, seats, tenant):
    with tenant_scope(tenant.id):
        _offer(db_session, days=3)
        called = []
        assert expire_offers(db_session, SeatOffer, NOW, called.append, lock_first=called.append) == []
    assert called == []


# -- the public answer page ------------------------------------------------------------------------------

#: A plugin's wording of the page, extending core's templates.
TEMPLATES = {
    "seats/ask.html": """{% extends "offers/answer.html" %}
{% block title %}A seat{% endblock %}
{% block greeting %}Hello {{ guest }}!{% endblock %}
{% block offer %}<p>Seat {{ seat }}</p>{% endblock %}
{% block question %}Do you want the seat?{% endblock %}
{% block yes %}Yes please{% endblock %}{% block no %}No thanks{% endblock %}""",
    "seats/answered.html": """{% extends "offers/answered.html" %}
{% block heading %}Thanks, {{ guest }}{% endblock %}
{% block said %}{{ "You said yes" if accepted else "You said no" }}{% endblock %}""",
    "seats/gone.html": "gone:{{ kind }}",
}


class SeatTaken(OfferConflict):
    kind = "taken"


@pytest.fixture
def page(app, monkeypatch, seats):
    """The page as a plugin declares it; its answer service refuses seat Z9 as taken."""
    monkeypatch.setattr(app.jinja_env, "loader", ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader]))

    def answer(session, offer, accept, now):
        if offer.seat == "Z9":
            raise SeatTaken("taken")
        return answer_offer(session, offer, accept, now=now, via_link=True)

    return AnswerPage(find=lambda session, token: offer_for_token(session, SeatOffer, token), answer=answer,
                      context=lambda offer, now: {"guest": offer.guest, "seat": offer.seat},
                      ask="seats/ask.html", answered="seats/answered.html", gone="seats/gone.html")


@contextmanager
def visit(app, tenant, method="GET", answer=None):
    data = {"answer": answer} if answer is not None else None
    with app.test_request_context(method=method, data=data), tenant_scope(tenant.id):
        yield


def _call(app, tenant, page, token, method="GET", answer=None):
    with visit(app, tenant, method, answer):
        result = answer_page(page, token)
    body, status = result if isinstance(result, tuple) else (result, 200)
    return status, body


def _open(app, db_session, tenant, seat="B2", days=14):
    with app.test_request_context(), tenant_scope(tenant.id):
        offer, token = _offer(db_session, seat=seat, now=datetime.now(timezone.utc), days=days)
        db_session.commit()
    return offer, token


def _status(db_session, tenant, offer):
    with tenant_scope(tenant.id):
        return db_session.scalar(select(SeatOffer.status).where(SeatOffer.id == offer.id))


def test_the_page_asks_in_an_accessible_form_and_a_yes_is_recorded_once(app, db_session, tenant, page):
    offer, token = _open(app, db_session, tenant)
    status, html = _call(app, tenant, page, token)
    assert status == 200 and "Hello Anna!" in html and "Seat B2" in html
    assert '<fieldset>' in html and "<legend>Do you want the seat?</legend>" in html
    assert 'name="answer" value="yes">Yes please</button>' in html and 'value="no" class="secondary">No thanks' in html
    assert 'name="csrf_token"' in html

    status, html = _call(app, tenant, page, token, "POST", "maybe")
    assert status == 422 and 'role="alert"' in html and "Press Yes or No." in html
    assert _status(db_session, tenant, offer) == OfferStatus.open

    status, html = _call(app, tenant, page, token, "POST", "yes")
    assert status == 200 and "Thanks, Anna" in html and 'role="status"' in html and "You said yes" in html
    assert _status(db_session, tenant, offer) == OfferStatus.accepted
    assert _call(app, tenant, page, token, "POST", "no") == (409, "gone:accepted")
    assert _call(app, tenant, page, token) == (409, "gone:accepted")


def test_unknown_expired_and_refused_links_get_the_gone_page(app, db_session, tenant, make_tenant, page):
    assert _call(app, tenant, page, "no-such-token") == (404, "gone:unknown")
    offer, token = _open(app, db_session, tenant)
    assert _call(app, make_tenant(), page, token) == (404, "gone:unknown")  # another tenant's link

    late, late_token = _open(app, db_session, tenant, seat="C3", days=0)  # its deadline is now: over
    assert _call(app, tenant, page, late_token) == (410, "gone:expired")
    assert _call(app, tenant, page, late_token, "POST", "yes") == (410, "gone:expired")

    taken, taken_token = _open(app, db_session, tenant, seat="Z9")
    assert _call(app, tenant, page, taken_token, "POST", "yes") == (409, "gone:taken")  # the plugin's kind
    assert _status(db_session, tenant, taken) == OfferStatus.open  # rolled back, nothing changed

    with app.test_request_context(), tenant_scope(tenant.id):
        withdraw_offer(db_session.get(SeatOffer, offer.id), now=NOW)
        db_session.commit()
    assert _call(app, tenant, page, token) == (409, "gone:withdrawn")


def test_the_table_is_only_this_tests(db_session, seats):
    assert SeatOffer.__table__.metadata is not Base.metadata
    assert "test_seat_offer" not in Base.metadata.tables
    assert "test_seat_offer" not in inspect(db_session.connection()).get_table_names()  # temporary: no schema of ours
