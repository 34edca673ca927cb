"""gunicorn settings; every value can be overridden through GUNICORN_* or the command line."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Without Redis each worker would keep its own rate-limit counts: one process, several threads.
_shared_limits = bool(os.environ.get("SAMVERKA_REDIS_URL"))
workers = int(os.environ.get("GUNICORN_WORKERS", min(4, multiprocessing.cpu_count() * 2) if _shared_limits else 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2 if workers > 1 else 8))
timeout = 30
graceful_timeout = 20
accesslog = "-"
# Paths only: query strings can carry search terms about people.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Refuse a start the settings cannot serve (SettingsError is a RuntimeError: gunicorn
    prints its message and exits 1), e.g. several workers in production without Redis."""
    from core.settings import Settings

    Settings.from_env().check_workers(server.cfg.workers)
