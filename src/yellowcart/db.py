"""Database kernel: engine, declarative base, UTC time type, transactions.

SQLite is the embedded default (WAL, ``BEGIN IMMEDIATE`` so writers queue instead of failing on lock
upgrade); PostgreSQL via psycopg 3 is the production system of record. Services never commit: callers
own the transaction through :func:`transaction`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Engine, Enum, Integer, MetaData, any_, create_engine, event, literal
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

#: Primary keys are 32-bit integers on PostgreSQL: larger ids from clients are a 422, not a 500.
MAX_ID = 2_147_483_647

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every domain's models."""

    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> dt.datetime:
    """Timezone-aware now in UTC: the only clock the domain uses."""
    return dt.datetime.now(dt.UTC)


def str_enum(enum_cls: type[enum.Enum], length: int) -> Enum:
    """Enums stored as their lowercase *values* in a VARCHAR (readable, and CHECKs can name them)."""
    return Enum(
        enum_cls,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores UTC, always returns timezone-aware UTC (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; yellowcart stores UTC-aware times only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy's begin hook issue BEGIN itself
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads then writes can fail with SQLITE_BUSY instead of
        # waiting; taking the write lock up front makes writers queue on busy_timeout.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int = 20, max_overflow: int = 20) -> Engine:
    """Engine tuned per backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = not parsed.database or parsed.database == ":memory:"
        if not in_memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        pooling = {} if in_memory else {"pool_size": pool_size, "max_overflow": max_overflow}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **pooling)
        _sqlite_pragmas(engine)
        return engine
    return create_engine(url, pool_size=pool_size, max_overflow=max_overflow, pool_recycle=1800, pool_timeout=30)


def id_in(session: Session, column: Any, ids: Iterable[int]) -> Any:
    """``column IN ids`` that stays one cached plan on PostgreSQL (``= ANY(array)``): a literal IN list
    of a few hundred ids is a new statement, planned from scratch, for every different length."""
    values = [int(i) for i in ids]
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal(values, ARRAY(Integer)))
    return column.in_(values)


def flush_guarded(session: Session, change: Callable[[], None], conflict: Callable[[], Exception]) -> None:
    """Apply ``change`` and flush it inside a savepoint, so losing a unique-key race (another
    transaction committed the same key after our check) raises ``conflict()`` (a clean 409) instead of
    a 500 and a dead transaction. Pending changes are flushed first: ``begin_nested`` would otherwise
    flush them outside the savepoint."""
    session.flush()
    try:
        with session.begin_nested():
            change()
            session.flush()
    except IntegrityError as exc:
        raise conflict() from exc


class Database:
    """An engine plus its session factory: the one handle the app, CLI and jobs share."""

    def __init__(self, url: str, *, pool_size: int = 20, max_overflow: int = 20) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size, max_overflow=max_overflow)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any exception."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
