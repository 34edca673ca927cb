"""Settings read from SAMVERKA_* environment variables; the defaults serve the embedded demo."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
from urllib.parse import urlsplit

#: Marks the demo's well-known key material: fine on a laptop, refused in production.
DEMO_SECRET = "samverka-demo-secret-not-for-production"
DEMO_ENCRYPTION_KEY = "c2FtdmVya2EtZGVtby1lbmNyeXB0aW9uLWtleS0zMmI="
DEMO_INDEX_KEY = "c2FtdmVya2EtZGVtby1ibGluZC1pbmRleC1rZXktMzI="

#: The demo's base URL: refused in production, where links in emails must reach the real site.
DEMO_BASE_URL = "http://127.0.0.1:8000"
#: Hosts a laptop reaches the demo and tests reach the app by (Flask's test client is localhost).
LOCAL_HOSTS = ("localhost", "127.0.0.1")

INSTANCE_DIR = Path(os.environ.get("SAMVERKA_INSTANCE_DIR", Path.cwd() / "instance"))


class SettingsError(RuntimeError):
    """Raised when the environment does not describe a runnable configuration."""


@dataclass(frozen=True)
class Settings:
    """Every knob of a Samverka deployment; build with :func:`Settings.from_env`."""

    #: "demo" serves the embedded demo; "production" refuses demo secrets.
    environment: str = "demo"
    database_url: str = f"sqlite:///{INSTANCE_DIR / 'samverka.db'}"
    #: The table owner used by migrations; the app itself connects as a role without it.
    migration_database_url: str | None = None
    #: The role the application connects as on PostgreSQL; migrations grant it DML.
    database_app_role: str | None = None
    secret_key: str = DEMO_SECRET
    encryption_key: str = DEMO_ENCRYPTION_KEY
    #: Retired encryption keys, comma separated, still accepted for decryption.
    old_encryption_keys: tuple[str, ...] = ()
    index_key: str = DEMO_INDEX_KEY
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Samverka <noreply@samverka.localhost>"
    #: Deliver email as .eml files into this folder instead of SMTP; the demo's default
    #: (instance/mail) when no SAMVERKA_SMTP_HOST is set.
    mail_folder: str | None = None
    #: Redis for rate limits shared by every worker and replica; memory of each process without it.
    redis_url: str | None = None
    #: Starts every Redis key of this installation, so installations can share one Redis.
    redis_key_prefix: str = "samverka"
    default_language: str = "en"
    languages: tuple[str, ...] = ("sv", "da", "fi", "en")
    #: The clock of pages outside any tenant (the platform's own pages); a tenant's pages
    #: keep the tenant's clock.
    timezone: str = "Europe/Stockholm"
    #: The public address every link that leaves a request (emails, feeds) starts with, never the
    #: request's Host header; its host is also the one host requests are answered for.
    base_url: str = DEMO_BASE_URL
    #: More host names requests may name (comma separated; a leading dot allows subdomains).
    trusted_hosts: tuple[str, ...] = ()
    #: Plugins to leave out even when installed (comma separated keys).
    disabled_plugins: tuple[str, ...] = ()
    log_level: str = "INFO"
    #: Minutes an API client's access token works (OAuth2 client credentials).
    api_token_minutes: int = 15
    #: A signed-in session ends after this many idle minutes ...
    session_idle_minutes: int = 30
    #: ... and after this many hours whatever happens.
    session_absolute_hours: int = 12
    #: Failed sign-ins in a row before the account is locked for a while.
    lockout_threshold: int = 5
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def allowed_hosts(self) -> list[str]:
        """Flask's ``TRUSTED_HOSTS``: the base URL's host, the extra ones, and outside production
        localhost and 127.0.0.1. A request naming any other Host is a 400."""
        hosts = [urlsplit(self.base_url).hostname or "", *self.trusted_hosts]
        if not self.is_production:
            hosts += LOCAL_HOSTS
        return list(dict.fromkeys(h for h in hosts if h))

    @property
    def is_postgresql(self) -> bool:
        return self.database_url.startswith("postgresql")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides) -> "Settings":
        """Read ``SAMVERKA_<FIELD>`` for every field, apply ``overrides`` and validate."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get(f"SAMVERKA_{f.name.upper()}")
            if raw is None or f.name == "extra":
                continue
            values[f.name] = _coerce(f.type, raw, f.name)
        if values.get("environment", cls.environment) == "demo" and "smtp_host" not in values:
            values.setdefault("mail_folder", str(INSTANCE_DIR / "mail"))  # the demo shows its mail on a page
        settings = replace(cls(), **values, **overrides)
        settings.validate()
        return settings

    def validate(self) -> None:
        """Refuse a production start on demo secrets or missing keys, naming what is wrong."""
        if self.environment not in {"demo", "production", "test"}:
            raise SettingsError(
                f"SAMVERKA_ENVIRONMENT must be demo, production or test, not {self.environment!r}"
            )
        base = urlsplit(self.base_url)
        if base.scheme not in {"http", "https"} or not base.hostname or base.query or base.fragment:
            raise SettingsError(f"SAMVERKA_BASE_URL must be an http(s) address such as https://samverka.example.org, "
                                f"not {self.base_url!r}")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SettingsError(f"SAMVERKA_TIMEZONE must be a time zone such as Europe/Stockholm, not {self.timezone!r}") from None
        if not self.is_production:
            return
        problems = []
        if self.secret_key == DEMO_SECRET or len(self.secret_key) < 32:
            problems.append("SAMVERKA_SECRET_KEY must be a random value of at least 32 characters")
        if self.encryption_key == DEMO_ENCRYPTION_KEY:
            problems.append("SAMVERKA_ENCRYPTION_KEY must be set (samverka keys generate)")
        if self.index_key == DEMO_INDEX_KEY:
            problems.append("SAMVERKA_INDEX_KEY must be set (samverka keys generate)")
        if self.database_url.startswith("sqlite"):
            problems.append("SAMVERKA_DATABASE_URL must point at PostgreSQL in production")
        if self.base_url == DEMO_BASE_URL or base.hostname in LOCAL_HOSTS:
            problems.append("SAMVERKA_BASE_URL must be the public address (https://...) that links in emails use")
        if problems:
            raise SettingsError("Refusing to start in production:\n  - " + "\n  - ".join(problems))

    def check_workers(self, workers: int) -> None:
        """Refuse several worker processes in production when rate limits are not shared:
        each worker would count alone and let a multiple of every limit through."""
        if self.is_production and workers > 1 and not self.redis_url:
            raise SettingsError(
                f"Refusing to start in production: {workers} gunicorn workers would each keep their own "
                "rate-limit counts. Set SAMVERKA_REDIS_URL to share them, or run one worker (GUNICORN_WORKERS=1)."
            )


def _coerce(annotation: object, raw: str, name: str) -> object:
    kind = str(annotation)
    if "tuple" in kind:
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    if kind == "int":
        try:
            return int(raw)
        except ValueError:
            raise SettingsError(f"SAMVERKA_{name.upper()} must be a whole number, not {raw!r}") from None
    if kind == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    return raw
