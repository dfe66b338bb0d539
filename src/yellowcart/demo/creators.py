"""Creators: the people who post shoppable videos about other shops' listings (affiliates).

Each has a display name, a handle (used in their e-mail address and signed under their videos), one or
two niche departments and a heavy-tailed output. The demo creator login (user 4) is the first of them;
the others get user ids after the shoppers, so adding creators never renumbers anyone else.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from yellowcart.auth.models import Role
from yellowcart.demo.names import FIRST_NAMES, LAST_NAMES
from yellowcart.demo.plan import Row

#: How creators spread over niches (beauty and fashion dominate shoppable video).
NICHE_WEIGHTS = {
    "beauty": 3.0, "fashion": 2.5, "home": 2.0, "electronics": 1.2, "sports": 1.2, "health": 1.0,
    "pets": 1.0, "grocery": 0.8, "toys": 0.7, "baby": 0.6,
}  # fmt: skip
#: Handle endings per niche: "priya" + "glows" -> "@priyaglows".
HANDLE_TAILS = {
    "beauty": ("glows", "glam", "skin", "beautyfinds", "makeup", "dewy"),
    "fashion": ("style", "fits", "wears", "closet", "ootd"),
    "home": ("home", "nest", "kitchen", "cooks", "athome"),
    "electronics": ("tech", "gadgets", "setup", "unboxes"),
    "sports": ("fit", "moves", "lifts", "outdoors", "yoga"),
    "health": ("wellness", "healthy", "daily"),
    "pets": ("pets", "andthedog", "catmom", "pawprints"),
    "grocery": ("eats", "snacks", "brews"),
    "toys": ("plays", "toybox", "crafts"),
    "baby": ("mama", "littleones", "babyfinds"),
}
DEMO_CREATOR_ID = 4
DEMO_CREATOR_HANDLE = "democreator"


@dataclass(slots=True)
class CreatorPlan:
    user_id: int
    handle: str
    name: str
    departments: tuple[str, ...]
    weight: float  # relative output (videos posted)
    created_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Creators:
    rows: list[Row]  # user rows of the creators after the demo login (which is already a user row)
    plans: list[CreatorPlan]  # the demo creator first


def build_creators(
    rng: random.Random, count: int, first_user_id: int, taken_emails: set[str], reference: dt.datetime
) -> Creators:
    """``count`` creators in all, the demo login included."""
    niches = list(NICHE_WEIGHTS)
    weights = list(NICHE_WEIGHTS.values())
    handles: set[str] = {DEMO_CREATOR_HANDLE}
    plans = [
        CreatorPlan(DEMO_CREATOR_ID, DEMO_CREATOR_HANDLE, "Demo Creator", ("beauty", "home"), 2.5,
                    reference - dt.timedelta(days=365))
    ]  # fmt: skip
    rows: list[Row] = []
    for uid in range(first_user_id, first_user_id + count - 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        primary = rng.choices(niches, weights)[0]
        departments = (
            (primary,) if rng.random() < 0.65 else tuple(dict.fromkeys((primary, *rng.choices(niches, weights))))
        )
        handle = _handle(rng, first, last, primary, handles)
        email = f"{handle.replace('_', '.')}@example.com"
        while email in taken_emails:
            email = f"{handle.replace('_', '.')}{rng.randint(1, 99)}@example.com"
        taken_emails.add(email)
        created = reference - dt.timedelta(days=rng.uniform(120, 900))
        weight = rng.lognormvariate(0, 0.9)
        plans.append(CreatorPlan(uid, handle, f"{first} {last}", departments, weight, created))
        rows.append({
            "id": uid, "email": email, "display_name": f"{first} {last}", "role": Role.CREATOR, "seller_id": None,
            "password_hash": None, "home_zip": None, "is_active": True, "created_at": created,
        })  # fmt: skip
    return Creators(rows, plans)


def _handle(rng: random.Random, first: str, last: str, niche: str, taken: set[str]) -> str:
    base = "".join(ch for ch in first.lower() if ch.isascii() and ch.isalnum())
    styles = (
        lambda: f"{base}{rng.choice(HANDLE_TAILS[niche])}",
        lambda: f"{base}_{rng.choice(HANDLE_TAILS[niche])}",
        lambda: f"{base}{last[:1].lower()}{rng.choice(HANDLE_TAILS[niche])}",
        lambda: f"{rng.choice(HANDLE_TAILS[niche])}with{base}",
    )
    while True:
        handle = rng.choice(styles)()
        if handle in taken:
            handle = f"{handle}{rng.randint(2, 99)}"
        if handle not in taken:
            taken.add(handle)
            return handle
