"""Commissions in motion: accrued when an attributed order completes, reversed for returned units, and for
store orders accrued at attribution and reversed with the store's refunds.

Each step locks the attributions it moves (two workers handling the completion and a return of the same
order queue on the rows), computes what each line should hold now (``rules.line_target``: nothing
before completion, then the commission on the units kept) and posts the difference from what the
ledger says it holds, under a source key per (line, event). Replays post nothing; a return recorded
before completion only lowers what completion will accrue.

Completion is the order's COMPLETED status, set by the return jobs once every delivered line's return
window has closed with no open return (returns/completion.py), or by an operator. Returns can still
come after it (COMPLETED -> PARTIALLY_RETURNED / RETURNED), which is why reversal exists.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yellowcart.creators.models import Attribution, AttributionReturn
from yellowcart.creators.rules import conversion_target, line_target
from yellowcart.db import id_in
from yellowcart.ledger import creators as ledger
from yellowcart.ledger.creator_rules import CreatorCommission
from yellowcart.redirect.models import Conversion, ConversionStatus


def _locked(session: Session, *where: ColumnElement[bool]) -> list[Attribution]:
    """Attributions in id order, locked: completion and returns of one order queue on them."""
    query = select(Attribution).where(*where).order_by(Attribution.id).with_for_update()
    return list(session.scalars(query))


def returned_units(session: Session, attribution_ids: Sequence[int]) -> dict[int, int]:
    if not attribution_ids:
        return {}
    rows = session.execute(
        select(AttributionReturn.attribution_id, func.sum(AttributionReturn.units))
        .where(id_in(session, AttributionReturn.attribution_id, attribution_ids))
        .group_by(AttributionReturn.attribution_id)
    )
    return {aid: int(units or 0) for aid, units in rows}


def _change(a: Attribution, amount: int, units: int | None) -> CreatorCommission:
    return CreatorCommission(
        seller_id=a.seller_id, creator_id=a.creator_id, mode=a.selling_mode, amount=amount, rate_bps=a.rate_bps,
        line_id=a.order_line_id, units=units,
    )  # fmt: skip


def _settle_line(
    session: Session, a: Attribution, returned: int, *, key: str, units: int, at: dt.datetime, reference: str | None
) -> int:
    """Post what the line should hold now less what it holds; 1 when an entry was posted."""
    assert a.order_line_id is not None and a.units is not None
    target = line_target(
        commission_cents=a.commission_cents, units=a.units, returned_units=returned, earned=a.earned_at is not None
    )
    delta = target - ledger.held_on_line(session, order_line_id=a.order_line_id)
    if delta == 0:
        return 0
    entry = ledger.post_creator_commission(
        session, source_key=key, change=_change(a, delta, units), posted_at=at, order_id=a.order_id,
        reference=reference,
    )  # fmt: skip
    return int(entry is not None)


def accrue_order(session: Session, *, order_id: int, posted_at: dt.datetime) -> int:
    """The order completed: its attributed lines earn their commission on the units kept (once)."""
    rows = _locked(session, Attribution.order_id == order_id)
    returned = returned_units(session, [a.id for a in rows])
    posted = 0
    for a in rows:
        if a.earned_at is None:
            a.earned_at = posted_at
        kept = (a.units or 0) - returned.get(a.id, 0)
        key = f"creator:line:{a.order_line_id}:accrued"
        posted += _settle_line(session, a, returned.get(a.id, 0), key=key, units=kept, at=posted_at, reference=None)
    session.flush()
    return posted


def reverse_return(
    session: Session, *, lines: Mapping[int, int], reference: str, return_id: int | None, posted_at: dt.datetime
) -> int:
    """Units of attributed lines came back (``lines``: order line -> units): record them once per
    ``reference`` and take back their share of what was accrued."""
    rows = _locked(session, id_in(session, Attribution.order_line_id, list(lines)))
    posted = 0
    for a in rows:
        units = int(lines.get(a.order_line_id or 0, 0))
        if units <= 0 or not _record_return(session, a, units=units, reference=reference, return_id=return_id):
            continue
        returned = returned_units(session, [a.id]).get(a.id, 0)
        key = f"creator:line:{a.order_line_id}:{reference}"
        posted += _settle_line(session, a, returned, key=key, units=-units, at=posted_at, reference=reference)
    return posted


def _record_return(session: Session, a: Attribution, *, units: int, reference: str, return_id: int | None) -> bool:
    """False when this return was recorded for the line already (a redelivered event)."""
    capped = min(units, max((a.units or 0) - returned_units(session, [a.id]).get(a.id, 0), 0))
    if capped <= 0:
        return False
    session.flush()
    try:
        with session.begin_nested():
            session.add(AttributionReturn(attribution_id=a.id, reference=reference, return_id=return_id, units=capped))
            session.flush()
    except IntegrityError:
        return False
    return True


def settle_conversion(session: Session, *, conversion_id: int, key: str, posted_at: dt.datetime) -> int:
    """A store order's creator holds the commission on the GMV the store has not refunded: accrued at
    attribution (store orders have no completion), reversed step by step; 1 when an entry was posted."""
    rows = _locked(session, Attribution.conversion_id == conversion_id)
    conv = session.get(Conversion, conversion_id)
    if not rows or conv is None:
        return 0
    a = rows[0]
    if a.earned_at is None:
        a.earned_at = posted_at
    target = conversion_target(
        commission_cents=a.commission_cents,
        gmv_cents=conv.gmv_cents,
        refunded_gmv_cents=conv.refunded_gmv_cents,
        reversed=conv.status is ConversionStatus.REVERSED,
    )
    delta = target - ledger.held_on_conversion(session, conversion_id=conversion_id)
    if delta == 0:
        return 0
    entry = ledger.post_creator_commission(
        session, source_key=key, change=_change(a, delta, None), posted_at=posted_at, conversion_id=conversion_id
    )
    return int(entry is not None)
