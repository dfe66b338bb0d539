"""Features per account over windows, from the signal log and the commerce tables.

"Geo" without a GeoIP database: a signal's place is the time zone the client claims
(``X-Client-Timezone``) and, where the action names one, a US ZIP (a checkout's ship-to, looked up in the
offline ``zipcodes`` data). Distance between two signals is the great-circle distance of their ZIP
centroids when both have one, else ``|UTC offset difference| x 1,000 km`` (an hour of offset is 15 degrees
of longitude, 1,100 to 1,300 km at US latitudes: 1,000 is a lower bound, so travel is never called
impossible because of the estimate). A client can lie about its zone; the features look for changes,
which a lie does not hide.

User features (shoppers, creators, seller members): logins from a new device + new network + new zone
at once, impossible travel, accounts per device and per network, new accounts that share a device or
network with the user and redeemed the same promotion. Seller features: operator devices/networks that
changed wholesale after approval, a phone change, payout-destination changes close to a settlement (and
from a new device), template-pattern message bursts, brushing (orders whose buyers share devices, ship-to
addresses or payment methods with the seller or with each other), and members' account takeovers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from yellowcart.auth.models import User
from yellowcart.checkout.models import Payment
from yellowcart.db import id_in
from yellowcart.geo import lookup_zip
from yellowcart.inventory.models import Warehouse
from yellowcart.ledger.periods import Period
from yellowcart.orders.models import Order
from yellowcart.promotions.models import Redemption
from yellowcart.risk.context import utc_offset_hours, valid_timezone
from yellowcart.risk.signal_models import RiskSignal, SignalKind
from yellowcart.risk.signals import address_key
from yellowcart.sellers.models import ApplicationStatus, Seller, SellerApplication

HISTORY = dt.timedelta(days=90)
RECENT = dt.timedelta(days=7)
MONTH = dt.timedelta(days=30)
TURNOVER_RECENT = dt.timedelta(days=14)
NEW_ACCOUNT = dt.timedelta(days=14)
KM_PER_OFFSET_HOUR = 1000.0
IMPOSSIBLE_KMH = 1000.0
MIN_TRAVEL_KM = 2000.0
NEAR_SETTLEMENT = dt.timedelta(hours=72)
BURST_WINDOW = dt.timedelta(minutes=60)
MAX_ROWS = 5000

USER_FEATURES = (
    "new_combo_logins",
    "impossible_travel",
    "max_speed_kmh",
    "accounts_on_device",
    "accounts_on_network",
    "promo_device_siblings",
    "promo_network_siblings",
    "promo_address_siblings",
    "devices_30d",
    "logins_7d",
    "account_age_days",
)
SELLER_FEATURES = (
    "turnover_new_device_share",
    "turnover_new_network_share",
    "phone_changed",
    "payout_changes_30d",
    "payout_near_settlement",
    "payout_new_device",
    "template_burst",
    "template_burst_conversations",
    "brushing_share",
    "brushing_orders",
    "orders_30d",
    "member_takeover",
    "sellers_on_device",
)
FEATURES = {"user": USER_FEATURES, "seller": SELLER_FEATURES}


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str  # "seller" | "user" (shoppers and creators are users)
    id: int

    def __post_init__(self) -> None:
        if self.kind not in FEATURES:
            raise ValueError(f"unknown subject kind {self.kind!r}")


@dataclass(frozen=True, slots=True)
class Features:
    subject: Subject
    at: dt.datetime
    values: dict[str, float]
    evidence: dict[str, Any] = field(default_factory=dict)

    def vector(self) -> list[float]:
        return [float(self.values.get(name, 0.0)) for name in FEATURES[self.subject.kind]]


@dataclass(frozen=True, slots=True)
class Seen:
    """One signal as the features read it."""

    kind: str
    at: dt.datetime
    network: str | None
    device: str | None
    timezone: str | None
    zip: str | None


def compute(session: Session, *, subject: Subject, now: dt.datetime) -> Features:
    if subject.kind == "seller":
        return seller_features(session, seller_id=subject.id, now=now)
    return user_features(session, user_id=subject.id, now=now)


# ---- places and travel -----------------------------------------------------------------------------


def distance_km(a: Seen, b: Seen) -> float | None:
    """Lower-bound distance between two signals' claimed places, or None when either has none."""
    if a.zip and b.zip:
        za, zb = lookup_zip(a.zip), lookup_zip(b.zip)
        if za is not None and zb is not None:
            return _great_circle(za.lat, za.lon, zb.lat, zb.lon)
    if a.timezone and b.timezone and valid_timezone(a.timezone) and valid_timezone(b.timezone):
        hours = abs(utc_offset_hours(a.timezone, a.at) - utc_offset_hours(b.timezone, b.at))
        return hours * KM_PER_OFFSET_HOUR
    return None


def _great_circle(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2, dlat, dlon = map(math.radians, (lat1, lat2, lat2 - lat1, lon2 - lon1))
    h = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def travel(history: Sequence[Seen], since: dt.datetime) -> tuple[int, float, list[dict[str, Any]]]:
    """Consecutive placed signals (the later one after ``since``) implying a speed no airliner makes."""
    placed = [s for s in history if s.timezone or s.zip]
    impossible, fastest, evidence = 0, 0.0, []
    for before, after in itertools.pairwise(placed):
        if after.at < since:
            continue
        km = distance_km(before, after)
        if km is None or km < 1.0:
            continue
        hours = max((after.at - before.at).total_seconds() / 3600, 0.05)
        speed = km / hours
        fastest = max(fastest, speed)
        if km >= MIN_TRAVEL_KM and speed > IMPOSSIBLE_KMH:
            impossible += 1
            evidence.append(
                {
                    "from": before.timezone or before.zip,
                    "to": after.timezone or after.zip,
                    "km": round(km),
                    "hours": round(hours, 2),
                    "at": after.at.isoformat(),
                }
            )
    return impossible, fastest, evidence[:5]


def new_combos(history: Sequence[Seen], since: dt.datetime) -> tuple[int, list[str]]:
    """Logins after ``since`` whose device, network and zone were all never seen before (with history)."""
    devices: set[str] = set()
    networks: set[str] = set()
    zones: set[str] = set()
    count, when = 0, []
    for s in history:
        if s.kind == SignalKind.LOGIN and s.at >= since and (devices or networks):
            new_device = s.device is not None and s.device not in devices
            new_network = s.network is not None and s.network not in networks
            new_zone = s.timezone is not None and s.timezone not in zones
            if new_device and new_network and new_zone:
                count += 1
                when.append(s.at.isoformat())
        devices.update([s.device] if s.device else [])
        networks.update([s.network] if s.network else [])
        zones.update([s.timezone] if s.timezone else [])
    return count, when[:5]


# ---- users ----------------------------------------------------------------------------------------


def _history(session: Session, condition: Any, since: dt.datetime, until: dt.datetime) -> list[Seen]:
    rows = session.execute(
        select(
            RiskSignal.kind,
            RiskSignal.at,
            RiskSignal.network,
            RiskSignal.device_hash,
            RiskSignal.timezone,
            RiskSignal.zip,
        )
        .where(condition, RiskSignal.at >= since, RiskSignal.at <= until)
        .order_by(RiskSignal.at.desc(), RiskSignal.id.desc())
        .limit(MAX_ROWS)
    ).all()
    return [Seen(str(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in reversed(rows)]


def _accounts_on(session: Session, column: Any, values: Iterable[str], since: dt.datetime) -> tuple[int, str | None]:
    """The most accounts seen on one of ``values`` (devices or networks) since ``since``."""
    wanted = sorted(set(values))
    if not wanted:
        return 0, None
    row = session.execute(
        select(column, func.count(func.distinct(RiskSignal.user_id)).label("n"))
        .where(column.in_(wanted), RiskSignal.at >= since, RiskSignal.user_id.is_not(None))
        .group_by(column)
        .order_by(func.count(func.distinct(RiskSignal.user_id)).desc())
        .limit(1)
    ).first()
    return (int(row[1]), str(row[0])) if row else (0, None)


def user_features(session: Session, *, user_id: int, now: dt.datetime) -> Features:
    history = _history(session, RiskSignal.user_id == user_id, now - HISTORY, now)
    month = [s for s in history if s.at >= now - MONTH]
    devices = {s.device for s in month if s.device}
    networks = {s.network for s in month if s.network}
    addresses = {
        a
        for a in session.scalars(
            select(RiskSignal.address_hash).where(
                RiskSignal.user_id == user_id, RiskSignal.at >= now - MONTH, RiskSignal.address_hash.is_not(None)
            )
        )
        if a
    }
    combos, combo_at = new_combos(history, now - RECENT)
    impossible, fastest, trips = travel(history, now - RECENT)
    on_device, _ = _accounts_on(session, RiskSignal.device_hash, devices, now - MONTH)
    on_network, _ = _accounts_on(session, RiskSignal.network, networks, now - MONTH)
    promo = promo_siblings(session, user_id, {"device": devices, "network": networks, "address": addresses}, now)
    created = session.scalar(select(User.created_at).where(User.id == user_id))
    age = (now - created).total_seconds() / 86400 if created else 0.0
    values = {
        "new_combo_logins": combos,
        "impossible_travel": impossible,
        "max_speed_kmh": min(fastest, 20_000.0),
        "accounts_on_device": on_device,
        "accounts_on_network": on_network,
        "promo_device_siblings": promo["device"],
        "promo_network_siblings": promo["network"],
        "promo_address_siblings": promo["address"],
        "devices_30d": len(devices),
        "logins_7d": sum(1 for s in history if s.kind == SignalKind.LOGIN and s.at >= now - RECENT),
        "account_age_days": max(0.0, min(age, 365.0)),
    }
    evidence = {"new_combo_logins_at": combo_at, "impossible_trips": trips, "promotion": promo.get("evidence")}
    return Features(Subject("user", user_id), now, {k: float(v) for k, v in values.items()}, evidence)


_PLACE_COLUMNS = {"device": RiskSignal.device_hash, "network": RiskSignal.network, "address": RiskSignal.address_hash}


def promo_siblings(session: Session, user_id: int, places: dict[str, set[str]], now: dt.datetime) -> dict[str, Any]:
    """For the promotions the user redeemed this month: the most new accounts (younger than 14 days when
    they redeemed) that redeemed the same promotion and share a device, a network or a ship-to address
    with the user (the user included when new)."""
    promotions = session.scalars(
        select(Redemption.promotion_id).where(Redemption.shopper_id == user_id, Redemption.created_at >= now - MONTH)
    ).all()
    out: dict[str, Any] = {name: 0 for name in _PLACE_COLUMNS}
    if not promotions:
        return out
    counts = {name: _siblings(session, _PLACE_COLUMNS[name], places[name], promotions, now) for name in _PLACE_COLUMNS}
    for name, by_promotion in counts.items():
        out[name] = max(by_promotion.values(), default=0)
    if any(out[name] for name in _PLACE_COLUMNS):
        chosen = max(promotions, key=lambda p: tuple(counts[n].get(p, 0) for n in _PLACE_COLUMNS))
        same = {f"new_accounts_same_{n}": counts[n].get(chosen, 0) for n in counts}
        out["evidence"] = {"promotion_id": chosen, **same}
    return out


def _siblings(
    session: Session, column: Any, places: set[str], promotions: Sequence[int], now: dt.datetime
) -> dict[int, int]:
    if not places:
        return {}
    sharing = select(RiskSignal.user_id).where(
        column.in_(sorted(places)), RiskSignal.at >= now - MONTH, RiskSignal.user_id.is_not(None)
    )
    rows = session.execute(
        select(Redemption.promotion_id, Redemption.shopper_id, Redemption.created_at, User.created_at)
        .join(User, User.id == Redemption.shopper_id)
        .where(
            id_in(session, Redemption.promotion_id, set(promotions)),
            Redemption.created_at >= now - MONTH,
            Redemption.shopper_id.in_(sharing),
        )
    ).all()
    fresh: dict[int, set[int]] = defaultdict(set)
    for promotion_id, shopper_id, redeemed_at, created_at in rows:
        if created_at >= redeemed_at - NEW_ACCOUNT:
            fresh[int(promotion_id)].add(int(shopper_id))
    return {p: len(shoppers) for p, shoppers in fresh.items()}


# ---- sellers --------------------------------------------------------------------------------------


def approved_at(session: Session, seller_id: int) -> dt.datetime | None:
    """When the seller was approved: its application's decision, else (opened by an operator) its creation."""
    decided = session.scalar(
        select(SellerApplication.decided_at).where(
            SellerApplication.seller_id == seller_id, SellerApplication.status == ApplicationStatus.APPROVED
        )
    )
    return decided or session.scalar(select(Seller.created_at).where(Seller.id == seller_id))


def _members(session: Session, seller_id: int) -> list[int]:
    return list(session.scalars(select(User.id).where(User.seller_id == seller_id).order_by(User.id)).all())


def seller_features(session: Session, *, seller_id: int, now: dt.datetime) -> Features:
    members = _members(session, seller_id)
    operator = RiskSignal.seller_id == seller_id
    if members:
        operator = or_(operator, and_(id_in(session, RiskSignal.user_id, members), RiskSignal.seller_id.is_(None)))
    history = _history(session, operator, now - dt.timedelta(days=180), now)
    approval = approved_at(session, seller_id)
    values: dict[str, float] = {}
    evidence: dict[str, Any] = {}
    _turnover(history, approval, now, values, evidence)
    _phone(session, seller_id, approval, now, values)
    _payouts(session, seller_id, history, now, values, evidence)
    _templates(session, seller_id, now, values, evidence)
    brushing(session, seller_id, {s.device for s in history if s.device}, now, values, evidence)
    takeovers = [m for m in members if _taken_over(session, m, now)]
    values["member_takeover"] = float(len(takeovers))
    evidence["members_taken_over"] = takeovers
    devices = {s.device for s in history if s.device and s.at >= now - MONTH}
    values["sellers_on_device"] = float(_sellers_on(session, devices, now))
    return Features(
        Subject("seller", seller_id), now, {n: float(values.get(n, 0.0)) for n in SELLER_FEATURES}, evidence
    )


def _turnover(
    history: Sequence[Seen],
    approval: dt.datetime | None,
    now: dt.datetime,
    values: dict[str, float],
    evidence: dict[str, Any],
) -> None:
    """Operator activity on devices and networks the shop never used before, since the shop's latest change
    of hands: each device first seen in the last 14 days is a candidate change point, and the one after
    which the most activity is new counts (a shop sold three days ago is not diluted by eleven days of its
    old owner, nor by its new owner's first week). Only after approval, with a few signals on both sides."""
    values["turnover_new_device_share"] = values["turnover_new_network_share"] = 0.0
    first_seen: dict[str, dt.datetime] = {}
    for s in history:
        if s.device and s.device not in first_seen:
            first_seen[s.device] = s.at
    cuts = sorted({at for at in first_seen.values() if at >= now - TURNOVER_RECENT})
    best = 0.0
    for cut in cuts:
        earlier = [s for s in history if s.at < cut]
        recent = [s for s in history if s.at >= cut]
        if approval is None or approval >= cut or len(earlier) < 3 or len(recent) < 3:
            continue
        device_share = _new_share([s.device for s in recent], {s.device for s in earlier if s.device})
        network_share = _new_share([s.network for s in recent], {s.network for s in earlier if s.network})
        if min(device_share, network_share) > best:
            best = min(device_share, network_share)
            values["turnover_new_device_share"], values["turnover_new_network_share"] = device_share, network_share
            evidence["turnover"] = {
                "since": cut.isoformat(),
                "earlier_signals": len(earlier),
                "since_signals": len(recent),
            }


def _new_share(recent: Sequence[str | None], known: set[str]) -> float:
    seen = [x for x in recent if x]
    if not seen or not known:
        return 0.0
    return sum(x not in known for x in seen) / len(seen)


def _phone(
    session: Session, seller_id: int, approval: dt.datetime | None, now: dt.datetime, values: dict[str, float]
) -> None:
    since = max(approval or now - MONTH, now - MONTH)
    changed = session.scalar(
        select(func.count(RiskSignal.id)).where(
            RiskSignal.seller_id == seller_id, RiskSignal.kind == SignalKind.CONTACT_CHANGE, RiskSignal.at >= since
        )
    )
    values["phone_changed"] = 1.0 if changed else 0.0


def _payouts(
    session: Session,
    seller_id: int,
    history: Sequence[Seen],
    now: dt.datetime,
    values: dict[str, float],
    evidence: dict[str, Any],
) -> None:
    """Applied payout-destination changes this month; the latest one's distance to the settlement it
    falls before, and whether it came from a device the shop had not used a week before."""
    rows = session.execute(
        select(RiskSignal.at, RiskSignal.device_hash, RiskSignal.detail)
        .where(
            RiskSignal.seller_id == seller_id, RiskSignal.kind == SignalKind.PAYOUT_CHANGE, RiskSignal.at >= now - MONTH
        )
        .order_by(RiskSignal.at)
    ).all()
    applied = [r for r in rows if (r[2] or {}).get("outcome", "applied") == "applied"]
    values["payout_changes_30d"] = float(len(applied))
    if not applied:
        return
    at, device, _ = applied[-1]
    settles = Period.containing(at).end_at
    values["payout_near_settlement"] = 1.0 if settles - at <= NEAR_SETTLEMENT else 0.0
    known = {s.device for s in history if s.device and s.at < at - RECENT}
    values["payout_new_device"] = 1.0 if device is None or device not in known else 0.0
    evidence["payout_change"] = {
        "at": at.isoformat(),
        "settlement_at": settles.isoformat(),
        "hours_before_settlement": round((settles - at).total_seconds() / 3600, 1),
    }


def _templates(
    session: Session, seller_id: int, now: dt.datetime, values: dict[str, float], evidence: dict[str, Any]
) -> None:
    """The most messages sharing one template fingerprint within an hour, and to how many conversations."""
    rows = session.execute(
        select(RiskSignal.fingerprint, RiskSignal.at, RiskSignal.detail)
        .where(RiskSignal.seller_id == seller_id, RiskSignal.kind == SignalKind.MESSAGE, RiskSignal.at >= now - MONTH)
        .order_by(RiskSignal.at)
        .limit(MAX_ROWS)
    ).all()
    by_template: dict[str, list[tuple[dt.datetime, Any]]] = defaultdict(list)
    for fingerprint, at, detail in rows:
        if fingerprint:
            by_template[fingerprint].append((at, (detail or {}).get("conversation_id")))
    best, best_conversations, best_at = 0, 0, None
    for sent in by_template.values():
        start = 0
        for end in range(len(sent)):
            while sent[end][0] - sent[start][0] > BURST_WINDOW:
                start += 1
            if end - start + 1 > best:
                best, best_at = end - start + 1, sent[end][0]
                best_conversations = len({c for _, c in sent[start : end + 1]})
    values["template_burst"] = float(best)
    values["template_burst_conversations"] = float(best_conversations)
    if best_at is not None:
        evidence["template_burst"] = {
            "messages": best,
            "conversations": best_conversations,
            "ending": best_at.isoformat(),
        }


def _taken_over(session: Session, user_id: int, now: dt.datetime) -> bool:
    history = _history(session, RiskSignal.user_id == user_id, now - HISTORY, now)
    return new_combos(history, now - RECENT)[0] > 0 and travel(history, now - RECENT)[0] > 0


def _sellers_on(session: Session, devices: set[str], now: dt.datetime) -> int:
    if not devices:
        return 0
    return int(
        session.scalar(
            select(func.count(func.distinct(RiskSignal.seller_id))).where(
                RiskSignal.device_hash.in_(sorted(devices)), RiskSignal.at >= now - MONTH
            )
        )
        or 0
    )


# ---- brushing --------------------------------------------------------------------------------------


def comparable_payment(method: str | None) -> str | None:
    """Provider test names (``tok_visa``, ``pm_card_visa``) are shared by everyone: not a fingerprint."""
    if not method or not any(ch.isdigit() for ch in method):
        return None
    return method


def brushing(
    session: Session,
    seller_id: int,
    seller_devices: set[str],
    now: dt.datetime,
    values: dict[str, float],
    evidence: dict[str, Any],
) -> None:
    """Orders (this month) whose buyer shares a device with the shop's operators or with two other
    buyers of the shop, or ships to the shop's own address or one three buyers share, or pays with a
    method another buyer of the shop used."""
    orders = session.execute(
        select(Order.id, Order.shopper_id, Order.ship_to, Payment.payment_method)
        .outerjoin(Payment, Payment.id == Order.payment_id)
        .where(Order.seller_id == seller_id, Order.placed_at >= now - MONTH)
        .order_by(Order.id.desc())
        .limit(MAX_ROWS)
    ).all()
    values["orders_30d"] = float(len(orders))
    values["brushing_share"] = values["brushing_orders"] = 0.0
    if not orders:
        return
    buyers = {int(o[1]) for o in orders}
    buyer_devices = _devices_of(session, buyers, now)
    device_buyers: dict[str, set[int]] = defaultdict(set)
    for buyer, devices in buyer_devices.items():
        for device in devices:
            device_buyers[device].add(buyer)
    own_addresses = _warehouse_addresses(session, seller_id)
    address_buyers: dict[str, set[int]] = defaultdict(set)
    payment_buyers: dict[str, set[int]] = defaultdict(set)
    for _, buyer, ship_to, method in orders:
        if (key := address_key(ship_to)) is not None:
            address_buyers[key].add(int(buyer))
        if (pay := comparable_payment(method)) is not None:
            payment_buyers[pay].add(int(buyer))
    links = {"device_with_seller": 0, "device_ring": 0, "address": 0, "payment": 0}
    linked = 0
    for _, buyer, ship_to, method in orders:
        devices = buyer_devices.get(int(buyer), set())
        why = {
            "device_with_seller": bool(devices & seller_devices),
            "device_ring": any(len(device_buyers[d]) >= 3 for d in devices),
            "address": (key := address_key(ship_to)) is not None
            and (key in own_addresses or len(address_buyers[key]) >= 3),
            "payment": (pay := comparable_payment(method)) is not None and len(payment_buyers[pay]) >= 2,
        }
        for name, hit in why.items():
            links[name] += hit
        linked += any(why.values())
    values["brushing_share"] = linked / len(orders)
    values["brushing_orders"] = float(linked)
    evidence["brushing"] = {"orders": len(orders), "linked_orders": linked, "links": links}


def _devices_of(session: Session, users: set[int], now: dt.datetime) -> dict[int, set[str]]:
    out: dict[int, set[str]] = defaultdict(set)
    for user_id, device in session.execute(
        select(RiskSignal.user_id, RiskSignal.device_hash)
        .where(
            id_in(session, RiskSignal.user_id, users), RiskSignal.at >= now - MONTH, RiskSignal.device_hash.is_not(None)
        )
        .distinct()
    ):
        if user_id is not None:
            out[user_id].add(str(device))
    return out


def _warehouse_addresses(session: Session, seller_id: int) -> set[str]:
    rows = session.execute(select(Warehouse.line1, Warehouse.zip).where(Warehouse.seller_id == seller_id)).all()
    return {k for line1, zip5 in rows if (k := address_key({"line1": line1, "zip": zip5})) is not None}
