"""Staff users (global) and the roles they hold at tenants."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, TenantOwned, utcnow
from core.tenants.models import Tenant


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    #: argon2id hash; None for users who only sign in through their organisation's OIDC.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: Platform admins operate the installation itself, across tenants.
    is_platform_admin: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Failed sign-ins in a row; reset by a successful one.
    failed_logins: Mapped[int] = mapped_column(default=0)
    #: Sign-in refused until then (backoff that doubles with each further failure).
    locked_until: Mapped[datetime | None]
    #: The TOTP secret, encrypted with the vault and bound to this user; None when not enrolled.
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None]
    #: The last TOTP time step accepted, so a code cannot be used twice.
    totp_last_step: Mapped[int | None]

    grants: Mapped[list[RoleGrant]] = relationship(back_populates="user", cascade="all, delete-orphan")


class UserSession(Base):
    """A signed-in browser. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Refreshed at most once a minute; the idle timeout counts from it.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set at sign-out, when the user is disabled, or when a timeout is found.
    ended_at: Mapped[datetime | None]
    #: False while a second factor is still due (TOTP code, or enrolment the tenant requires).
    fully_authenticated: Mapped[bool] = mapped_column(default=True)
    client_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship()


class PasswordResetToken(Base):
    """A one-time link to set a new password; only the hash of the token is stored."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RoleGrant(Base):
    """A role held by a user at one tenant.

    Not TenantOwned (a user must see their own grants to pick a tenant), but its table has
    its own row-level policy: rows of the current tenants, or of the signed-in user.
    """

    __tablename__ = "role_grant"
    __table_args__ = (UniqueConstraint("user_id", "tenant_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)
    #: A role key: core's (tenant_admin, coordinator, auditor) or a plugin's (vip.leader, ...).
    role: Mapped[str] = mapped_column(String(63))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
    tenant: Mapped[Tenant] = relationship()


class Invitation(TenantOwned, Base):
    """A role offered to an account at a tenant, granted only when its holder accepts through
    the emailed link (signed in as that account, or choosing the new account's password).

    Only the SHA-256 of the link's token is stored.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(63))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    #: Set once, when the role is granted; the link works no more.
    accepted_at: Mapped[datetime | None]
