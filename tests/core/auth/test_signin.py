"""Sign-in: server-side sessions and their timeouts, lockout, TOTP, password reset, rate limits."""

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core.auth import services, totp
from core.auth.models import User, UserSession
from core.db import as_utc, utcnow

PASSWORD = "correct horse battery staple"


@pytest.fixture
def account(make_tenant, make_user):
    tenant = make_tenant()
    user = make_user(("staff", tenant), email="sara@example.org", password=PASSWORD)
    return tenant, user


def _log_in(client, email="sara@example.org", password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def test_rfc6238_vectors():
    secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # "12345678901234567890" in base32
    assert totp.code_at(secret, 59) == "287082"
    assert totp.code_at(secret, 1111111109) == "081804"
    assert totp.verify(secret, "287 082", now=59) == 1
    assert totp.verify(secret, "287082", now=59, last_step=1) is None  # a code works once


@pytest.mark.parametrize("code", ["²²²²²²", "１２３４５６", "١٢٣٤٥٦"])
def test_a_code_of_other_digits_is_wrong_not_an_error(code):
    """str.isdigit() accepts these; hmac.compare_digest refuses non-ASCII text with a TypeError."""
    assert totp.verify("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", code, now=59) is None


def test_the_cookie_carries_a_session_token_and_sign_in_starts_a_new_one(client, account, db_session):
    tenant, user = account
    with client.session_transaction() as before:
        before["sid"] = "planted-by-an-attacker"
    _log_in(client)
    with client.session_transaction() as after:
        assert after["sid"] != "planted-by-an-attacker" and "user_id" not in after
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    assert db_session.scalar(select(UserSession).where(UserSession.user_id == user.id)).client_address == "127.0.0.1"


def test_logout_ends_the_session_on_the_server(client, account):
    tenant, _user = account
    _log_in(client)
    with client.session_transaction() as stolen:
        token = stolen["sid"]
    client.post("/logout")
    with client.session_transaction() as replay:
        replay["sid"] = token
    assert client.get(f"/t/{tenant.slug}/").status_code == 302


@pytest.mark.parametrize(("field", "age"), [("last_seen_at", timedelta(minutes=31)), ("created_at", timedelta(hours=13))])
def test_idle_and_absolute_timeouts(client, account, db_session, field, age):
    tenant, user = account
    _log_in(client)
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    db_session.execute(update(UserSession).where(UserSession.user_id == user.id).values(**{field: utcnow() - age}))
    db_session.commit()
    assert client.get(f"/t/{tenant.slug}/").headers["Location"].startswith("/login")


def test_activity_keeps_a_session_alive(client, account, db_session):
    tenant, user = account
    _log_in(client)
    db_session.execute(update(UserSession).where(UserSession.user_id == user.id)
                       .values(last_seen_at=utcnow() - timedelta(minutes=29)))
    db_session.commit()
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    last_seen = db_session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == user.id))
    assert utcnow() - as_utc(last_seen) < timedelta(minutes=1)


def test_disabling_a_user_ends_their_sessions(client, account, db_session):
    tenant, user = account
    _log_in(client)
    assert services.disable_user(db_session, db_session.get(User, user.id)) == 1
    db_session.commit()
    assert client.get(f"/t/{tenant.slug}/").status_code == 302


def test_repeated_failures_lock_the_account_with_growing_backoff(client, account, db_session):
    _tenant, user = account
    for _ in range(5):
        assert _log_in(client, password="wrong").status_code == 401
    locked = _log_in(client)  # even the right password waits
    assert locked.status_code == 401 and "Too many failed attempts" in locked.text
    first_lock = db_session.scalar(select(User.locked_until).where(User.id == user.id))
    db_session.execute(update(User).where(User.id == user.id).values(locked_until=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    _log_in(client, password="wrong again")
    second_lock = db_session.scalar(select(User.locked_until).where(User.id == user.id))
    assert first_lock is not None
    assert as_utc(second_lock) - utcnow() > timedelta(minutes=1, seconds=30)  # 2 minutes, then 4, ...


def test_a_success_resets_the_failure_count(client, account, db_session):
    _tenant, user = account
    for _ in range(3):
        _log_in(client, password="wrong")
    assert _log_in(client).status_code == 302
    assert db_session.scalar(select(User.failed_logins).where(User.id == user.id)) == 0


def _enrol(client, db_session, user):
    page = client.get("/account/security").text
    secret = re.search(r'name="secret" value="([A-Z2-7]+)"', page).group(1)
    assert "<svg" in page  # the QR code, inline
    response = client.post("/account/security", data={"action": "enrol", "secret": secret,
                                                      "code": totp.code_at(secret, time.time())})
    assert response.status_code == 302
    db_session.execute(update(User).where(User.id == user.id).values(totp_last_step=None))
    db_session.commit()
    return secret


def test_totp_enrolment_then_sign_in_needs_the_code(client, account, db_session):
    tenant, user = account
    _log_in(client)
    secret = _enrol(client, db_session, user)
    client.post("/logout")
    assert _log_in(client).headers["Location"] == "/login/code"
    assert client.get(f"/t/{tenant.slug}/").status_code == 302  # not signed in before the code
    assert client.post("/login/code", data={"code": "000000"}).status_code == 401
    code = totp.code_at(secret, time.time())
    assert client.post("/login/code", data={"code": code}).status_code == 302
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    client.post("/logout")
    _log_in(client)
    assert client.post("/login/code", data={"code": code}).status_code == 401  # the same code, replayed


def test_a_tenant_can_require_admins_to_enrol(client, make_tenant, make_user, db_session):
    from core.tenants.models import Tenant

    tenant = make_tenant()
    db_session.execute(update(Tenant).where(Tenant.id == tenant.id).values(require_admin_totp=True))
    db_session.commit()
    admin = make_user(("tenant_admin", tenant), email="boss@example.org", password=PASSWORD)
    response = _log_in(client, email="boss@example.org")
    assert response.headers["Location"] == "/login/code"
    assert client.get("/login/code").headers["Location"] == "/account/security"
    assert client.get(f"/t/{tenant.slug}/").status_code == 302
    _enrol(client, db_session, admin)
    assert client.get(f"/t/{tenant.slug}/").status_code == 200
    page = client.post("/account/security", data={"action": "disable", "code": "123456"})
    assert "requires two-step sign-in" in page.text


def test_password_reset_by_email_link(client, account, db_session, smtp, app):
    from core.jobs.mail import SmtpSender
    from core.jobs.services import deliver_outbox
    from core.db import tenant_scope

    tenant, user = account
    _log_in(client)
    other_browser = app.test_client()
    assert "link to set a new password is on its way" in other_browser.post(
        "/password/forgot", data={"email": "SARA@example.org"}).text
    assert "link to set a new password is on its way" in other_browser.post(
        "/password/forgot", data={"email": "nobody@example.org"}).text  # the same answer
    sender = SmtpSender(host=smtp.host, port=smtp.port, mail_from="noreply@samverka.test")
    with tenant_scope(tenant.id):
        assert deliver_outbox(db_session, sender, utcnow()).sent == 1
    body = smtp.messages[0].message.get_content()
    link = re.search(r"https://samverka\.example\.org(/password/reset/\S+)", body).group(1)  # the base URL
    mismatch = other_browser.post(link, data={"password": "a new long password", "password_again": "different"})
    assert mismatch.status_code == 422
    assert other_browser.post(link, data={"password": "a new long password",
                                          "password_again": "a new long password"}).status_code == 302
    assert other_browser.get(link).status_code == 404  # used up
    assert client.get(f"/t/{tenant.slug}/").status_code == 302  # old sessions ended
    assert _log_in(other_browser, password="a new long password").status_code == 302


def test_an_expired_reset_link_does_not_work(client, account, db_session):
    _tenant, user = account
    token = services.create_password_reset(db_session, db_session.get(User, user.id), utcnow() - timedelta(hours=2))
    db_session.commit()
    assert client.get(f"/password/reset/{token}").status_code == 404


def test_login_is_rate_limited_per_address(client, account):
    codes = [_log_in(client, email="nobody@example.org", password="x").status_code for _ in range(21)]
    assert codes == [401] * 20 + [429]
    refused = _log_in(client)  # even the right password waits
    assert refused.status_code == 429 and 0 < int(refused.headers["Retry-After"]) <= 60
    assert "Too many attempts" in refused.text  # the error page, not a bare 429
    other = client.post("/login", data={"email": "x@example.org", "password": "x"},
                        environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other.status_code == 401  # counted per address
    assert client.get("/login").status_code == 200  # only attempts count, not the page


def test_a_rate_limited_api_call_is_problem_json_with_retry_after(app, client, make_tenant):
    tenant = make_tenant()
    url = f"/api/v1/t/{tenant.slug}/oauth/token"
    codes = [client.post(url, data={"grant_type": "client_credentials"}).status_code for _ in range(61)]
    assert codes[:60] == [401] * 60 and codes[60] == 429
    refused = client.post(url, data={"grant_type": "client_credentials"})
    assert refused.mimetype == "application/problem+json" and refused.get_json()["status"] == 429
    assert int(refused.headers["Retry-After"]) > 0
