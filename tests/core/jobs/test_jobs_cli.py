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


def test_jobs_loop_runs_the_due_jobs_again_and_again_into_the_demo_mail_folder(
        app, db_session, make_tenant, monkeypatch, tmp_path):
    state = app.extensions["samverka"]
    monkeypatch.setattr(state, "settings", replace(state.settings, mail_folder=str(tmp_path)))
    tenant_id = make_tenant(plugins={"sample": {}}).id
    with tenant_scope(tenant_id):
        enqueue_email(db_session, to="anna@example.org", subject="Hi", text="Hello")
        db_session.commit()

    result = app.test_cli_runner().invoke(main, ["jobs", "loop", "--every", "0", "--times", "2"],
                                          catch_exceptions=False)

    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()
    assert first.endswith("; 1 message(s) sent, 0 to retry, 0 failed for good")
    assert second.startswith("0 job(s) run") and "0 message(s) sent" in second  # nothing was due again
    (mail,) = tmp_path.glob("*.eml")
    assert mail.name.startswith(f"outbox-{tenant_id}-") and b"Subject: Hi" in mail.read_bytes()


def test_jobs_loop_goes_on_after_a_run_that_breaks(app, db_session, monkeypatch, caplog):
    calls = []

    def flaky(session, state, now):
        calls.append(now)
        if len(calls) == 1:
            raise RuntimeError("the database went away")
        from core.jobs.services import JobsReport

        return JobsReport()

    monkeypatch.setattr("core.jobs.services.run_due_jobs", flaky)
    result = app.test_cli_runner().invoke(main, ["jobs", "loop", "--every", "0", "--times", "2"],
                                          catch_exceptions=False)
    assert result.exit_code == 0 and len(calls) == 2
    assert "the due-jobs run failed" in caplog.text
    assert result.output == "0 job(s) run, 0 failed; 0 message(s) sent, 0 to retry, 0 failed for good\n"
