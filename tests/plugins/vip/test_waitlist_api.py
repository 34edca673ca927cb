"""The waitlist, offer and placement endpoints: order, moves with reasons, offers, answers, 409 when full."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.db import tenant_scope
from core.toolkit import OfferStatus
from plugins.vip.models import Application, ApplicationStatus, Offer
from plugins.vip.services import offers
from core.testing.app import login
from tests.plugins.vip.test_waitlist import NOW, apply, audit_events, line, make_group, working_in


@pytest.fixture
def api(client, vip_tenant, coordinator):
    login(client, coordinator, language="en")
    return client, f"/api/v1/t/{vip_tenant.slug}/vip"


@pytest.fixture
def applicants(db_session, make_person, vip_tenant):
    """Three women: two first-timers by date, one who took the course before (and applied first).

    Only their ids are kept: a request that rolls back expires what the test session holds."""
    made = [apply(db_session, make_person, vip_tenant, first_name="Anna", last_name="Andersson", days=1),
            apply(db_session, make_person, vip_tenant, first_name="Bodil", last_name="Berg", days=2),
            apply(db_session, make_person, vip_tenant, first_name="Cissi", last_name="Carlsson", days=0,
                  taken_before=True)]
    return [SimpleNamespace(id=a.id) for a in made]


def status_of(db_session, tenant, application) -> ApplicationStatus:
    with tenant_scope(tenant.id):
        return db_session.scalars(select(Application.status).where(Application.id == application.id)).one()


def test_the_waitlist_is_ordered_with_positions(api, applicants, db_session, make_person, vip_tenant):
    client, base = api
    apply(db_session, make_person, vip_tenant, audience="men")
    body = client.get(f"{base}/waitlists/women").json
    assert body["total"] == 3
    assert [(e["position"], e["application_id"], e["name"], e["taken_before"], e["status"]) for e in body["items"]] == [
        (1, applicants[0].id, "Anna Andersson", False, "waiting"), (2, applicants[1].id, "Bodil Berg", False, "waiting"),
        (3, applicants[2].id, "Cissi Carlsson", True, "waiting")]
    second_page = client.get(f"{base}/waitlists/women?per_page=2&page=2").json
    assert [(e["position"], e["application_id"]) for e in second_page["items"]] == [(3, applicants[2].id)]


def test_the_waitlist_shows_the_open_offer(app, api, applicants, db_session, vip_tenant):
    client, base = api
    group = make_group(db_session, vip_tenant)
    with working_in(app, vip_tenant):
        offer = offers.make_offer(db_session, applicants[0], group, now=NOW)
        db_session.commit()
    first = client.get(f"{base}/waitlists/women").json["items"][0]
    assert first["status"] == "offered"
    assert (first["open_offer"]["id"], first["open_offer"]["group_id"], first["open_offer"]["status"]) == (
        offer.id, group.id, "open")
    assert "token" not in str(first) and "token_hash" not in first["open_offer"]


@pytest.mark.parametrize("audience", ["young_men", "nonsense"])
def test_a_waitlist_the_tenant_does_not_run_is_404(api, audience):
    client, base = api
    response = client.get(f"{base}/waitlists/{audience}")
    assert response.status_code == 404 and response.mimetype == "application/problem+json"


def test_a_move_through_the_api_is_logged_and_listed(api, applicants, db_session, vip_tenant, coordinator):
    client, base = api
    response = client.post(f"{base}/waitlists/women/moves",
                           json={"application_id": applicants[2].id, "to_position": 1, "reason": "Urgent"})
    assert response.status_code == 201
    assert {k: response.json[k] for k in ("application_id", "from_position", "to_position", "reason", "moved_by")} == {
        "application_id": applicants[2].id, "from_position": 3, "to_position": 1, "reason": "Urgent",
        "moved_by": coordinator.id}
    assert line(db_session, vip_tenant) == [applicants[2].id, applicants[0].id, applicants[1].id]
    moves = client.get(f"{base}/waitlists/women/moves").json
    assert moves["total"] == 1 and moves["items"][0]["id"] == response.json["id"]
    assert client.get(f"{base}/waitlists/men/moves").json["total"] == 0
    assert len(audit_events(db_session, vip_tenant, "vip.waitlist.move")) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"to_position": 1, "reason": "Urgent"}, "application_id"),
    ({"application_id": 0, "to_position": 1, "reason": "Urgent"}, "application_id"),
    ({"application_id": "CISSI", "to_position": 1}, "reason"),
    ({"application_id": "CISSI", "to_position": 1, "reason": "   "}, "reason"),
    ({"application_id": "CISSI", "to_position": 1, "reason": "x" * 501}, "reason"),
    ({"application_id": "CISSI", "to_position": 4, "reason": "Urgent"}, "to_position"),
    ({"application_id": "CISSI", "to_position": 3, "reason": "Urgent"}, "to_position"),
    ({"application_id": "CISSI", "to_position": "top", "reason": "Urgent"}, "to_position"),
])
def test_invalid_moves_are_422_with_the_field(api, applicants, db_session, vip_tenant, body, field):
    client, base = api
    body = {k: applicants[2].id if v == "CISSI" else v for k, v in body.items()}
    response = client.post(f"{base}/waitlists/women/moves", json=body)
    assert response.status_code == 422 and field in response.json["errors"], response.json
    assert line(db_session, vip_tenant) == [a.id for a in applicants]


def test_a_move_of_another_waitlist_or_tenant_is_422(api, applicants, db_session, make_person, make_tenant, vip_tenant):
    client, base = api
    man = apply(db_session, make_person, vip_tenant, audience="men")
    foreign = apply(db_session, make_person, make_tenant(plugins={"vip": {}}))
    for application_id in (man.id, foreign.id):
        response = client.post(f"{base}/waitlists/women/moves",
                               json={"application_id": application_id, "to_position": 1, "reason": "Urgent"})
        assert response.status_code == 422 and "application_id" in response.json["errors"]


def test_offer_then_answer_yes_through_the_api(api, applicants, db_session, vip_tenant, coordinator):
    client, base = api
    group = make_group(db_session, vip_tenant, capacity=2)
    made = client.post(f"{base}/offers", json={"application_id": applicants[0].id, "group_id": group.id})
    assert made.status_code == 201 and made.json["status"] == "open" and "token" not in str(made.json)
    offer_id = made.json["id"]
    assert client.get(f"{base}/offers/{offer_id}").json["application_id"] == applicants[0].id

    answered = client.put(f"{base}/offers/{offer_id}/answer", json={"accept": True})
    assert answered.status_code == 200
    assert (answered.json["status"], answered.json["answered_by"], answered.json["answered_via_link"]) == (
        "accepted", coordinator.id, False)
    assert status_of(db_session, vip_tenant, applicants[0]) == ApplicationStatus.placed

    again = client.put(f"{base}/offers/{offer_id}/answer", json={"accept": False})
    assert again.status_code == 409 and again.mimetype == "application/problem+json"
    assert "answered already" in again.json["detail"]


def test_answer_no_with_keep_in_line_through_the_api(api, applicants, db_session, vip_tenant):
    client, base = api
    group = make_group(db_session, vip_tenant, capacity=1)
    offer_id = client.post(f"{base}/offers", json={"application_id": applicants[0].id, "group_id": group.id}).json["id"]
    response = client.put(f"{base}/offers/{offer_id}/answer", json={"accept": False, "keep_in_line": True})
    assert response.status_code == 200 and response.json["status"] == "declined"
    assert status_of(db_session, vip_tenant, applicants[0]) == ApplicationStatus.waiting
    assert status_of(db_session, vip_tenant, applicants[1]) == ApplicationStatus.offered
    assert client.put(f"{base}/offers/{offer_id}/answer", json={}).status_code == 422


def test_an_offer_out_of_turn_needs_its_reason(api, applicants, db_session, vip_tenant):
    client, base = api
    group_id = make_group(db_session, vip_tenant).id
    refused = client.post(f"{base}/offers", json={"application_id": applicants[2].id, "group_id": group_id})
    assert refused.status_code == 422 and "out_of_turn_reason" in refused.json["errors"]
    made = client.post(f"{base}/offers", json={"application_id": applicants[2].id, "group_id": group_id,
                                               "out_of_turn_reason": "Her only chance this year"})
    assert made.status_code == 201
    moves = client.get(f"{base}/waitlists/women/moves").json["items"]
    assert [(m["from_position"], m["to_position"], m["reason"]) for m in moves] == [(3, 1, "Her only chance this year")]


@pytest.mark.parametrize(("body", "field"), [
    ({"group_id": 2**31 - 1}, "group_id"),
    ({"application_id": 2**31 - 1}, "application_id"),
    ({"group_id": None}, "group_id"),
    ({"out_of_turn_reason": "x" * 501}, "out_of_turn_reason"),
])
def test_invalid_offers_are_422(api, applicants, db_session, vip_tenant, body, field):
    client, base = api
    group = make_group(db_session, vip_tenant)
    response = client.post(f"{base}/offers", json={"application_id": applicants[0].id, "group_id": group.id, **body})
    assert response.status_code == 422 and field in response.json["errors"]


def test_an_offer_in_a_full_group_is_409(api, applicants, db_session, vip_tenant):
    client, base = api
    group = make_group(db_session, vip_tenant, capacity=1)
    assert client.post(f"{base}/offers", json={"application_id": applicants[0].id, "group_id": group.id}).status_code == 201
    full = client.post(f"{base}/offers", json={"application_id": applicants[1].id, "group_id": group.id})
    assert full.status_code == 409 and full.mimetype == "application/problem+json"


def test_an_offer_of_another_tenant_is_404(api, applicants, app, db_session, make_person, make_tenant):
    client, base = api
    other = make_tenant(plugins={"vip": {}})
    foreign = apply(db_session, make_person, other)
    group = make_group(db_session, other)
    with working_in(app, other):
        offer = offers.make_offer(db_session, foreign, group, now=NOW)
        db_session.commit()
    assert client.get(f"{base}/offers/{offer.id}").status_code == 404
    assert client.put(f"{base}/offers/{offer.id}/answer", json={"accept": True}).status_code == 404
    assert client.post(f"{base}/groups/{group.id}/participants", json={"application_id": foreign.id}).status_code == 404


def test_placing_directly_is_201_until_full_then_409(api, applicants, db_session, vip_tenant):
    client, base = api
    group = make_group(db_session, vip_tenant, capacity=2)
    for application in applicants[:2]:
        response = client.post(f"{base}/groups/{group.id}/participants", json={"application_id": application.id})
        assert response.status_code == 201
        assert (response.json["application_id"], response.json["group_id"], response.json["status"]) == (
            application.id, group.id, "placed")
    full = client.post(f"{base}/groups/{group.id}/participants", json={"application_id": applicants[2].id})
    assert full.status_code == 409 and full.mimetype == "application/problem+json"
    assert full.json["detail"] == "the group is full"
    assert status_of(db_session, vip_tenant, applicants[2]) == ApplicationStatus.waiting
    twice = client.post(f"{base}/groups/{group.id}/participants", json={"application_id": applicants[0].id})
    assert twice.status_code == 409 and "already has a place" in twice.json["detail"]


def test_placing_in_a_group_of_another_audience_is_422(api, applicants, db_session, vip_tenant):
    client, base = api
    group = make_group(db_session, vip_tenant, audience="men")
    response = client.post(f"{base}/groups/{group.id}/participants", json={"application_id": applicants[0].id})
    assert response.status_code == 422 and "application_id" in response.json["errors"]
    assert client.post(f"{base}/groups/{2**31 - 1}/participants",
                       json={"application_id": applicants[0].id}).status_code == 404


def test_a_leader_reads_but_cannot_change_the_waitlist(client, applicants, db_session, make_user, vip_tenant):
    login(client, make_user(("vip.leader", vip_tenant)), language="en")
    base = f"/api/v1/t/{vip_tenant.slug}/vip"
    group = make_group(db_session, vip_tenant)
    assert client.get(f"{base}/waitlists/women").status_code == 200
    assert client.post(f"{base}/waitlists/women/moves", json={"application_id": applicants[1].id, "to_position": 1,
                                                             "reason": "x"}).status_code == 403
    assert client.post(f"{base}/offers", json={"application_id": applicants[0].id, "group_id": group.id}).status_code == 403
    assert client.post(f"{base}/groups/{group.id}/participants",
                       json={"application_id": applicants[0].id}).status_code == 403
    with tenant_scope(vip_tenant.id):
        assert db_session.scalars(select(Offer).where(Offer.status == OfferStatus.open)).all() == []
