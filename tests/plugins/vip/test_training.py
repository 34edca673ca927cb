"""VIP leader training: courses and completions in the training tenant, the national register,
and what every other tenant sees of it (its own staff: yes or no, and since when)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from core.audit.models import AuditEvent
from core.db import tenant_scope
from core.toolkit import staff_query
from plugins.vip.models import LeaderCourse, TrainedLeader, Trainee
from plugins.vip.services import register
from plugins.vip.services import training as services
from core.testing.app import login

TODAY = date.today()
START = TODAY - timedelta(days=30)


@pytest.fixture
def eskilstuna(make_vip_tenant):
    """The training tenant: VIP on with ``trains_leaders``."""
    return make_vip_tenant(trains_leaders=True)


@pytest.fixture
def trainer(make_user, eskilstuna):
    return make_user(("vip.trainer", eskilstuna), name="Tina Trainer")


@pytest.fixture
def course(db_session, eskilstuna):
    with tenant_scope(eskilstuna.id):
        course = services.create_course(db_session, {"name": "Gruppledarutbildning vår", "starts_on": START,
                                                      "ends_on": START + timedelta(days=2), "location": "Eskilstuna"})
        db_session.commit()
        return course


@pytest.fixture
def add_trainee(db_session, eskilstuna):
    def add(course, name="Kim Trainee", email="kim@huddinge.se", organisation="Huddinge kommun"):
        with tenant_scope(eskilstuna.id):
            trainee = services.add_trainee(db_session, db_session.get(LeaderCourse, course.id),
                                           {"name": name, "email": email, "organisation": organisation})
            db_session.commit()
            return trainee

    return add


def _completer(db_session, tenant):
    """``run(trainee, on)``: complete ``trainee`` of ``tenant`` on that day, or with None undo it."""
    def run(trainee, on):
        with tenant_scope(tenant.id):
            trainee = db_session.get(Trainee, trainee.id)
            if on is None:
                services.undo_completion(db_session, trainee)
            else:
                services.complete(db_session, trainee, on)
            db_session.commit()
            return trainee

    return run


@pytest.fixture
def complete(db_session, eskilstuna):
    return _completer(db_session, eskilstuna)


def entry_for(db_session, email):
    return db_session.scalar(select(TrainedLeader).where(TrainedLeader.email_digest == register.email_digest(email)))


# --- The service ---------------------------------------------------------------------------


def test_only_a_tenant_that_trains_leaders_runs_courses(db_session, eskilstuna, vip_tenant):
    with tenant_scope(eskilstuna.id):
        assert services.runs_courses(db_session)
    with tenant_scope(vip_tenant.id):
        assert not services.runs_courses(db_session)


@pytest.mark.parametrize(("data", "field"), [
    ({"starts_on": START, "ends_on": START}, "name"),
    ({"name": "  ", "starts_on": START, "ends_on": START}, "name"),
    ({"name": "X", "ends_on": START}, "starts_on"),
    ({"name": "X", "starts_on": START, "ends_on": START - timedelta(days=1)}, "ends_on"),
    ({"name": "X" * 201, "starts_on": START, "ends_on": START}, "name"),
    ({"name": "X", "starts_on": START, "ends_on": START, "location": "L" * 301}, "location"),
])
def test_invalid_courses(db_session, eskilstuna, data, field):
    with tenant_scope(eskilstuna.id), pytest.raises(services.TrainingError) as caught:
        services.create_course(db_session, data)
    assert field in caught.value.errors


def test_a_course_is_audited_and_changed(db_session, eskilstuna, course):
    with tenant_scope(eskilstuna.id):
        row = services.get_course(db_session, course.id)
        services.update_course(db_session, row, {"location": "Munktellarenan", "ends_on": START + timedelta(days=3)})
        assert (row.location, row.ends_on) == ("Munktellarenan", START + timedelta(days=3))
        with pytest.raises(services.TrainingError):
            services.update_course(db_session, row, {"ends_on": START - timedelta(days=1)})
        actions = set(db_session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("vip.course.%"))))
    assert actions == {"vip.course.create", "vip.course.update"}


def test_a_course_cannot_start_after_a_recorded_completion(db_session, eskilstuna, course, add_trainee, complete):
    complete(add_trainee(course), START + timedelta(days=1))
    with tenant_scope(eskilstuna.id), pytest.raises(services.TrainingError) as caught:
        services.update_course(db_session, services.get_course(db_session, course.id),
                               {"starts_on": START + timedelta(days=2)})
    assert "starts_on" in caught.value.errors


def test_trainees_are_kept_lower_case_and_once_per_course(db_session, eskilstuna, course, add_trainee):
    trainee = add_trainee(course, email="  Kim.Andersson@Huddinge.SE ")
    assert trainee.email == "kim.andersson@huddinge.se"
    with pytest.raises(services.TrainingError) as caught:
        add_trainee(course, name="Kim again", email="KIM.ANDERSSON@huddinge.se")
    assert "email" in caught.value.errors
    db_session.rollback()


@pytest.mark.parametrize(("data", "field"), [
    ({"name": "", "email": "a@b.se", "organisation": "X"}, "name"),
    ({"name": "A", "email": "not an email", "organisation": "X"}, "email"),
    ({"name": "A", "email": "", "organisation": "X"}, "email"),
    ({"name": "A", "email": "a@b.se", "organisation": " "}, "organisation"),
])
def test_invalid_trainees(db_session, eskilstuna, course, data, field):
    with tenant_scope(eskilstuna.id), pytest.raises(services.TrainingError) as caught:
        services.add_trainee(db_session, services.get_course(db_session, course.id), data)
    assert field in caught.value.errors


def test_completion_enters_the_register_and_undo_takes_it_out(db_session, course, add_trainee, complete):
    trainee = add_trainee(course)
    complete(trainee, START + timedelta(days=2))
    leader = entry_for(db_session, "kim@huddinge.se")
    assert (leader.trained_on, leader.trainee_id) == (START + timedelta(days=2), trainee.id)
    complete(trainee, START + timedelta(days=1))  # a corrected date
    assert entry_for(db_session, "kim@huddinge.se").trained_on == START + timedelta(days=1)
    complete(trainee, None)
    assert entry_for(db_session, "kim@huddinge.se") is None


@pytest.mark.parametrize(("on", "message"), [(TODAY + timedelta(days=1), "future"), (START - timedelta(days=1), "started")])
def test_completion_dates_are_checked(db_session, course, add_trainee, complete, on, message):
    trainee = add_trainee(course)
    with pytest.raises(services.TrainingError) as caught:
        complete(trainee, on)
    assert message in caught.value.errors["completed_on"][0]
    db_session.rollback()
    assert entry_for(db_session, "kim@huddinge.se") is None


def test_completion_is_audited(db_session, eskilstuna, course, add_trainee, complete):
    trainee = add_trainee(course)
    complete(trainee, START)
    complete(trainee, None)
    with tenant_scope(eskilstuna.id):
        events = db_session.scalars(select(AuditEvent).where(AuditEvent.object_type == "vip_trainee")).all()
    assert [e.action for e in events] == ["vip.trainee.add", "vip.trainee.complete", "vip.trainee.uncomplete"]
    assert not any("huddinge" in str(e.detail) for e in events)


def test_two_completions_keep_the_earliest_and_undo_falls_back(db_session, eskilstuna, course, add_trainee, complete):
    with tenant_scope(eskilstuna.id):
        later_course = services.create_course(db_session, {"name": "Höst", "starts_on": START + timedelta(days=10),
                                                            "ends_on": START + timedelta(days=11)})
        db_session.commit()
    first = add_trainee(course)
    second = add_trainee(later_course)
    complete(second, START + timedelta(days=11))
    complete(first, START + timedelta(days=2))
    assert (entry_for(db_session, "kim@huddinge.se").trained_on, entry_for(db_session, "kim@huddinge.se").trainee_id) \
        == (START + timedelta(days=2), first.id)
    complete(first, None)
    assert (entry_for(db_session, "kim@huddinge.se").trained_on, entry_for(db_session, "kim@huddinge.se").trainee_id) \
        == (START + timedelta(days=11), second.id)
    complete(second, None)
    assert entry_for(db_session, "kim@huddinge.se") is None


def test_an_earlier_entry_from_elsewhere_stands(db_session, course, add_trainee, complete):
    register.enter(db_session, email="kim@huddinge.se", trained_on=date(2019, 5, 1))
    db_session.commit()
    trainee = add_trainee(course)
    complete(trainee, START)
    assert entry_for(db_session, "kim@huddinge.se").trained_on == date(2019, 5, 1)
    complete(trainee, None)
    assert entry_for(db_session, "kim@huddinge.se").trained_on == date(2019, 5, 1)


@pytest.fixture
def second_trainer(db_session, make_vip_tenant):
    """Another training tenant with its own course, and a way to complete trainees there."""
    tenant = make_vip_tenant(trains_leaders=True)
    with tenant_scope(tenant.id):
        course = services.create_course(db_session, {"name": "Norrland", "starts_on": START - timedelta(days=20),
                                                      "ends_on": START - timedelta(days=19)})
        trainee = services.add_trainee(db_session, course, {"name": "Kim", "email": "kim@huddinge.se",
                                                            "organisation": "Huddinge kommun"})
        db_session.commit()
    run = _completer(db_session, tenant)
    return lambda on: run(trainee, on)


@pytest.mark.parametrize("undo_first", ["earlier", "later"])
def test_undo_at_one_training_tenant_keeps_what_another_recorded(db_session, course, add_trainee, complete,
                                                                 second_trainer, undo_first):
    ours = add_trainee(course)
    complete(ours, START + timedelta(days=2))
    second_trainer(START - timedelta(days=19))  # earlier: the entry takes the other tenant's date
    assert entry_for(db_session, "kim@huddinge.se").trained_on == START - timedelta(days=19)
    if undo_first == "earlier":
        second_trainer(None)
        assert entry_for(db_session, "kim@huddinge.se").trained_on == START + timedelta(days=2)
        complete(ours, None)
    else:
        complete(ours, None)
        assert entry_for(db_session, "kim@huddinge.se").trained_on == START - timedelta(days=19)
        second_trainer(None)
    assert entry_for(db_session, "kim@huddinge.se") is None


def test_undoing_an_earlier_completion_restores_the_entry_from_elsewhere(db_session, course, add_trainee, complete):
    register.enter(db_session, email="kim@huddinge.se", trained_on=START + timedelta(days=5))
    db_session.commit()
    trainee = add_trainee(course)
    complete(trainee, START)
    assert (entry_for(db_session, "kim@huddinge.se").trained_on, entry_for(db_session, "kim@huddinge.se").trainee_id) \
        == (START, trainee.id)
    complete(trainee, None)
    leader = entry_for(db_session, "kim@huddinge.se")
    assert (leader.trained_on, leader.trainee_id) == (START + timedelta(days=5), None)


# --- What each tenant sees -----------------------------------------------------------------


@pytest.fixture
def huddinge(make_vip_tenant):
    return make_vip_tenant()


def test_a_tenant_sees_its_own_trained_staff(db_session, huddinge, make_user, course, add_trainee, complete):
    kim = make_user(("vip.leader", huddinge), email="kim@huddinge.se", name="Kim Andersson")
    untrained = make_user(("vip.coordinator", huddinge), name="Ulla Untrained")
    complete(add_trainee(course, name="Kim A. (as on the course)", email="Kim@Huddinge.se"), START + timedelta(days=2))
    with tenant_scope(huddinge.id):
        rows = services.staff_training(db_session, list(db_session.scalars(staff_query())))
    assert [(r.user.id, r.trained_on, r.roles) for r in rows] == [
        (kim.id, START + timedelta(days=2), ("vip.leader",)), (untrained.id, None, ("vip.coordinator",))]


def test_a_trained_user_who_is_not_staff_of_b_is_not_listed_at_b(db_session, huddinge, make_vip_tenant, make_user,
                                                                 course, add_trainee, complete):
    elsewhere = make_vip_tenant()
    trained = make_user(("vip.leader", elsewhere), email="kim@huddinge.se")
    complete(add_trainee(course), START)
    with tenant_scope(huddinge.id):
        listed = list(db_session.scalars(staff_query()))
    assert trained.id not in [u.id for u in listed]
    with tenant_scope(elsewhere.id):
        assert [u.id for u in db_session.scalars(staff_query())] == [trained.id]


@pytest.fixture
def huddinge_page(client, make_user, huddinge):
    login(client, make_user(("vip.leader", huddinge), email="lead@huddinge.se", name="Lea Leader"))
    return client


def test_b_sees_nothing_of_a_on_its_staff_page(huddinge_page, huddinge, eskilstuna, make_user, trainer, course,
                                               add_trainee, complete):
    client = huddinge_page
    a_staff = make_user(("vip.leader", eskilstuna), email="anna@eskilstuna.se", name="Anna Eskilstuna")
    complete(add_trainee(course, name="Anna on the course", email="anna@eskilstuna.se",
                         organisation="Eskilstuna kommun"), START)
    complete(add_trainee(course, name="Lea on the course", email="lead@huddinge.se",
                         organisation="Huddinge kommun"), START + timedelta(days=1))
    page = client.get(f"/t/{huddinge.slug}/vip/staff/training").text
    assert "Lea Leader" in page and str(START + timedelta(days=1)) in page
    for secret in ("Anna", "anna@eskilstuna.se", "Tina Trainer", "on the course", "Gruppledarutbildning",
                   "Eskilstuna kommun", "Huddinge kommun"):
        assert secret not in page, secret
    api = client.get(f"/api/v1/t/{huddinge.slug}/vip/staff/training").json
    assert [(i["name"], i["trained"], i["trained_on"]) for i in api["items"]] == \
        [("Lea Leader", True, str(START + timedelta(days=1)))]
    assert a_staff.email not in str(api)


def test_a_sees_its_own_staff_and_not_b(client, huddinge, eskilstuna, make_user, trainer):
    make_user(("vip.leader", huddinge), name="Hugo Huddinge")
    login(client, trainer)
    page = client.get(f"/t/{eskilstuna.slug}/vip/staff/training").text
    assert "Tina Trainer" in page and "Hugo Huddinge" not in page


def test_b_cannot_reach_as_courses(huddinge_page, huddinge, eskilstuna, course):
    client = huddinge_page
    assert client.get(f"/t/{huddinge.slug}/vip/training/").status_code in (403, 404)
    assert client.get(f"/t/{eskilstuna.slug}/vip/training/courses/{course.id}").status_code == 404
    assert client.get(f"/t/{eskilstuna.slug}/vip/staff/training").status_code == 404


def test_staff_page_runs_constant_queries(huddinge_page, huddinge, make_user, query_counter, db_session):
    client = huddinge_page

    def grow():
        for n in range(10):
            user = make_user(("vip.leader", huddinge), ("vip.coordinator", huddinge), name=f"Staff {n}")
            if n % 2:
                register.enter(db_session, email=user.email, trained_on=date(2023, 1, n + 1))
        db_session.commit()

    query_counter.assert_constant(client, [f"/t/{huddinge.slug}/vip/staff/training",
                                           f"/api/v1/t/{huddinge.slug}/vip/staff/training"], grow)


# --- Pages of the training tenant ----------------------------------------------------------


@pytest.fixture
def pages(client, trainer, eskilstuna):
    login(client, trainer)
    return client, f"/t/{eskilstuna.slug}/vip/training"


def test_training_pages_are_404_where_no_leaders_are_trained(client, make_user, vip_tenant):
    login(client, make_user(("vip.trainer", vip_tenant)))
    base = f"/t/{vip_tenant.slug}/vip/training"
    assert client.get(f"{base}/").status_code == 404
    assert client.get(f"{base}/courses/new").status_code == 404
    assert client.post(f"{base}/courses/new", data={"name": "X"}).status_code == 404
    assert client.get(f"/t/{vip_tenant.slug}/vip/staff/training").status_code == 200


def test_training_pages_need_the_training_permission(client, make_user, eskilstuna):
    login(client, make_user(("vip.coordinator", eskilstuna)))
    assert client.get(f"/t/{eskilstuna.slug}/vip/training/").status_code == 403


def test_adding_a_course_and_its_list(pages, query_counter, db_session, eskilstuna):
    client, base = pages
    response = client.post(f"{base}/courses/new", data={"name": "Vårkurs", "starts_on": START.isoformat(),
                                                        "ends_on": (START + timedelta(days=1)).isoformat(),
                                                        "location": "Eskilstuna"})
    assert response.status_code == 302
    assert "Vårkurs" in client.get(response.headers["Location"]).text

    def grow():
        with tenant_scope(eskilstuna.id):
            for n in range(5):
                c = services.create_course(db_session, {"name": f"Kurs {n}", "starts_on": START, "ends_on": START})
                services.add_trainee(db_session, c, {"name": "T", "email": f"t{n}@x.se", "organisation": "X"})
            db_session.commit()

    query_counter.assert_constant(client, [f"{base}/"], grow)
    assert "Kurs 4" in client.get(f"{base}/").text


def test_a_failed_course_form_keeps_what_was_typed(pages):
    client, base = pages
    response = client.post(f"{base}/courses/new", data={"name": "Höstkurs", "starts_on": "2025-10-10",
                                                        "ends_on": "2025-10-01", "location": "Sal 3"})
    assert response.status_code == 422
    assert 'value="Höstkurs"' in response.text and 'value="Sal 3"' in response.text and 'id="ends_on-error"' in response.text
    bad_date = client.post(f"{base}/courses/new", data={"name": "X", "starts_on": "10/10/2025", "ends_on": ""})
    assert bad_date.status_code == 422 and 'value="10/10/2025"' in bad_date.text


def test_editing_a_course(pages, course):
    client, base = pages
    assert 'value="Eskilstuna"' in client.get(f"{base}/courses/{course.id}/edit").text
    ok = client.post(f"{base}/courses/{course.id}/edit", data={"name": "Ny", "starts_on": START.isoformat(),
                                                               "ends_on": START.isoformat(), "location": ""})
    assert ok.status_code == 302
    bad = client.post(f"{base}/courses/{course.id}/edit", data={"name": "", "starts_on": START.isoformat(),
                                                                "ends_on": START.isoformat()})
    assert bad.status_code == 422 and 'id="name-error"' in bad.text


def test_adding_a_trainee_and_marking_completion(pages, course, db_session):
    client, base = pages
    added = client.post(f"{base}/courses/{course.id}/trainees",
                        data={"name": "Kim Andersson", "email": "Kim@Huddinge.se", "organisation": "Huddinge kommun"})
    assert added.status_code == 302
    page = client.get(f"{base}/courses/{course.id}").text
    assert "Kim Andersson" in page and "kim@huddinge.se" in page
    trainee_id = re.search(r"/trainees/(\d+)/completion", page).group(1)
    done = client.post(f"{base}/courses/{course.id}/trainees/{trainee_id}/completion",
                       data={"action": "complete", "completed_on": START.isoformat()})
    assert done.status_code == 302 and entry_for(db_session, "kim@huddinge.se").trained_on == START
    undone = client.post(f"{base}/courses/{course.id}/trainees/{trainee_id}/completion", data={"action": "undo"})
    assert undone.status_code == 302 and entry_for(db_session, "kim@huddinge.se") is None


def test_a_failed_trainee_form_keeps_what_was_typed(pages, course):
    client, base = pages
    response = client.post(f"{base}/courses/{course.id}/trainees",
                           data={"name": "Kim Andersson", "email": "kim-at-huddinge", "organisation": "Huddinge kommun"})
    assert response.status_code == 422
    assert 'value="Kim Andersson"' in response.text and 'value="kim-at-huddinge"' in response.text
    assert 'id="email-error"' in response.text


def test_a_failed_completion_keeps_the_typed_date(pages, course, add_trainee):
    client, base = pages
    trainee = add_trainee(course)
    future = (TODAY + timedelta(days=3)).isoformat()
    response = client.post(f"{base}/courses/{course.id}/trainees/{trainee.id}/completion",
                           data={"action": "complete", "completed_on": future})
    assert response.status_code == 422
    assert f'value="{future}"' in response.text and f'id="completed_on-{trainee.id}-error"' in response.text
    missing = client.post(f"{base}/courses/{course.id}/trainees/{trainee.id}/completion", data={"completed_on": ""})
    assert missing.status_code == 422


def test_a_trainee_of_another_course_is_not_found(pages, course, add_trainee, db_session, eskilstuna):
    client, base = pages
    with tenant_scope(eskilstuna.id):
        other = services.create_course(db_session, {"name": "Annan", "starts_on": START, "ends_on": START})
        db_session.commit()
    trainee = add_trainee(other)
    response = client.post(f"{base}/courses/{course.id}/trainees/{trainee.id}/completion",
                           data={"completed_on": START.isoformat()})
    assert response.status_code == 404


def test_the_course_page_runs_constant_queries(pages, course, add_trainee, query_counter):
    client, base = pages
    add_trainee(course, email="first@x.se")
    query_counter.assert_constant(client, [f"{base}/courses/{course.id}"],
                                  lambda: [add_trainee(course, email=f"t{n}@x.se") for n in range(10)])


# --- The training tenant's register page (#7 item 18b) -------------------------------------


@pytest.fixture
def trained(db_session, eskilstuna):
    """``trained(name, email, municipality, on, organisation=..., course_name=...)``: a completed
    trainee of the training tenant, on a course of their own."""
    def make(name, email, municipality, on, organisation="Kommunen", course_name="Vårkurs", tenant=eskilstuna):
        with tenant_scope(tenant.id):
            course = services.create_course(db_session, {"name": course_name, "starts_on": on, "ends_on": on})
            trainee = services.add_trainee(db_session, course, {"name": name, "email": email,
                                                                "organisation": organisation,
                                                                "municipality": municipality})
            services.complete(db_session, trainee, on)
            db_session.commit()
            return trainee

    return make


def test_the_register_page_lists_trained_leaders_by_municipality_and_year(pages, trained, add_trainee, course):
    client, base = pages
    trained("Kim Lind", "kim@huddinge.se", "Huddinge", date(2024, 5, 2), course_name="Vår 2024")
    trained("Alva Berg", "alva@huddinge.se", "Huddinge", date(2025, 3, 1), course_name="Vår 2025")
    trained("Bo Ek", "bo@umea.se", None, date(2025, 3, 1), organisation="Umeå kommun", course_name="Vår 2025")
    add_trainee(course, name="Not Yet", email="notyet@x.se")  # on a course, not completed: not a trained leader
    page = _flat(client.get(f"{base}/register", headers={"Accept-Language": "en"}).text)
    cells = re.sub(r">\s+<", "><", page)
    assert "3 trained leaders" in page and "Not Yet" not in page
    # By municipality (the organisation when none was given) and year.
    assert '<th scope="row">Huddinge</th><td>1</td><td>1</td><td>2</td>' in cells
    assert '<th scope="row">Umeå kommun</th><td>1</td><td>0</td><td>1</td>' in cells
    assert '<th scope="col">2025</th><th scope="col">2024</th>' in cells
    assert '<th scope="row">Total</th><td>2</td><td>1</td><td>3</td>' in cells
    for text in ("Kim Lind", "Vår 2024", "2024-05-02", "Alva Berg", "Bo Ek", "Vår 2025"):
        assert text in page
    by_name = client.get(f"{base}/register?name=lind").text
    assert "Kim Lind" in by_name and "Alva Berg" not in by_name and "Bo Ek" not in by_name
    by_place = client.get(f"{base}/register?municipality=ume%C3%A5").text
    assert "Bo Ek" in by_place and "Kim Lind" not in by_place
    assert "No trained leaders found." in client.get(f"{base}/register?name=100%25_", headers={"Accept-Language": "en"}).text
    assert client.get(f"{base}/register?name=" + "x" * 5000).status_code == 200


def _flat(html):
    return re.sub(r"\s+", " ", html)


def test_the_register_page_holds_only_what_this_training_tenant_trained(
        client, make_user, make_vip_tenant, pages, trained, eskilstuna):
    our_client, base = pages
    other = make_vip_tenant(trains_leaders=True)
    trained("Kim Lind", "kim@huddinge.se", "Huddinge", START)
    trained("Olle Other", "olle@kiruna.se", "Kiruna", START, tenant=other, course_name="Norrlandskurs")
    ours = our_client.get(f"{base}/register").text + our_client.get(f"{base}/register.csv").text
    assert "Kim Lind" in ours and "Olle" not in ours and "Kiruna" not in ours and "Norrlandskurs" not in ours
    login(client, make_user(("vip.trainer", other)))
    theirs = client.get(f"/t/{other.slug}/vip/training/register").text
    assert "Olle Other" in theirs and "Kim Lind" not in theirs  # the negative twin


def test_the_register_page_is_only_the_training_tenants(client, make_user, vip_tenant, eskilstuna):
    login(client, make_user(("vip.trainer", vip_tenant), ("vip.coordinator", eskilstuna)))
    for path in ("register", "register.csv"):
        assert client.get(f"/t/{vip_tenant.slug}/vip/training/{path}").status_code == 404
        assert client.get(f"/t/{eskilstuna.slug}/vip/training/{path}").status_code == 403


def test_the_register_csv_is_safe_in_a_spreadsheet_and_audited(pages, trained, db_session, eskilstuna):
    import csv
    import io

    client, base = pages
    trained("=HYPERLINK(\"http://evil\")", "a@x.se", "+46 Kommun", START, organisation="@SUM(A1)")
    trained("-Minus", "b@x.se", "Tabby", START, organisation="CR")
    trained("Plain Name", "c@x.se", "Huddinge", START)
    response = client.get(f"{base}/register.csv", headers={"Accept-Language": "en"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Municipality", "Organisation", "Name", "Work email", "Course", "Completed", "Year"]
    cells = [cell for row in rows[1:] for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK(\"http://evil\")" in cells and "'+46 Kommun" in cells and "'@SUM(A1)" in cells
    assert "'-Minus" in cells
    assert ["Huddinge", "Kommunen", "Plain Name", "c@x.se", "Vårkurs", START.isoformat(), str(START.year)] in rows
    only = list(csv.reader(io.StringIO(client.get(f"{base}/register.csv?municipality=hudd").get_data(as_text=True))))
    assert len(only) == 2
    with tenant_scope(eskilstuna.id):
        events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "vip.register.export")).all()
    assert [e.detail for e in events] == [{"search": [], "rows": 3}, {"search": ["municipality"], "rows": 1}]


def test_the_register_page_is_paginated_with_constant_queries(pages, trained, query_counter, db_session, eskilstuna):
    client, base = pages
    trained("First Leader", "first@x.se", "Huddinge", START)

    def grow():
        with tenant_scope(eskilstuna.id):
            course = services.create_course(db_session, {"name": "Stor kurs", "starts_on": START, "ends_on": START})
            for n in range(60):
                trainee = services.add_trainee(db_session, course, {
                    "name": f"Leader {n:02}", "email": f"l{n}@x.se", "organisation": "X", "municipality": f"Kommun {n % 7}"})
                services.complete(db_session, trainee, START + timedelta(days=n % 3))
            db_session.commit()

    query_counter.assert_constant(client, [f"{base}/register", f"{base}/register?name=leader&municipality=kommun",
                                           f"{base}/register.csv"], grow)
    en = {"Accept-Language": "en"}
    first, second = client.get(f"{base}/register", headers=en).text, client.get(f"{base}/register?page=2", headers=en).text
    assert "61 trained leaders" in first and 'rel="next"' in first and "Page 2 of 2" in second
    assert first.count("<td>Leader ") + second.count("<td>Leader ") + 1 == 61
