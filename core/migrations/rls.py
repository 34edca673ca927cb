"""Row-level security on PostgreSQL for every table with a tenant_id, applied after upgrade."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

POLICY = "tenant_isolation"

FUNCTIONS = """
CREATE OR REPLACE FUNCTION samverka_tenant_ids() RETURNS integer[]
LANGUAGE sql STABLE AS
$$ SELECT string_to_array(nullif(current_setting('samverka.tenant_ids', true), ''), ',')::integer[] $$;

CREATE OR REPLACE FUNCTION samverka_user_id() RETURNS integer
LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('samverka.user_id', true), '')::integer $$;
"""

#: Tables whose rows a user may also see outside the tenant scope, and by which rule.
EXTRA_VISIBILITY = {
    # A user lists their own grants to choose a tenant before any tenant is in scope.
    "role_grant": "user_id = samverka_user_id()",
    # A user may see their own sign-in events, which belong to no tenant.
    "audit_event": "tenant_id IS NULL AND user_id = samverka_user_id()",
}
#: Rows the application may also insert outside the tenant scope, and by which rule.
EXTRA_INSERT = {
    # Sign-in events happen before any tenant is chosen.
    "audit_event": "tenant_id IS NULL",
}
#: Tables the application may add to but never change (the audit log).
APPEND_ONLY: set[str] = {"audit_event"}


def tenant_tables(connection: Connection) -> list[str]:
    return list(
        connection.scalars(
            text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE table_schema = current_schema() AND column_name = 'tenant_id' "
                "ORDER BY table_name"
            )
        )
    )


def apply(connection: Connection, app_role: str | None) -> list[str]:
    """Enable and force RLS with the tenant policy on every tenant table; grant the app role.

    Idempotent: policies are recreated so a changed rule reaches existing tables.
    Returns the tenant tables it secured.
    """
    if connection.dialect.name != "postgresql":
        return []
    connection.execute(text(FUNCTIONS))
    tables = tenant_tables(connection)
    for table in tables:
        quoted = connection.dialect.identifier_preparer.quote(table)
        rule = "tenant_id = ANY (samverka_tenant_ids())"
        if table in EXTRA_VISIBILITY:
            using = f"({rule}) OR ({EXTRA_VISIBILITY[table]})"
        else:
            using = rule
        connection.execute(text(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY"))
        connection.execute(text(f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY"))
        connection.execute(text(f"DROP POLICY IF EXISTS {POLICY} ON {quoted}"))
        check = f"({rule}) OR ({EXTRA_INSERT[table]})" if table in EXTRA_INSERT else rule
        connection.execute(
            text(f"CREATE POLICY {POLICY} ON {quoted} USING ({using}) WITH CHECK ({check})")
        )
    if app_role:
        _grant(connection, app_role)
    return tables


def _grant(connection: Connection, role: str) -> None:
    quoted_role = connection.dialect.identifier_preparer.quote(role)
    connection.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted_role}"))
    connection.execute(
        text(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted_role}")
    )
    connection.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted_role}"))
    connection.execute(text(f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {quoted_role}"))
    for table in sorted(APPEND_ONLY):
        connection.execute(text(f"REVOKE UPDATE, DELETE ON {table} FROM {quoted_role}"))
