"""Generic table access for the registry: read any table's rows as plain JSON values, update or delete
rows by column equality. Works on the metadata's Core tables by name, so the registry can cover a
table without importing its domain's code (and a table another engineer has not added yet is simply
absent: :func:`table` returns None)."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import enum
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, delete, select, update
from sqlalchemy.orm import Session

from yellowcart.models import Base

#: What replaces a personal text field that must stay non-empty (a name on a shipped order).
ERASED = "[erased]"
#: Machine codes ("cancelled_by_request", "payment_timeout") are not personal; anything else a person
#: typed (a cancel reason, a note) is treated as free text and erased.
_CODE = re.compile(r"^[a-z0-9_.:\-]{1,64}$")

Row = dict[str, Any]
Where = Callable[[Table], ColumnElement[bool]]


def table(name: str) -> Table | None:
    """The table by name, or None when its domain does not define it (yet)."""
    return Base.metadata.tables.get(name)


def plain(value: Any) -> Any:
    """A column value as JSON: times in ISO 8601 (UTC), decimals as text, enums as their values."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, bytes | bytearray | memoryview):
        return {"base64": base64.b64encode(bytes(value)).decode()}
    return value


def is_free_text(value: object) -> bool:
    return isinstance(value, str) and value != ERASED and not _CODE.match(value)


def _clauses(t: Table, eq: Mapping[str, Any], where: Iterable[Where]) -> list[ColumnElement[bool]] | None:
    """Equality (or IN, for a collection) per column; None if a column is missing or an IN list is empty."""
    clauses: list[ColumnElement[bool]] = []
    for name, value in eq.items():
        if name not in t.c:
            return None
        if isinstance(value, Collection) and not isinstance(value, str):
            if not value:
                return None
            clauses.append(t.c[name].in_(list(value)))
        else:
            clauses.append(t.c[name] == value)
    clauses.extend(w(t) for w in where)
    return clauses


def rows(
    session: Session, name: str, *, exclude: Collection[str] = (), where: Iterable[Where] = (), **eq: Any
) -> list[Row]:
    """Rows of ``name`` matching ``eq`` (and ``where``), in primary-key order, as plain dicts."""
    t = table(name)
    clauses = _clauses(t, eq, where) if t is not None else None
    if t is None or clauses is None:
        return []
    cols = [c for c in t.c if c.name not in exclude]
    found = session.execute(select(*cols).where(and_(*clauses)).order_by(*t.primary_key.columns))
    return [{c.name: plain(v) for c, v in zip(cols, r, strict=True)} for r in found]


def ids(session: Session, name: str, column: str = "id", **eq: Any) -> list[Any]:
    t = table(name)
    clauses = _clauses(t, eq, ()) if t is not None else None
    if t is None or clauses is None or column not in t.c:
        return []
    return list(session.scalars(select(t.c[column]).where(and_(*clauses)).order_by(t.c[column])))


def update_rows(
    session: Session, name: str, values: Mapping[str, Any], *, where: Iterable[Where] = (), **eq: Any
) -> int:
    """UPDATE ``name`` SET ``values`` (columns the table lacks are skipped); how many rows changed."""
    t = table(name)
    clauses = _clauses(t, eq, where) if t is not None else None
    if t is None or clauses is None:
        return 0
    present = {k: v for k, v in values.items() if k in t.c}
    if not present:
        return 0
    result = session.execute(update(t).where(and_(*clauses)).values(present))
    return int(getattr(result, "rowcount", 0) or 0)


def delete_rows(session: Session, name: str, *, where: Iterable[Where] = (), **eq: Any) -> int:
    t = table(name)
    clauses = _clauses(t, eq, where) if t is not None else None
    if t is None or clauses is None:
        return 0
    result = session.execute(delete(t).where(and_(*clauses)))
    return int(getattr(result, "rowcount", 0) or 0)


def rewrite(session: Session, name: str, change: Callable[[Row], Row], *, key: str = "id", **eq: Any) -> int:
    """Read matching rows, let ``change`` compute new values (JSON fields, free text), write back only
    the rows that differ; how many did. Re-running it changes nothing."""
    t = table(name)
    clauses = _clauses(t, eq, ()) if t is not None else None
    if t is None or clauses is None:
        return 0
    changed = 0
    for found in session.execute(select(t).where(and_(*clauses)).order_by(t.c[key])).mappings():
        before = dict(found)
        after = {k: v for k, v in change(before).items() if before.get(k) != v}
        if after:
            session.execute(update(t).where(t.c[key] == before[key]).values(after))
            changed += 1
    return changed
