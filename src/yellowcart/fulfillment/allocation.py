"""Allocation rules: which warehouse(s) ship a paid order. Pure functions over plain data.

* One shipment is preferred: among the warehouses that hold every line in full, the cheapest option
  (warehouse x service) that still delivers by the promised date wins; ties go to the earlier delivery,
  the nearer warehouse, then the lower warehouse id (deterministic). When nobody can keep the promise
  any more (stock moved, capacity filled), the fastest option wins, then the cheapest.
* A split only when no single warehouse can fill the order: greedily, the warehouse that fills the
  most remaining lines in full (then the most units, then cheapest) ships them, until nothing remains.
* Cost is the label's list price estimate (``carriers.simulation.SERVICES``: base + per pound + per
  zone), the same price table the simulated carrier charges, so "least cost" is comparable across
  services and distances.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from yellowcart.fulfillment.carriers.simulation import SERVICES as PRICES
from yellowcart.fulfillment.carriers.simulation import zone_for_miles
from yellowcart.fulfillment.geo import Place
from yellowcart.fulfillment.promise import Node, Promise, node_options
from yellowcart.fulfillment.transit import TransitModel

GRAMS_PER_POUND = 453.59237


@dataclass(frozen=True, slots=True)
class Want:
    """An order line to ship: ``grams`` per unit."""

    line_id: int
    variant_id: int
    qty: int
    grams: int


@dataclass(frozen=True, slots=True)
class Site:
    """A warehouse that may ship the order and, per variant, its stock row and units it can give."""

    node: Node
    stock: Mapping[int, tuple[int, int]]  # variant_id -> (stock_id, available)

    def can_give(self, want: Want) -> int:
        return self.stock[want.variant_id][1] if want.variant_id in self.stock else 0


@dataclass(frozen=True, slots=True)
class Pick:
    """One shipment of the plan: lines as (line_id, stock_id, qty)."""

    promise: Promise
    lines: tuple[tuple[int, int, int], ...]
    weight_grams: int
    cost_cents: int
    keeps_promise: bool


@dataclass(frozen=True, slots=True)
class Plan:
    picks: tuple[Pick, ...]

    @property
    def delivery_date(self) -> dt.date:
        return max(p.promise.delivery_date for p in self.picks)

    @property
    def keeps_promise(self) -> bool:
        return all(p.keeps_promise for p in self.picks)


def label_cost_cents(service: str, miles: float, weight_grams: int) -> int:
    """List-price estimate of a label (what "least cost" compares)."""
    price = PRICES.get(service)
    if price is None:
        return 10**9
    pounds = max(1, math.ceil(weight_grams / GRAMS_PER_POUND - 1e-9))
    return price.base_cents + price.per_lb_cents * (pounds - 1) + price.per_zone_cents * (zone_for_miles(miles) - 1)


def _option(
    node: Node, dest: Place, now: dt.datetime, transit: TransitModel, promised: dt.date | None, grams: int
) -> tuple[Promise, int, bool] | None:
    """The warehouse's best option: the cheapest that keeps the promise, else the fastest."""
    options = [(p, label_cost_cents(p.service, p.miles, grams)) for p in node_options(node, dest, now, transit)]
    if not options:
        return None
    keeping = [(p, c) for p, c in options if promised is None or p.delivery_date <= promised]
    if keeping and promised is not None:
        p, c = min(keeping, key=lambda o: (o[1], o[0].delivery_date))
        return p, c, True
    p, c = min(options, key=lambda o: (o[0].delivery_date, o[1]))
    return p, c, promised is None


def _pick(
    site: Site,
    lines: Sequence[tuple[Want, int]],
    dest: Place,
    now: dt.datetime,
    transit: TransitModel,
    promised: dt.date | None,
) -> Pick | None:
    grams = sum(w.grams * qty for w, qty in lines)
    option = _option(site.node, dest, now, transit, promised, grams)
    if option is None:
        return None
    promise, cost, keeps = option
    chosen = tuple((w.line_id, site.stock[w.variant_id][0], qty) for w, qty in lines)
    return Pick(promise, chosen, grams, cost, keeps)


def _single_rank(pick: Pick) -> tuple[object, ...]:
    p = pick.promise
    if pick.keeps_promise:
        return (0, pick.cost_cents, p.delivery_date, p.miles, p.warehouse_id)
    return (1, p.delivery_date, pick.cost_cents, p.miles, p.warehouse_id)


def plan_allocation(
    wants: Sequence[Want],
    sites: Sequence[Site],
    dest: Place,
    now: dt.datetime,
    transit: TransitModel,
    promised: dt.date | None,
) -> Plan | None:
    """The allocation of ``wants`` over ``sites``, or None when the sites cannot ship them all."""
    if not wants:
        return None
    whole = [
        _pick(s, [(w, w.qty) for w in wants], dest, now, transit, promised)
        for s in sites
        if all(s.can_give(w) >= w.qty for w in wants)
    ]
    singles = [p for p in whole if p is not None]
    if singles:
        return Plan((min(singles, key=_single_rank),))
    return _split(wants, sites, dest, now, transit, promised)


def _split(
    wants: Sequence[Want],
    sites: Sequence[Site],
    dest: Place,
    now: dt.datetime,
    transit: TransitModel,
    promised: dt.date | None,
) -> Plan | None:
    remaining = {w.line_id: w.qty for w in wants}
    left = {s.node.warehouse_id: dict(s.stock) for s in sites}
    picks: list[Pick] = []
    used: set[int] = set()
    while any(remaining.values()):
        best: tuple[tuple[object, ...], Pick] | None = None
        for site in sites:
            wid = site.node.warehouse_id
            if wid in used:
                continue
            view = Site(site.node, left[wid])
            lines = [(w, min(remaining[w.line_id], view.can_give(w))) for w in wants if remaining[w.line_id]]
            lines = [(w, q) for w, q in lines if q > 0]
            if not lines:
                continue
            pick = _pick(view, lines, dest, now, transit, promised)
            if pick is None:
                continue
            full = sum(1 for w, q in lines if q == remaining[w.line_id])
            units = sum(q for _, q in lines)
            rank = (-full, -units, *_single_rank(pick))
            if best is None or rank < best[0]:
                best = (rank, pick)
        if best is None:
            return None
        pick = best[1]
        used.add(pick.promise.warehouse_id)
        for line_id, _stock_id, qty in pick.lines:
            remaining[line_id] -= qty
        picks.append(pick)
    return Plan(tuple(picks))
