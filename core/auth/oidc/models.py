"""A tenant's OpenID Connect provider, and the sign-ins started with it but not yet finished."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, JSONDocument, TenantOwned, utcnow


class TenantIdentityProvider(TenantOwned, Base):
    """The identity provider a tenant's staff sign in with (one per tenant)."""

    __tablename__ = "tenant_identity_provider"
    __table_args__ = (UniqueConstraint("tenant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shown on the login page as "Log in with <display_name>".
    display_name: Mapped[str] = mapped_column(String(100))
    #: The issuer identifier; discovery is read from <issuer>/.well-known/openid-configuration.
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    #: The name of the environment variable that holds the client secret (never the secret);
    #: None for a public client that proves itself with PKCE alone.
    client_secret_ref: Mapped[str | None] = mapped_column(String(100))
    #: Lower-case email domains whose addresses may sign in; an empty list lets no one in.
    allowed_domains: Mapped[list[str]] = mapped_column(JSONDocument, default=list)
    #: True: an unknown user is created at first sign-in; False: they must have been invited
    #: (an account with that address and a role at this tenant).
    create_users: Mapped[bool] = mapped_column(default=False)
    #: The role given at this tenant to a user created (or let in) at first sign-in; None: none.
    default_role: Mapped[str | None] = mapped_column(String(63))
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OidcLoginState(TenantOwned, Base):
    """One started sign-in: what the callback needs to finish it, usable exactly once."""

    __tablename__ = "oidc_login_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 (hex) of the state parameter; the state itself is only in the URL and the browser's session.
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: Sent in the authorization request; the ID token must carry it back.
    nonce: Mapped[str] = mapped_column(String(128))
    #: The PKCE verifier whose S256 challenge went out with the authorization request.
    code_verifier: Mapped[str] = mapped_column(String(128))
    #: The callback URL sent with the authorization request, sent again with the token request.
    redirect_uri: Mapped[str] = mapped_column(String(500))
    #: Where to go after signing in (a same-site path), if the sign-in started on a deep link.
    next_path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    #: Set when the callback takes the state; a second use is refused.
    used_at: Mapped[datetime | None]
