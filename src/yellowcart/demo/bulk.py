"""The fast lane for the one big table (interaction events, ~300,000 rows at scale 1.0).

SQLAlchemy's per-row parameter processing costs more than the database's own work at that size, so
rows go to the driver directly: PostgreSQL takes them through ``COPY ... FROM STDIN`` (psycopg adapts
each Python value itself), SQLite through one ``executemany`` with values already in the form
SQLAlchemy would have bound (enum values; naive-UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` text for times;
JSON text). Both run on the session's own connection, inside its transaction. Other dialects or
drivers fall back to ordinary Core inserts.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Callable, Iterator
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Table
from sqlalchemy.orm import Session

from yellowcart.db import UTCDateTime
from yellowcart.demo.plan import Row


def fast_insert(session: Session, table: Table, rows: list[Row]) -> bool:
    """Insert ``rows`` (every column named in each) straight through the driver; False if not supported."""
    if not rows:
        return True
    connection = session.connection()
    dialect = connection.dialect
    columns = [c.name for c in table.columns]
    listing = ", ".join(columns)  # names from our own models, never user input
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        raw: Any = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({listing}) FROM STDIN") as copy:
            for values in _tuples(table, rows, sqlite=False):
                copy.write_row(values)
        return True
    if dialect.name == "sqlite":
        sql = f"INSERT INTO {table.name} ({listing}) VALUES ({', '.join('?' * len(columns))})"
        connection.exec_driver_sql(sql, [tuple(v) for v in _tuples(table, rows, sqlite=True)])
        return True
    return False


def _tuples(table: Table, rows: list[Row], *, sqlite: bool) -> Iterator[list[Any]]:
    """Each row's values in column order, converted the way SQLAlchemy's bind processing would."""
    columns = list(table.columns)
    getter = itemgetter(*(c.name for c in columns))
    conversions: list[tuple[int, Callable[[Any], Any]]] = []
    for i, column in enumerate(columns):
        if isinstance(column.type, UTCDateTime) and sqlite:
            conversions.append((i, _sqlite_time))
        elif isinstance(column.type, JSON):
            conversions.append((i, _json))
        elif getattr(column.type, "enum_class", None) is not None:
            conversions.append((i, _enum_value))
    for row in rows:
        values = list(getter(row))
        for i, convert in conversions:
            values[i] = convert(values[i])
        yield values


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def _enum_value(value: enum.Enum | None) -> Any:
    return None if value is None else value.value


def _sqlite_time(value: dt.datetime | None) -> str | None:
    """What ``UTCDateTime`` + SQLite's DATETIME bind: naive UTC, always six fractional digits."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given; yellowcart stores UTC-aware times only")
    if value.tzinfo is not dt.UTC:
        value = value.astimezone(dt.UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")
