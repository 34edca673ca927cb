"""run_due_jobs: which jobs run where, intervals, failures, and the outbox after the jobs."""

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.db import tenant_scope
from core.hookspecs import DueJob
from core.jobs.models import JobRun, OutboxMessage
from core.jobs.services import enqueue_email, run_due_jobs
from core.tenants.services import disable_plugin
from tests.core.jobs.conftest import NOW
from tests.core import sample_plugin


@pytest.fixture
def state(app):
    return app.extensions["samverka"]


def _with_jobs(state, **jobs):
    """The app's state with extra jobs of the sample plugin, keyed ``sample.<name>``."""
    extra = {f"sample.{job.key}": ("sample", False, job) for job in jobs.values()}
    return replace(state, due_jobs={**state.due_jobs, **extra})


def _ticks(*tenants):
    slugs = {t.slug for t in tenants}
    return [slug for call, slug in sample_plugin.calls if call == "due_job" and slug in slugs]


def _runs(session, tenant):
    with tenant_scope(tenant.id):
        return {r.job: r for r in session.scalars(select(JobRun).execution_options(populate_existing=True))}


def test_a_plugin_job_runs_where_the_plugin_is_on(db_session, make_tenant, state, sender):
    on = make_tenant(plugins={"sample": {}})
    sample_plugin.calls.clear()
    run_due_jobs(db_session, state, NOW, sender=sender)
    assert _ticks(on) == [on.slug]
    assert "sample.tick" in _runs(db_session, on)


def test_a_plugin_job_does_not_run_where_the_plugin_is_off(db_session, make_tenant, app, state, sender):
    never = make_tenant()
    turned_off = make_tenant(plugins={"sample": {}})
    disable_plugin(db_session, app.extensions["samverka"].registry, turned_off, "sample")
    db_session.commit()
    sample_plugin.calls.clear()
    run_due_jobs(db_session, state, NOW, sender=sender)
    assert _ticks(never, turned_off) == []
    assert "sample.tick" not in _runs(db_session, never) | _runs(db_session, turned_off)


def test_internal_jobs_run_for_every_tenant(db_session, make_tenant, state, sender):
    tenant = make_tenant()
    run_due_jobs(db_session, state, NOW, sender=sender)
    runs = _runs(db_session, tenant)
    assert "jobs.outbox_retention" in runs and "sample.tick" not in runs


def test_a_job_waits_its_interval_and_a_rerun_at_the_same_now_does_nothing(db_session, make_tenant, state, sender):
    tenant = make_tenant(plugins={"sample": {}})
    sample_plugin.calls.clear()
    for now in (NOW, NOW, NOW + timedelta(minutes=4, seconds=59), NOW + timedelta(minutes=5)):
        run_due_jobs(db_session, state, now, sender=sender)
    assert _ticks(tenant) == [tenant.slug] * 2
    last = _runs(db_session, tenant)["sample.tick"].last_run_at
    assert last.replace(tzinfo=None) == (NOW + timedelta(minutes=5)).replace(tzinfo=None)


def test_a_failing_job_is_logged_rolled_back_and_does_not_stop_the_others(db_session, make_tenant, state, sender, caplog):
    def boom(session, tenant, now):
        enqueue_email(session, to="anna@example.org", subject="Half done", text="...")
        raise RuntimeError("boom")

    tenant = make_tenant(plugins={"sample": {}})
    sample_plugin.calls.clear()
    # "sample.boom" sorts before "sample.tick", so the failure comes first.
    report = run_due_jobs(db_session, _with_jobs(state, boom=DueJob("boom", boom)), NOW, sender=sender)

    assert f"sample.boom@{tenant.slug}" in report.failed
    assert f"due-job sample.boom failed for tenant {tenant.slug}" in caplog.text
    assert _ticks(tenant) == [tenant.slug]
    runs = _runs(db_session, tenant)
    assert "sample.boom" not in runs and "sample.tick" in runs
    with tenant_scope(tenant.id):
        assert db_session.scalars(select(OutboxMessage)).all() == []


def test_what_a_job_queues_leaves_in_the_same_run_and_only_once(db_session, make_tenant, state, smtp, sender):
    def remind(session, tenant, now):
        enqueue_email(session, to="anna@example.org", subject=f"Reminder from {tenant.name}", text="See you",
                      key=f"remind:{now:%Y-%m-%d}")
        return 1

    tenant = make_tenant(plugins={"sample": {}})
    jobs_state = _with_jobs(state, remind=DueJob("remind", remind, every=timedelta(hours=1)))

    first = run_due_jobs(db_session, jobs_state, NOW, sender=sender)
    later_that_day = run_due_jobs(db_session, jobs_state, NOW + timedelta(hours=2), sender=sender)

    assert first.delivery.sent >= 1 and later_that_day.delivery.sent == 0
    assert [r.message["Subject"] for r in smtp.messages] == [f"Reminder from {tenant.name}"]
    assert _runs(db_session, tenant)["sample.remind"].last_result == 1


def test_a_naive_now_is_taken_as_utc(db_session, make_tenant, state, sender):
    tenant = make_tenant(plugins={"sample": {}})
    sample_plugin.calls.clear()
    run_due_jobs(db_session, state, NOW, sender=sender)
    run_due_jobs(db_session, state, NOW.replace(tzinfo=None), sender=sender)
    assert _ticks(tenant) == [tenant.slug]
