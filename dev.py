#!/usr/bin/env python3
"""Set up and run Samverka from a fresh clone with nothing but python3.

    python3 dev.py demo   # virtual environment, install, migrate, demo tenants, serve on :8000
    python3 dev.py test   # the whole test suite: SQLite, then PostgreSQL when it is reachable
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TESTS = ROOT / "tests"
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
CHROMIUM = Path("/usr/bin/chromium")
DEMO_ADMIN = ("admin@samverka.demo", "samverka-demo-admin")
PG_HOST, PG_PORT = "127.0.0.1", 5432


def say(message: str) -> None:
    print(f"\033[1m==> {message}\033[0m", flush=True)


def run(*args: str | Path, env: dict | None = None, check: bool = True) -> int:
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if check and completed.returncode != 0:
        sys.exit(completed.returncode)
    return completed.returncode


#: Installed beside Samverka for the tests, each a distribution of its own: the partner test
#: plugin, whose own suite (tests/partner_plugin/tests) runs in the test suite.
TEST_DISTRIBUTIONS = (TESTS / "partner_plugin",)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project (with [test]: and TEST_DISTRIBUTIONS); skipped while
    no pyproject.toml of them has changed."""
    if not PY.exists():
        say("creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    beside = TEST_DISTRIBUTIONS if extras == "test" else ()
    if extras != "test":
        remove_test_distributions()
    projects = [ROOT, *beside]
    digest = hashlib.sha256(b"".join((p / "pyproject.toml").read_bytes() for p in projects) + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    say(f"installing Samverka{f' with [{extras}]' if extras else ''}")
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    editable = [arg for project in beside for arg in ("-e", str(project.relative_to(ROOT)))]
    run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]" if extras else ".", *editable)
    stamp.write_text(digest)


def remove_test_distributions() -> None:
    """The demo shares .venv with the tests: it must not find (and migrate) their test plugins."""
    stamp = VENV / ".installed-test"
    if not stamp.exists():
        return
    import tomllib

    names = [tomllib.loads((p / "pyproject.toml").read_text())["project"]["name"] for p in TEST_DISTRIBUTIONS]
    say("removing the test suite's plugins from .venv")
    run(PY, "-m", "pip", "uninstall", "--quiet", "--yes", *names)
    stamp.unlink()


def samverka(*args: str, env: dict | None = None) -> None:
    run(BIN / "samverka", *args, env=env)


#: The demo login's roles: every part of the demo, the national comparisons included.
DEMO_ROLES = (
    *(f"tenant_admin@{slug}" for slug in ("eskilstuna", "vejle", "huddinge", "turku")),
    "vip.coordinator@eskilstuna", "vip.trainer@eskilstuna", "vip.coordinator@huddinge",
    *(f"coordinator@{country}" for country in ("sweden", "denmark", "finland")),
)


def demo_address(environ) -> str:
    """Where deploy/gunicorn.conf.py binds with ``environ``: what the demo prints."""
    bind = environ.get("GUNICORN_BIND", "127.0.0.1:8000")
    return bind if bind.startswith(("unix:", "fd://")) else f"http://{bind}"


def demo_base_url(address: str) -> str | None:
    """The demo's SAMVERKA_BASE_URL for the address gunicorn binds: that address, with a
    wildcard host (every interface) read as this machine; None for a socket (no URL at all)."""
    if not address.startswith("http://"):
        return None
    host, _, port = address.removeprefix("http://").rpartition(":")
    return f"http://127.0.0.1:{port}" if host in ("0.0.0.0", "[::]") else address


def demo() -> None:
    ensure_venv("")
    address = demo_address(os.environ)
    env = {**os.environ, "SAMVERKA_ENVIRONMENT": "demo"}
    base_url = demo_base_url(address)
    if base_url:
        env.setdefault("SAMVERKA_BASE_URL", base_url)  # links in the demo's email lead back here
    say("migrating the embedded SQLite database (instance/samverka.db)")
    samverka("db", "upgrade", env=env)
    say("loading the demo tenants from tenants/")
    samverka("tenants", "sync", "tenants", env=env)
    email, password = DEMO_ADMIN
    roles = [f"--role={role}" for role in DEMO_ROLES]
    samverka("users", "create", email, "--name", "Demo Admin", "--password", password, "--platform-admin", *roles, env=env)
    samverka("demo", "load", env=env)
    say(f"Samverka runs on {address}")
    print(f"    log in as {email} with the password {password}\n"
          f"    email the demo sends: {address}/platform/outbox (and instance/mail/)\n"
          "    due-jobs run every minute beside the server\n    stop with Ctrl+C", flush=True)
    # One gunicorn process with several threads (deploy/gunicorn.conf.py without Redis):
    # its rate limits are counted in one place. Due-jobs run in a loop beside it and stop with it.
    jobs = subprocess.Popen([str(BIN / "samverka"), "jobs", "loop", "--every", "60"], cwd=ROOT, env=env)
    server = subprocess.Popen([str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"),
                               "core.wsgi:app"], cwd=ROOT, env=env)
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        code = server.wait()
    except KeyboardInterrupt:  # gunicorn had the Ctrl+C too, and stops on its own
        code = server.wait()
    finally:
        jobs.terminate()
        jobs.wait(timeout=30)
    sys.exit(code)


def ensure_chromium() -> None:
    """Browser tests drive Debian's chromium; install it when we may (root with apt)."""
    if CHROMIUM.exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        say("installing Debian's chromium for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        run("apt-get", "update", "-qq", env=env)
        run("apt-get", "install", "-y", "-qq", "chromium", "fonts-dejavu-core", env=env)
    else:
        say("chromium is missing and cannot be installed here: browser tests will fail in CI, skip elsewhere")


def ensure_node_packages(in_ci: bool) -> None:
    """Install tests/ npm packages (the OIDC test provider) from the lockfile with the machine's
    npm; skipped while node_modules matches the lockfile. Without npm the OIDC tests skip (fail in CI)."""
    lockfile = TESTS / "package-lock.json"
    stamp = TESTS / "node_modules" / ".samverka-lock-sha256"
    digest = hashlib.sha256(lockfile.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    npm = shutil.which("npm")
    if npm is None or shutil.which("node") is None:
        say("node and npm are missing: the OIDC tests will fail in CI, skip elsewhere")
        return
    say("installing the test suite's npm packages (npm ci in tests/)")
    code = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                          cwd=TESTS).returncode
    if code == 0:
        stamp.write_text(digest)
    elif in_ci:
        sys.exit(code)
    else:
        say("npm ci failed: the OIDC tests cannot run")


def postgres_reachable() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=2):
            return True
    except OSError:
        return False


def prepare_postgres() -> dict[str, str]:
    """A fresh database, owned by a migration role, used by a non-owner application role."""
    # Several clones on one machine (worktrees) each name their own database.
    database = os.environ.get("SAMVERKA_DEV_TEST_DATABASE", "samverka_test")
    owner, app_role = "samverka_owner", "samverka_app"
    script = f"""
import psycopg
with psycopg.connect("host={PG_HOST} port={PG_PORT} user=postgres dbname=postgres", autocommit=True) as c:
    names = "SELECT datname FROM pg_database WHERE datname = %s OR starts_with(datname, %s)"
    for db in [r[0] for r in c.execute(names, ("{database}", "{database}_"))]:
        c.execute(f'DROP DATABASE "{{db}}" WITH (FORCE)')
    for role in ("{app_role}", "{owner}"):
        if not c.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            c.execute(f'CREATE ROLE "{{role}}" LOGIN')
    c.execute('ALTER ROLE "{app_role}" NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE')
    c.execute('ALTER ROLE "{owner}" NOSUPERUSER NOBYPASSRLS CREATEDB')
    c.execute('CREATE DATABASE "{database}" OWNER "{owner}"')
with psycopg.connect("host={PG_HOST} port={PG_PORT} user=postgres dbname={database}", autocommit=True) as c:
    c.execute('ALTER SCHEMA public OWNER TO "{owner}"')
"""
    run(PY, "-c", script)
    base = f"postgresql+psycopg://{{}}@{PG_HOST}:{PG_PORT}/{database}"
    return {
        "SAMVERKA_TEST_DATABASE_URL": base.format(app_role),
        "SAMVERKA_TEST_MIGRATION_DATABASE_URL": base.format(owner),
        "SAMVERKA_TEST_DATABASE_APP_ROLE": app_role,
        "SAMVERKA_TEST_POSTGRES_ADMIN_URL": f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/postgres",
    }


def test(pytest_args: list[str]) -> None:
    in_ci = os.environ.get("CI", "").lower() == "true"
    ensure_venv("test")
    ensure_chromium()
    ensure_node_packages(in_ci)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAMVERKA_")}
    workers = ["-n", "2"] if "-n" not in pytest_args else []
    postgres = postgres_reachable()
    say("test suite on SQLite")
    # Tests that need PostgreSQL skip here when the PostgreSQL run follows; without it they fail in CI.
    sqlite_env = {**env, "SAMVERKA_TEST_POSTGRESQL_FOLLOWS": "1"} if postgres else env
    code = run(PY, "-m", "pytest", *workers, *pytest_args, env=sqlite_env, check=False)
    if postgres:
        say("test suite on PostgreSQL (row-level security, as the application role)")
        pg_env = {**env, **prepare_postgres()}
        code = run(PY, "-m", "pytest", *workers, *pytest_args, env=pg_env, check=False) or code
    elif in_ci:
        say(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}, and CI needs it")
        code = code or 1
    else:
        say(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}: the suite ran on SQLite only")
    sys.exit(code)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        print(__doc__.strip())
        sys.exit(2)
    if sys.version_info < (3, 11):
        sys.exit("Samverka needs Python 3.11 or newer")
    demo() if sys.argv[1] == "demo" else test(sys.argv[2:])


if __name__ == "__main__":
    main()
