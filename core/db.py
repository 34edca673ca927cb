"""Engine, sessions, declarative base and central tenant scoping (fail closed)."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Iterator

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    MetaData,
    Table,
    TypeDecorator,
    create_engine,
    Integer,
    event,
    literal_column,
    text,
)
from sqlalchemy.sql import visitors
from sqlalchemy.sql.dml import UpdateBase
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import Join, Select, SelectBase
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    ORMExecuteState,
    Session,
    declared_attr,
    mapped_column,
    scoped_session,
    sessionmaker,
    with_loader_criteria,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: The PostgreSQL setting that row-level security policies read, set per transaction.
TENANT_SETTING = "samverka.tenant_ids"
USER_SETTING = "samverka.user_id"


#: The largest id a row can have (PostgreSQL ``integer``): larger ids in URLs and bodies are
#: refused before they reach the database driver, which would overflow (a 500).
MAX_ID = 2**31 - 1

#: JSON documents: JSONB on PostgreSQL (indexable, comparable), JSON text on SQLite.
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time (SQLite returns them) is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class UtcDateTime(TypeDecorator):
    """A moment, the same on every engine: stored in UTC, read back aware.

    SQLite keeps no offset: without this it would store 10:00+02:00 as 10:00 and hand back
    naive values, which compare wrongly and are no RFC 3339 date-time in an API answer.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        return as_utc(value) if isinstance(value, datetime) else value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime()}


class TenancyError(RuntimeError):
    """A tenant-owned row was touched outside a tenant, or across tenants."""


_tenant_ids: ContextVar[frozenset[int] | None] = ContextVar("samverka_tenant_ids", default=None)
_user_id: ContextVar[int | None] = ContextVar("samverka_user_id", default=None)


class TenantOwned:
    """Mixin for every row that belongs to one tenant; scoped centrally, never per query."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        return mapped_column(ForeignKey("tenant.id", ondelete="CASCADE"), index=True)


class Versioned:
    """Mixin for every row the API serves as a resource: ``version`` and ``updated_at``.

    ``version`` is SQLAlchemy's version counter: every ORM update adds ``WHERE version = <the
    version read>`` and raises ``StaleDataError`` when someone else changed the row meanwhile, so
    two writers can never silently overwrite each other; the API's ``ETag`` is made from it and
    an ``If-Match`` is compared with it. A bulk ``update()`` bumps it too (its ``onupdate``).
    ``updated_at`` is when the row last changed, for incremental sync (``updated_since``).
    """

    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1",
                                         onupdate=literal_column("version") + 1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict:
        return {"version_id_col": cls.__table__.c.version}


def current_tenant_ids() -> frozenset[int] | None:
    """The tenants the current unit of work may see, or None outside any tenant."""
    return _tenant_ids.get()


def current_tenant_id() -> int:
    """The single tenant of the current request; raises when there is none or several."""
    ids = _tenant_ids.get()
    if not ids or len(ids) != 1:
        raise TenancyError("this needs exactly one current tenant")
    return next(iter(ids))


@contextmanager
def tenant_scope(*tenant_ids: int) -> Iterator[None]:
    """Run the block inside the given tenants (one for requests; several only for aggregates)."""
    if not tenant_ids:
        raise TenancyError("tenant_scope needs at least one tenant id")
    token = _tenant_ids.set(frozenset(int(t) for t in tenant_ids))
    try:
        _sync_open_transaction()
        yield
    finally:
        _tenant_ids.reset(token)
        _sync_open_transaction()


@contextmanager
def user_scope(user_id: int | None) -> Iterator[None]:
    """Mark the signed-in user, which the role-grant policy lets read its own grants."""
    token = _user_id.set(user_id)
    try:
        _sync_open_transaction()
        yield
    finally:
        _user_id.reset(token)
        _sync_open_transaction()


class Database:
    """One engine and one scoped session factory; the app keeps exactly one."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False))

    def configure(self, url: str, **engine_options) -> None:
        if url.startswith("sqlite"):
            # A writer waits up to 15 s for another (the demo's jobs loop) instead of failing.
            engine_options.setdefault("connect_args", {"check_same_thread": False, "timeout": 15})
        else:
            engine_options.setdefault("pool_pre_ping", True)
        if self.engine is not None:
            self.engine.dispose()  # a second app in one process (tests) must not strand connections
        self.engine = create_engine(url, **engine_options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
            event.listen(self.engine, "begin", _sqlite_begin)
        self.session.remove()
        self.session.configure(bind=self.engine)

    @property
    def is_postgresql(self) -> bool:
        return self.engine is not None and self.engine.dialect.name == "postgresql"

    def dispose(self) -> None:
        self.session.remove()
        if self.engine is not None:
            self.engine.dispose()


db = Database()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; we emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection) -> None:
    # SQLite has one writer. A deferred BEGIN that reads and then writes fails at once with
    # "database is locked" when another connection writes meanwhile (its busy wait would
    # deadlock); IMMEDIATE takes the write lock first, so transactions queue instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _setting_value() -> tuple[str, str]:
    ids = _tenant_ids.get() or frozenset()
    user = _user_id.get()
    return ",".join(str(i) for i in sorted(ids)), "" if user is None else str(user)


def apply_rls_settings(connection) -> None:
    """Set the tenant and user settings for this transaction only (``is_local`` = true)."""
    if connection.dialect.name != "postgresql":
        return
    tenants, user = _setting_value()
    connection.execute(
        text("SELECT set_config(:t, :tv, true), set_config(:u, :uv, true)"),
        {"t": TENANT_SETTING, "tv": tenants, "u": USER_SETTING, "uv": user},
    )


def _sync_open_transaction() -> None:
    """Re-apply the settings when the scope changes inside an open transaction."""
    if not db.session.registry.has():
        return
    session = db.session.registry()
    if session.in_transaction():
        apply_rls_settings(session.connection())


@event.listens_for(Session, "after_begin")
def _after_begin(session: Session, transaction, connection) -> None:
    apply_rls_settings(connection)


def _tenant_tables() -> frozenset:
    return frozenset(m.local_table for m in Base.registry.mappers if issubclass(m.class_, TenantOwned))


def _through_class(element) -> bool:
    return "parententity" in getattr(element, "_annotations", {})


def _bare_tables_of(select_: Select, tables: frozenset) -> set[str]:
    """The tenant tables ``select_`` reads bare (not through their mapped class) that no
    mapped column of the same SELECT explains. The ORM itself leaves a bare table behind
    where a mapped column implies a FROM (``.where(Person.first_name == ...)`` after a join,
    ``select(Application.id)`` inside ``IN``); those are fine."""
    bare = {c.name for c in select_.get_children()
            if isinstance(c, Table) and c in tables and not _through_class(c)}
    if not bare:
        return bare
    explained, stack = set(), [c for c in select_.get_children() if not isinstance(c, Table)]
    while stack:
        element = stack.pop()
        if isinstance(element, SelectBase):
            continue  # a nested SELECT answers for itself
        if isinstance(element, ColumnClause) and _through_class(element) and element.table is not None:
            explained.add(element.table.name)
        stack.extend(element.get_children())
    return bare - explained


def _touches_tenant_tables(statement) -> bool:
    """Whether ``statement`` reads a tenant-owned table anywhere (subqueries included).

    A table reached without its mapped class (``Person.__table__``) is refused: the tenant
    criteria attach to mapped classes, so such a query could read across tenants.
    """
    tables = _tenant_tables()
    found = False
    for element in visitors.iterate(statement):
        if isinstance(element, Table) and element in tables:
            found = True
        if isinstance(element, Select):
            bare = _bare_tables_of(element, tables)
        elif isinstance(element, (Join, UpdateBase)):
            parts = (element.left, element.right) if isinstance(element, Join) else (element.table,)
            bare = {t.name for t in parts if isinstance(t, Table) and t in tables and not _through_class(t)}
        else:
            continue
        if bare:
            raise TenancyError(f"query {sorted(bare)[0]} through its mapped class, not its table")
    return found


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria travel with the parent query's options
    if not (state.is_select or state.is_update or state.is_delete):
        return
    direct = any(issubclass(m.class_, TenantOwned) for m in state.all_mappers)
    if not direct and not _touches_tenant_tables(state.statement):
        return
    ids = _tenant_ids.get()
    if not ids:
        raise TenancyError("a tenant-owned table was queried outside any tenant")
    if len(ids) == 1:
        tenant_id = next(iter(ids))
        criteria = with_loader_criteria(
            TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    else:
        tenant_list = sorted(ids)
        criteria = with_loader_criteria(
            TenantOwned, lambda cls: cls.tenant_id.in_(tenant_list), include_aliases=True
        )
    # On the outermost statement the criteria also reach ORM subqueries (counts of a page).
    state.statement = state.statement.options(criteria)


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _context, _instances) -> None:
    ids = _tenant_ids.get()
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if obj.tenant_id is None:
            if not ids or len(ids) != 1:
                raise TenancyError(f"cannot add a {type(obj).__name__} outside exactly one tenant")
            obj.tenant_id = next(iter(ids))
        elif not ids or obj.tenant_id not in ids:
            raise TenancyError(f"cannot add a {type(obj).__name__} to a tenant outside the scope")
    for obj in session.dirty:
        if isinstance(obj, TenantOwned) and (not ids or obj.tenant_id not in ids):
            raise TenancyError(f"cannot change a {type(obj).__name__} outside its tenant")
