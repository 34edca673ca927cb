"""Unbound extension objects, bound to each app in core.app.create_app (avoids import cycles)."""

from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from core.db import db

babel = Babel()
csrf = CSRFProtect()

__all__ = ["babel", "csrf", "db"]
