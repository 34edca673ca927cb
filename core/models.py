"""Imports every model module of core and of installed plugins, so metadata is complete."""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

from core.db import Base

CORE_MODEL_MODULES = (
    "core.tenants.models",
    "core.auth.models",
    "core.auth.oidc.models",
    "core.jobs.models",
    "core.people.models",
    "core.sessions.models",
    "core.audit.models",
    "core.auth.api_clients.models",
    "core.idempotency.models",
)


def metadata() -> MetaData:
    for name in CORE_MODEL_MODULES:
        importlib.import_module(name)
    return Base.metadata
