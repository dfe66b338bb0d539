"""Daily GMV history of an application: imported (the seller's own store's sales, as JSON or CSV) and
computed from this platform's paid orders of the seller. The policy sees the sum of both per day:
they are different channels, and an import replaces only the imported figure of the days it names.

Platform GMV of a day is the merchandise value paid (subtotal minus the promotions' goods discounts,
without tax or shipping) of the seller's orders paid that UTC day and not cancelled since.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from yellowcart.errors import InvalidInput
from yellowcart.orders.models import Order
from yellowcart.orders.state import OrderStatus
from yellowcart.sellers.models import GmvSource, SellerApplication, SellerGmvDay

#: How far back history is kept and accepted: two years covers any policy's lookback (at most 730 days).
HISTORY_DAYS = 730
MAX_IMPORT_ROWS = HISTORY_DAYS + 1
MAX_DAY_CENTS = 100_000_000_00  # $100M in a day: anything above is a typo
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")


class InvalidGmvHistory(InvalidInput):
    code, title = "invalid_gmv_history", "Invalid GMV history"


@dataclass(frozen=True, slots=True)
class GmvDay:
    day: dt.date
    gmv_cents: int


def check_days(days: Sequence[GmvDay], *, today: dt.date) -> None:
    """Each day once, none in the future, none older than the kept history."""
    oldest = today - dt.timedelta(days=HISTORY_DAYS)
    seen: set[dt.date] = set()
    for i, row in enumerate(days):
        if row.day in seen:
            raise InvalidGmvHistory(f"{row.day.isoformat()} appears twice.", field=f"days.{i}.date")
        if row.day > today:
            raise InvalidGmvHistory(f"{row.day.isoformat()} is in the future.", field=f"days.{i}.date")
        if row.day < oldest:
            raise InvalidGmvHistory(
                f"{row.day.isoformat()} is older than {HISTORY_DAYS} days; send the recent history only.",
                field=f"days.{i}.date",
            )
        if not 0 <= row.gmv_cents <= MAX_DAY_CENTS:
            raise InvalidGmvHistory("A day's GMV must be between 0 and $100,000,000.", field=f"days.{i}.gmv_cents")
        seen.add(row.day)


# ---- CSV -----------------------------------------------------------------------------------------------


def parse_csv(text: str) -> list[GmvDay]:
    """``date,gmv_cents`` or ``date,gmv`` (dollars, like a store's sales export: ``$1,234.50``); dates as
    ``2026-10-31`` or ``10/31/2026``. A header row is required; extra columns are ignored."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    if "date" not in header or not ({"gmv_cents", "gmv"} & set(header)):
        raise InvalidGmvHistory("The CSV needs a header row with 'date' and 'gmv_cents' (or 'gmv' in dollars).")
    date_col, in_cents = header.index("date"), "gmv_cents" in header
    amount_col = header.index("gmv_cents" if in_cents else "gmv")
    days: list[GmvDay] = []
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(days) >= MAX_IMPORT_ROWS:
            raise InvalidGmvHistory(f"At most {MAX_IMPORT_ROWS} days per upload.", line=line)
        if len(row) <= max(date_col, amount_col):
            raise InvalidGmvHistory(f"Line {line} has too few columns.", line=line)
        days.append(GmvDay(_parse_date(row[date_col], line), _parse_amount(row[amount_col], line, in_cents)))
    if not days:
        raise InvalidGmvHistory("The CSV has no data rows.")
    return days


def _parse_date(cell: str, line: int) -> dt.date:
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cell.strip(), fmt).date()
        except ValueError:
            continue
    raise InvalidGmvHistory(f"Line {line}: the date is not YYYY-MM-DD or MM/DD/YYYY.", line=line, field="date")


def _parse_amount(cell: str, line: int, in_cents: bool) -> int:
    text = cell.strip().replace(",", "").removeprefix("$")
    unit = "whole cents" if in_cents else "dollars with at most two decimals"
    problem = InvalidGmvHistory(f"Line {line}: the GMV must be {unit}, at most $100,000,000.", line=line, field="gmv")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise problem from None
    # Checked before any arithmetic: NaN, infinities and huge exponents would raise inside Decimal.
    if not amount.is_finite() or amount < 0 or amount > MAX_DAY_CENTS:
        raise problem
    exact = amount if in_cents else amount.scaleb(2)
    if exact != exact.to_integral_value() or exact > MAX_DAY_CENTS:
        raise problem
    return int(exact)


# ---- storage -----------------------------------------------------------------------------------------


def import_days(session: Session, *, application: SellerApplication, days: Sequence[GmvDay]) -> int:
    """Replace the imported figure of each given day (the caller holds the application's row lock)."""
    wanted = [d.day for d in days]
    for start in range(0, len(wanted), 500):
        session.execute(
            delete(SellerGmvDay).where(
                SellerGmvDay.application_id == application.id,
                SellerGmvDay.source == GmvSource.IMPORTED,
                SellerGmvDay.day.in_(wanted[start : start + 500]),
            )
        )
    session.add_all(
        SellerGmvDay(application_id=application.id, day=d.day, source=GmvSource.IMPORTED, gmv_cents=d.gmv_cents)
        for d in days
    )
    session.flush()
    return len(days)


def platform_days(session: Session, *, seller_id: int, first: dt.date, last: dt.date) -> dict[dt.date, int]:
    """The seller's platform GMV per UTC day from ``first`` to ``last``, from its paid orders."""
    start = dt.datetime.combine(first, dt.time(), dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), dt.UTC)
    rows = session.execute(
        select(Order.paid_at, Order.subtotal_cents - Order.discount_cents).where(
            Order.seller_id == seller_id,
            Order.paid_at >= start,
            Order.paid_at < end,
            Order.status != OrderStatus.CANCELLED,
        )
    )
    totals: dict[dt.date, int] = {}
    for paid_at, cents in rows:
        if paid_at is None:  # excluded by the query; keeps the type checker honest
            continue
        day = paid_at.astimezone(dt.UTC).date()
        totals[day] = totals.get(day, 0) + max(int(cents), 0)
    return totals


def refresh_platform(session: Session, *, application: SellerApplication, first: dt.date, last: dt.date) -> int:
    """Recompute the platform rows from ``first`` to ``last`` (idempotent); days with sales, how many."""
    totals = platform_days(session, seller_id=application.seller_id, first=first, last=last)
    session.execute(
        delete(SellerGmvDay).where(
            SellerGmvDay.application_id == application.id,
            SellerGmvDay.source == GmvSource.PLATFORM,
            SellerGmvDay.day >= first,
            SellerGmvDay.day <= last,
        )
    )
    session.add_all(
        SellerGmvDay(application_id=application.id, day=day, source=GmvSource.PLATFORM, gmv_cents=cents)
        for day, cents in sorted(totals.items())
        if cents > 0
    )
    session.flush()
    return sum(1 for cents in totals.values() if cents > 0)


def gmv_by_day(session: Session, *, application_id: int, since: dt.date) -> dict[dt.date, int]:
    """Both sources summed per day, from ``since`` on (what the policy evaluates)."""
    rows = session.execute(
        select(SellerGmvDay.day, func.sum(SellerGmvDay.gmv_cents))
        .where(SellerGmvDay.application_id == application_id, SellerGmvDay.day >= since)
        .group_by(SellerGmvDay.day)
    )
    return {day: int(total) for day, total in rows}


def list_days(
    session: Session, *, application_id: int, source: GmvSource | None = None, since: dt.date | None = None
) -> Sequence[SellerGmvDay]:
    query = select(SellerGmvDay).where(SellerGmvDay.application_id == application_id)
    if source is not None:
        query = query.where(SellerGmvDay.source == source)
    if since is not None:
        query = query.where(SellerGmvDay.day >= since)
    return session.scalars(query.order_by(SellerGmvDay.day, SellerGmvDay.source)).all()
