"""``samverka jobs run`` as cron or a Kubernetes CronJob runs it."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from core.cli import main
from core.db import tenant_scope
from core.hookspecs import DueJob
from core.jobs.models import JobRun
from core.jobs.services import enqueue_email


@pytest.fixture
def cli(app, db_session, smtp, monkeypatch):
    """The command, with the app's SMTP settings pointing at the live test server."""
    state = app.extensions["samverka"]
    monkeypatch.setattr(state, "settings", replace(state.settings, smtp_host=smtp.host, smtp_port=smtp.port))
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_jobs_run_runs_the_due_jobs_and_sends_the_outbox(cli, app, db_session, make_tenant, smtp):
    due_jobs = app.extensions["samverka"].due_jobs
    expected = sorted(name for name, (plugin, internal, _) in due_jobs.items() if internal or plugin == "sample")
    tenant = make_tenant(plugins={"sample": {}})
    with tenant_scope(tenant.id):
        enqueue_email(db_session, to="anna@example.org", subject="Hi", text="Hello")
        db_session.commit()

    result = cli("jobs", "run", "--now", "2031-03-03T09:00:00+01:00")

    assert result.exit_code == 0, result.output
    assert result.output == f"{len(expected)} job(s) run, 0 failed; 1 message(s) sent, 0 to retry, 0 failed for good\n"
    assert [r.rcpt_tos for r in smtp.messages] == [["anna@example.org"]]
    with tenant_scope(tenant.id):
        runs = db_session.scalars(select(JobRun).order_by(JobRun.job)).all()
    assert [r.job for r in runs] == expected
    assert {r.last_run_at.strftime("%Y-%m-%d %H:%M") for r in runs} == {"2031-03-03 08:00"}
    assert cli("jobs", "run", "--now", "2031-03-03T08:00:00").output.startswith("0 job(s) run")


def test_jobs_run_exits_1_and_names_a_failed_job(cli, app, make_tenant, monkeypatch):
    def boom(session, tenant, now):
        raise RuntimeError("boom")

    state = app.extensions["samverka"]
    monkeypatch.setattr(state, "due_jobs", {**state.due_jobs, "sample.boom": ("sample", False, DueJob("boom", boom))})
    tenant = make_tenant(plugins={"sample": {}})

    result = cli("jobs", "run")

    assert result.exit_code == 1
    assert "1 failed" in result.output and f"failed: sample.boom@{tenant.slug}" in result.output


def test_jobs_run_refuses_a_time_that_is_not_iso(cli):
    result = cli("jobs", "run", "--now", "tomorrow")
    assert result.exit_code == 2 and "'tomorrow' is not an ISO 8601 time" in result.output
