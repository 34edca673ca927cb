"""Account rules: local users and role grants."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterable

from sqlalchemy import Select, case, func, or_, select, update
from sqlalchemy.orm import Session

from core.auth import sessions, totp
from core.auth.models import Invitation, PasswordResetToken, RoleGrant, User
from core.auth.passwords import hash_password
from core.auth.permissions import RoleRegistry
from core.db import TenancyError, as_utc, current_tenant_id, current_tenant_ids, tenant_scope, user_scope, utcnow
from core.errors import FieldError
from core.tenants.models import Tenant
from core.tokens import digest, new_token
from core.validation import clean_into

MIN_PASSWORD_LENGTH = 12
MAX_LOCKOUT = timedelta(hours=1)
RESET_VALIDITY = timedelta(hours=1)


def upsert_local_user(
    session: Session,
    roles: RoleRegistry,
    *,
    email: str,
    name: str,
    password: str | None,
    grants: list[tuple[str, Tenant]] = (),
    platform_admin: bool = False,
) -> User:
    """Create or update a local account and add ``grants`` (role key, tenant)."""
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise ValueError(f"{email!r} is not an email address")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    for role, _tenant in grants:
        if role not in roles.roles:
            raise ValueError(f"no role {role!r}; known roles: {', '.join(sorted(roles.roles))}")
    user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        user = User(email=email, name=name)
        session.add(user)
    user.name = name
    user.is_platform_admin = user.is_platform_admin or platform_admin
    if password is not None:
        user.password_hash = hash_password(password)
    session.flush()
    for role, tenant in grants:
        grant(session, user, tenant, role)
    return user


def grant(session: Session, user: User, tenant: Tenant, role: str) -> RoleGrant:
    """Give ``user`` the ``role`` at ``tenant`` (no-op when already held)."""
    with tenant_scope(tenant.id):
        existing = session.scalar(
            select(RoleGrant).where(
                RoleGrant.user_id == user.id, RoleGrant.tenant_id == tenant.id, RoleGrant.role == role
            )
        )
        if existing is not None:
            return existing
        row = RoleGrant(user_id=user.id, tenant_id=tenant.id, role=role)
        session.add(row)
        session.flush()
        return row


class AccountLocked(Exception):
    """Too many failed sign-ins: the account takes no attempts until ``until``."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until.isoformat()}")
        self.until = until


def claim_login_attempt(session: Session, user: User, now: datetime, threshold: int) -> int:
    """Count a sign-in attempt as failed before its password is checked; raises
    :class:`AccountLocked` when the account takes no attempts now.

    One ``UPDATE ... RETURNING`` counts the attempt and, from the ``threshold``-th failure in
    a row, locks the account in the same statement (1 minute, doubling up to an hour), and
    only while it is not locked: concurrent attempts queue on the row, so at most
    ``threshold`` in a row are ever evaluated. A right password then clears the count
    (:func:`record_successful_login`). Returns the count.
    """
    count = User.failed_logins + 1
    # 1, 2, 4 ... 32 minutes for the threshold-th failure and the next ones; then MAX_LOCKOUT.
    doublings = [(count == threshold + n, now + timedelta(minutes=2**n)) for n in range(6)]
    locked_until = case((count < threshold, User.locked_until), *doublings, else_=now + MAX_LOCKOUT)
    failures = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=count, locked_until=locked_until)
        .returning(User.failed_logins)
        .execution_options(synchronize_session=False)
    ).scalar()
    session.expire(user, ["failed_logins", "locked_until"])
    if failures is None:
        until = session.scalar(select(User.locked_until).where(User.id == user.id))
        raise AccountLocked(as_utc(until) if until else now)
    return failures


def record_successful_login(session: Session, user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    session.flush()


def tenant_ids_of(session: Session, user: User) -> list[int]:
    with user_scope(user.id):
        return list(session.scalars(select(RoleGrant.tenant_id).where(RoleGrant.user_id == user.id).distinct()))


def second_factor_required(session: Session, user: User) -> bool:
    """Whether the user must pass TOTP: enrolled users always; others when a tenant where
    they are admin demands it (they must enrol before they can work)."""
    return user.totp_enabled_at is not None or second_factor_required_by_tenant(session, user)


def second_factor_required_by_tenant(session: Session, user: User) -> bool:
    """Whether a tenant where ``user`` is admin demands a second factor."""
    with user_scope(user.id):
        return session.scalar(
            select(Tenant.id).join(RoleGrant, RoleGrant.tenant_id == Tenant.id)
            .where(RoleGrant.user_id == user.id, RoleGrant.role == "tenant_admin", Tenant.require_admin_totp.is_(True))
            .limit(1)
        ) is not None


def set_password(session: Session, user: User, password: str) -> None:
    """A new password; every open session of the user ends."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user.password_hash = hash_password(password)
    user.failed_logins, user.locked_until = 0, None
    sessions.end_all(session, user)
    session.flush()


def disable_user(session: Session, user: User) -> int:
    """Disable the account and end its sessions at once; returns the sessions ended."""
    user.is_active = False
    ended = sessions.end_all(session, user)
    session.flush()
    return ended


def create_password_reset(session: Session, user: User, now: datetime) -> str:
    """A one-time token valid for RESET_VALIDITY; earlier unused tokens stop working."""
    session.execute(update(PasswordResetToken).where(PasswordResetToken.user_id == user.id,
                                                     PasswordResetToken.used_at.is_(None)).values(used_at=now))
    token, token_hash = new_token()
    session.add(PasswordResetToken(token_hash=token_hash, user_id=user.id, expires_at=now + RESET_VALIDITY))
    session.flush()
    return token


def redeem_password_reset(session: Session, token: str, now: datetime) -> User | None:
    """The user a live token belongs to (the token is used up), or None."""
    row = session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token),
                                                          PasswordResetToken.used_at.is_(None)))
    if row is None or as_utc(row.expires_at) <= now:
        return None
    row.used_at = now
    session.flush()
    return session.get(User, row.user_id)


def peek_password_reset(session: Session, token: str, now: datetime) -> bool:
    row = session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == digest(token),
                                                          PasswordResetToken.used_at.is_(None)))
    return row is not None and as_utc(row.expires_at) > now


def enrol_totp(session: Session, vault, user: User, secret: str, code: str, now: float | None = None) -> bool:
    """Turn TOTP on when ``code`` proves the app has ``secret``; False when it does not."""
    step = totp.verify(secret, code, now=now)
    if step is None:
        return False
    user.totp_secret_encrypted = vault.encrypt(secret, context=_totp_context(user))
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    session.flush()
    return True


def check_totp(session: Session, vault, user: User, code: str, now: float | None = None) -> bool:
    """Whether ``code`` is the user's current TOTP code (each code works once)."""
    if user.totp_secret_encrypted is None:
        return False
    secret = vault.decrypt(user.totp_secret_encrypted, context=_totp_context(user))
    step = totp.verify(secret, code, now=now, last_step=user.totp_last_step)
    if step is None:
        return False
    user.totp_last_step = step
    session.flush()
    return True


def _totp_context(user: User) -> bytes:
    return f"user.totp:{user.id}".encode()


INVITATION_VALIDITY = timedelta(days=7)


def invite(session: Session, roles: RoleRegistry, tenant: Tenant, *, email: str, name: str, role: str,
           now: datetime, invited_by: User | None = None) -> tuple[User, str]:
    """Invite ``email`` to ``role`` at ``tenant``: nothing is granted until the account's holder
    accepts (:func:`accept_invitation`). An unknown address gets an account without a password
    (named ``name``); a known account is left as it is, whoever holds it and wherever.

    Returns the user (for the email only: what the inviter is told must not depend on it) and
    the one-time token of the invitation link.
    """
    email, name = email.strip(), name.strip()
    errors: dict[str, list[str]] = {}
    if "@" not in email or len(email) > 254 or " " in email:
        errors["email"] = ["Give a valid email address."]
    if not name or len(name) > 200:
        errors["name"] = ["Give the person's name."]
    else:
        name = clean_into(errors, "name", name)
    if role not in roles.roles:
        errors["role"] = ["Choose one of the roles in the list."]
    if errors:
        raise InvitationError(errors)
    user = session.scalar(select(User).where(func.lower(User.email) == email.lower()))
    if user is None:
        user = User(email=email, name=name)
        session.add(user)
        session.flush()
    token, token_hash = new_token()
    with tenant_scope(tenant.id):
        session.add(Invitation(user_id=user.id, role=role, token_hash=token_hash,
                               expires_at=now + INVITATION_VALIDITY, invited_by_id=invited_by.id if invited_by else None))
        session.flush()
    return user, token


def live_invitation(session: Session, token: str, now: datetime) -> Invitation | None:
    """The current tenant's invitation behind ``token`` while it can be accepted (not accepted,
    not expired, its account active), or None."""
    if not token or len(token) > 200:
        return None
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == digest(token)))
    if invitation is None or invitation.accepted_at is not None or as_utc(invitation.expires_at) <= now:
        return None
    user = session.get(User, invitation.user_id)
    return invitation if user is not None and user.is_active else None


def accept_invitation(session: Session, invitation: Invitation, user: User, tenant: Tenant, now: datetime) -> bool:
    """Grant the invitation's role to ``user``, who must be the invited account; each invitation
    is accepted once (a conditional update, so two clicks at once grant once). False when it was
    accepted already or is for another account."""
    if user.id != invitation.user_id:
        return False
    claimed = session.execute(update(Invitation).where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
                              .values(accepted_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    grant(session, user, tenant, invitation.role)
    return True


class InvitationError(FieldError):
    """The invitation form was not valid: field name -> messages (a 422)."""


def revoke(session: Session, user_id: int, tenant: Tenant, role: str) -> bool:
    """Take ``role`` at ``tenant`` from the user; False when they did not hold it."""
    with tenant_scope(tenant.id):
        row = session.scalar(select(RoleGrant).where(RoleGrant.user_id == user_id, RoleGrant.tenant_id == tenant.id,
                                                     RoleGrant.role == role))
        if row is None:
            return False
        session.delete(row)
        session.flush()
        return True


def holders(session: Session, tenant: Tenant) -> list[tuple[User, list[str]]]:
    """Everyone with a role at ``tenant`` and their roles (two queries)."""
    with tenant_scope(tenant.id):
        rows = session.execute(select(RoleGrant.user_id, RoleGrant.role).where(RoleGrant.tenant_id == tenant.id)).all()
    by_user: dict[int, list[str]] = {}
    for user_id, role in rows:
        by_user.setdefault(user_id, []).append(role)
    users = session.scalars(select(User).where(User.id.in_(by_user)).order_by(User.name)).all() if by_user else []
    return [(u, sorted(by_user[u.id])) for u in users]


def _staff_ids() -> Select:
    """A subquery of the ids of the current tenant's staff: users holding any role here."""
    return select(RoleGrant.user_id).where(RoleGrant.tenant_id == current_tenant_id())


def staff_query(ids: Iterable[int] | None = None) -> Select:
    """A SELECT of the current tenant's staff (users with any role here), by name; only those
    of ``ids`` when given. A user with roles at other tenants only is not staff here."""
    stmt = select(User).where(User.id.in_(_staff_ids()))
    if ids is not None:
        stmt = stmt.where(User.id.in_(list(ids)))
    return stmt.order_by(User.name, User.id)


def staff_of_tenant(session: Session, ids: Iterable[int] | None = None) -> list[User]:
    """The current tenant's staff (of ``ids``, when given), by name (one query)."""
    return list(session.scalars(staff_query(ids)))


def staff_roles(session: Session, users: Iterable[User]) -> dict[int, tuple[str, ...]]:
    """The roles each of ``users`` holds at the current tenant, sorted; a user with none here is
    left out (one query, whatever the number of users)."""
    ids = [u.id for u in users]
    if not ids:
        return {}
    roles: dict[int, list[str]] = {}
    for user_id, role in session.execute(select(RoleGrant.user_id, RoleGrant.role).where(
            RoleGrant.tenant_id == current_tenant_id(), RoleGrant.user_id.in_(ids))):
        roles.setdefault(user_id, []).append(role)
    return {user_id: tuple(sorted(held)) for user_id, held in roles.items()}


def staff_emails(session: Session, tenant_ids: Iterable[int]) -> dict[int, set[str]]:
    """For each of ``tenant_ids``, the addresses of its active staff (one query; tenants without
    any are left out). For aggregates over several tenants, in the caller's tenant scope (as
    core/stats sets it): the addresses are for matching, never to be shown. User accounts are
    not a tenant's rows, so the scope is applied here: a tenant outside it is left out, and
    outside any scope nothing is read (fails closed, on SQLite as under row-level security)."""
    scope = current_tenant_ids()
    if scope is None:
        raise TenancyError("staff_emails reads inside a tenant scope only")
    tenant_ids = [tenant_id for tenant_id in tenant_ids if tenant_id in scope]
    if not tenant_ids:
        return {}
    found: dict[int, set[str]] = {}
    for tenant_id, email in session.execute(
        select(RoleGrant.tenant_id, User.email).join(User, User.id == RoleGrant.user_id)
        .where(RoleGrant.tenant_id.in_(tenant_ids), User.is_active.is_(True)).distinct()
    ):
        found.setdefault(tenant_id, set()).add(email)
    return found
