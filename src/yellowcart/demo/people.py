"""Users: the four demo logins, one owner per seller account, and the shoppers with US home addresses.

Only the demo logins get a password: scrypt costs ~50 ms a hash by design, so hashing ten thousand
shoppers would take minutes. Everyone else can be given a password later by an operator.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass
from typing import Any

from yellowcart.auth.models import Role
from yellowcart.auth.service import hash_password
from yellowcart.demo.names import FIRST_NAMES, LAST_NAMES, STREET_SUFFIXES, STREETS
from yellowcart.demo.places import ZipPicker
from yellowcart.demo.plan import Row, SellerPlan, ShopperPlan
from yellowcart.geo import ZipInfo, lookup_zip

#: role -> (email, password, display name). The seller login belongs to seller #1.
DEMO_LOGINS = {
    "operator": ("ops@yellowcart.test", "demo-operator", "Yellowcart Ops"),
    "seller": ("seller@yellowcart.test", "demo-seller", "Demo Seller"),
    "shopper": ("shopper@yellowcart.test", "demo-shopper", "Demo Shopper"),
    "creator": ("creator@yellowcart.test", "demo-creator", "Demo Creator"),
}
DEMO_SHOPPER_ZIP = "10001"  # Manhattan (Chelsea)


@dataclass(frozen=True, slots=True)
class People:
    rows: list[Row]
    shoppers: list[ShopperPlan]  # the demo shopper first
    demo_shopper_id: int


def build_people(
    rng: random.Random, sellers: list[SellerPlan], shopper_count: int, zips: ZipPicker, reference: dt.datetime
) -> People:
    """Users 1-4 are the demo logins; seller owners follow, then the shoppers."""
    emails: set[str] = {email for email, _, _ in DEMO_LOGINS.values()}
    rows = _demo_rows(reference)
    demo_zip = lookup_zip(DEMO_SHOPPER_ZIP)
    assert demo_zip is not None
    shoppers = [ShopperPlan(3, _address(rng, "Demo Shopper", demo_zip), rows[2]["created_at"])]
    sellers[0].owner_user_id = 2
    for seller in sellers[1:]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        seller.owner_user_id = len(rows) + 1
        rows.append(_user(seller.owner_user_id, _email(rng, first, last, emails), f"{first} {last}", Role.SELLER,
                          seller.created_at, seller_id=seller.id))  # fmt: skip
    for _ in range(shopper_count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        home = zips.pick(rng)
        created = reference - dt.timedelta(days=rng.uniform(92, 1100))
        uid = len(rows) + 1
        rows.append(_user(uid, _email(rng, first, last, emails), f"{first} {last}", Role.SHOPPER, created, home.zip))
        shoppers.append(ShopperPlan(uid, _address(rng, f"{first} {last}", home), created))
    return People(rows, shoppers, demo_shopper_id=3)


def _demo_rows(reference: dt.datetime) -> list[Row]:
    created = reference - dt.timedelta(days=365)
    rows = []
    for uid, (role, (email, password, name)) in enumerate(DEMO_LOGINS.items(), start=1):
        row = _user(uid, email, name, Role(role), created, DEMO_SHOPPER_ZIP if role == "shopper" else None,
                    seller_id=1 if role == "seller" else None)  # fmt: skip
        row["password_hash"] = hash_password(password)
        rows.append(row)
    return rows


def _user(
    uid: int,
    email: str,
    name: str,
    role: Role,
    created: dt.datetime,
    home_zip: str | None = None,
    *,
    seller_id: int | None = None,
) -> Row:
    return {
        "id": uid, "email": email, "display_name": name, "role": role, "seller_id": seller_id,
        "password_hash": None, "home_zip": home_zip, "is_active": True, "created_at": created,
    }  # fmt: skip


def _email(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    local = _ascii(f"{first}.{last}").lower()
    while True:
        email = f"{local}{rng.randint(1, 999)}@example.com"
        if email not in taken:
            taken.add(email)
            return email


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("'", "")


def _address(rng: random.Random, name: str, home: ZipInfo) -> dict[str, Any]:
    """A ShippingAddress-shaped dict (same keys as ``ShippingAddress.model_dump()``)."""
    line2 = f"Apt {rng.randint(1, 30)}{rng.choice('ABCDEF')}" if rng.random() < 0.22 else None
    return {
        "name": name,
        "line1": f"{rng.randint(1, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_SUFFIXES)}",
        "line2": line2,
        "city": home.city,
        "state": home.state,
        "zip": home.zip,
        "phone": None,
    }
