"""The state sales-tax table: seeded from the bundled published rates, editable by operators."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal, InvalidOperation
from importlib import resources

from sqlalchemy import select
from sqlalchemy.orm import Session

from yellowcart.checkout.models import TaxRate
from yellowcart.errors import InvalidInput, NotFound
from yellowcart.geo import US_STATES

BUNDLED = "us_state_tax_rates.csv"  # state base rates effective 2026-01-01; see docs/operations.md


def bundled_rates() -> list[TaxRate]:
    """Rows of the bundled table (source: each state's revenue department, via taxrates-us)."""
    text = resources.files("yellowcart.data").joinpath(BUNDLED).read_text()
    rows = []
    for rec in csv.DictReader(text.splitlines()):
        rows.append(
            TaxRate(
                state=rec["state"].strip().upper(),
                rate=Decimal(rec["base_rate"]),
                effective_date=dt.date.fromisoformat(rec["effective_date"]),
                source=rec["source"].strip(),
            )
        )
    return rows


def seed_rates(session: Session) -> int:
    """Insert bundled rates for states that have none yet (operator edits are kept)."""
    have = set(session.scalars(select(TaxRate.state)))
    added = [row for row in bundled_rates() if row.state not in have]
    session.add_all(added)
    return len(added)


def rate_for_state(session: Session, state: str) -> Decimal:
    rate = session.scalar(select(TaxRate.rate).where(TaxRate.state == state))
    if rate is None:
        # A US state missing from the table (e.g. PR) is charged no state tax rather than blocking sales.
        return Decimal(0)
    return Decimal(rate)


def list_rates(session: Session) -> list[TaxRate]:
    return list(session.scalars(select(TaxRate).order_by(TaxRate.state)))


def set_rate(session: Session, *, state: str, rate: str, effective_date: dt.date, source: str) -> TaxRate:
    """Operators update a state's base rate when a state changes it."""
    state = state.upper()
    if state not in US_STATES:
        raise NotFound(f"'{state}' is not a US state code.")
    try:
        value = Decimal(rate)
    except InvalidOperation as exc:
        raise InvalidInput("rate must be a decimal fraction such as 0.0625.", field="rate") from exc
    if not (Decimal(0) <= value < Decimal("0.2")) or value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise InvalidInput("rate must be a fraction between 0 and 0.2 with at most 6 decimals.", field="rate")
    row = session.get(TaxRate, state)
    if row is None:
        row = TaxRate(state=state, rate=value, effective_date=effective_date, source=source)
        session.add(row)
    else:
        row.rate, row.effective_date, row.source = value, effective_date, source
    session.flush()
    return row
