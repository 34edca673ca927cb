"""API clients of a tenant and the access tokens issued to them (only hashes are stored)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.auth.models import User
from core.db import Base, JSONDocument, TenantOwned, Versioned, utcnow


class ApiClient(Versioned, TenantOwned, Base):
    """A machine client acting in one tenant with a fixed set of scopes."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The public identifier sent with the secret; random, unique across the installation.
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 (hex) of the secret. The secret has 256 random bits, so a slow hash adds no
    #: protection, and the unauthenticated token endpoint must stay cheap to call.
    secret_hash: Mapped[str] = mapped_column(String(64))
    #: Raised by each rotation; a token issued under an older secret no longer works.
    secret_version: Mapped[int] = mapped_column(default=1)
    #: Permission keys the client may act with: a scope is a permission key.
    scopes: Mapped[list[str]] = mapped_column(JSONDocument)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    #: Set once; a revoked client gets no tokens and its tokens stop working at once.
    revoked_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class ApiToken(TenantOwned, Base):
    """An opaque bearer token issued to a client; valid until it expires or the client changes."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_client_id: Mapped[int] = mapped_column(ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    #: SHA-256 (hex) of the access token; the token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The scopes granted to this token: the client's, or the part of them it asked for.
    scopes: Mapped[list[str]] = mapped_column(JSONDocument)
    #: The client's secret_version when the token was issued.
    secret_version: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]

    client: Mapped[ApiClient] = relationship()
