"""Rate limits hold across workers: counted in Redis, in memory when Redis is down, and
refused in production when several workers would each count alone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import create_engine, delete

from core.audit.models import AuditEvent
from core.db import utcnow
from core.web import ratelimit

ROOT = Path(__file__).resolve().parents[3]
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "core.wsgi:app"]
LOGIN_LIMIT = 20  # per minute and address, as docs/operations.md says


@pytest.fixture
def redis_url():
    """(URL, prefix) on the test Redis, the prefix this test's own; its keys go afterwards
    (only those: the Redis is shared, never flush it)."""
    import redis

    url = os.environ.get("SAMVERKA_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but Redis is not reachable at {url}: {exc}")
        pytest.skip(f"needs Redis at {url}")
    prefix = f"samverka-test-{uuid.uuid4().hex}"
    try:
        yield url, prefix
    finally:
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)
        client.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _limited_app(settings) -> Flask:
    """A bare app with one limited view and Samverka's limiter, as each worker builds it."""
    app = Flask(__name__)

    @app.post("/attempt")
    @ratelimit.limited("test.attempt", limit=3, window=60)
    def attempt():
        return "ok"

    ratelimit.init_app(app, settings)
    return app


def test_rate_limits_are_shared_through_redis(test_settings, redis_url):
    url, prefix = redis_url
    settings = replace(test_settings, redis_url=url, redis_key_prefix=prefix)
    first, second = (_limited_app(settings).test_client() for _ in range(2))  # two workers
    codes = [(first if n % 2 else second).post("/attempt").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_redis_outage_counts_in_memory_and_never_errs(test_settings, caplog):
    down = _limited_app(replace(test_settings, redis_url=f"redis://127.0.0.1:{_free_port()}/0")).test_client()
    assert [down.post("/attempt").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "falling back to in-memory storage" in caplog.text


def _gunicorn_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SAMVERKA_", "GUNICORN_"))}
    return {**env, **values}


@pytest.mark.parametrize("shared", [True, False], ids=["3 workers with Redis", "defaults without Redis"])
def test_login_limit_holds_across_gunicorn_workers(app, test_settings, shared, request, tmp_path):
    """100 sign-in attempts from one address: exactly the limit gets through, with several
    workers sharing Redis, and with gunicorn's defaults when there is no Redis."""
    port = _free_port()
    env = _gunicorn_env(
        SAMVERKA_ENVIRONMENT="test", SAMVERKA_DATABASE_URL=test_settings.database_url,
        SAMVERKA_SECRET_KEY=test_settings.secret_key, SAMVERKA_BASE_URL=f"http://127.0.0.1:{port}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
    )
    if shared:
        url, prefix = request.getfixturevalue("redis_url")
        env.update(SAMVERKA_REDIS_URL=url, SAMVERKA_REDIS_KEY_PREFIX=prefix, GUNICORN_WORKERS="3", GUNICORN_THREADS="2")
    base = f"http://127.0.0.1:{port}"
    started = utcnow()
    log = tmp_path / "gunicorn.log"  # a file, not a pipe: a full pipe would stall the server
    with log.open("wb") as out:
        server = subprocess.Popen(GUNICORN, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=out)
    try:
        _wait_until_serving(server, base, log)
        codes = []
        began = time.monotonic()
        for _ in range(100):
            browser = requests.Session()  # a fresh connection each time, so the workers share the load
            page = browser.get(f"{base}/login", timeout=30)
            token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            response = browser.post(f"{base}/login", timeout=30, data={
                "csrf_token": token, "email": "nobody@example.org", "password": "wrong"})
            codes.append(response.status_code)
            if response.status_code == 429:
                assert 0 < int(response.headers["Retry-After"]) <= 60
            browser.close()
        assert time.monotonic() - began < 60, "too slow for one window of the limit"
    finally:
        server.terminate()
        server.wait(timeout=30)
        _clear_failed_logins(test_settings, started)
    stderr = log.read_text()
    assert codes.count(401) == LOGIN_LIMIT and codes.count(429) == 100 - LOGIN_LIMIT, stderr[-3000:]
    assert stderr.count("Booting worker") == (3 if shared else 1)


def _wait_until_serving(server: subprocess.Popen, base: str, log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {log.read_text()[-3000:]}")
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or no worker booted yet
            pass
        time.sleep(0.5)
    pytest.fail("gunicorn did not start within 2 minutes")


def _clear_failed_logins(settings, since) -> None:
    # The audit log is append-only for the application role: the owner clears it.
    engine = create_engine(settings.migration_database_url or settings.database_url)
    with engine.begin() as connection:
        connection.execute(delete(AuditEvent).where(AuditEvent.action == "login.failed",
                                                    AuditEvent.user_id.is_(None), AuditEvent.occurred_at >= since))
    engine.dispose()


def test_production_refuses_several_workers_without_shared_limits():
    from core.people.vault import generate_key

    env = _gunicorn_env(
        SAMVERKA_ENVIRONMENT="production", SAMVERKA_SECRET_KEY="s" * 48, SAMVERKA_ENCRYPTION_KEY=generate_key(),
        SAMVERKA_INDEX_KEY=generate_key(), SAMVERKA_DATABASE_URL="postgresql+psycopg://app@127.0.0.1:1/none",
        SAMVERKA_BASE_URL="https://samverka.example", GUNICORN_WORKERS="3", GUNICORN_BIND=f"127.0.0.1:{_free_port()}",
    )
    refused = subprocess.run(GUNICORN, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert "3 gunicorn workers" in refused.stderr and "SAMVERKA_REDIS_URL" in refused.stderr
    assert "Booting worker" not in refused.stderr
