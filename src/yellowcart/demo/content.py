"""Shoppable content: short videos and live rooms by creators and sellers, tagged with listings.

Creators tag any active listing (affiliate) in their niche; sellers tag only their own. Titles,
descriptions and hashtags are written from the tagged listings' categories so a text model finds
signal in them. Published videos are spread over the last 60 days; live rooms are either over
(ended, with a pinned listing) or announced for the coming two weeks. A few drafts and removed videos
keep the status filter honest.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from itertools import accumulate

from yellowcart.catalog.models import ProductStatus
from yellowcart.content.models import ContentKind, ContentStatus, LiveState
from yellowcart.demo.creators import CreatorPlan
from yellowcart.demo.leaves import DEPARTMENTS, LEAVES
from yellowcart.demo.plan import Row, SellerPlan, weighted_index
from yellowcart.demo.taxonomy import Leaf
from yellowcart.sellers.models import SellerStatus

CREATOR_SHARE = 0.62  # of videos; the rest are sellers' own
PUBLISH_WINDOW = dt.timedelta(days=60)
DEPARTMENT_TAGS = {
    "beauty": ("skincare", "beautytok", "makeuptutorial", "glowup", "skincareroutine"),
    "home": ("homefinds", "kitchenhacks", "homedecor", "cleantok", "organization"),
    "electronics": ("techtok", "gadgets", "desksetup", "techreview"),
    "fashion": ("ootd", "fashiontok", "outfitideas", "styleinspo"),
    "sports": ("fitness", "workoutathome", "gymtok", "outdoors"),
    "toys": ("toys", "kidsactivities", "giftideas"),
    "pets": ("dogsofyellowcart", "catsofyellowcart", "petfinds"),
    "health": ("wellness", "healthyhabits", "selfcare"),
    "baby": ("momlife", "babymusthaves", "newborn"),
    "grocery": ("snacks", "foodie", "coffeetime"),
}
GENERIC_TAGS = ("yellowcartfinds", "musthave", "haul", "review", "founditonyellowcart", "dealalert")
CREATOR_SINGLE = (
    "Honest review: {brand} {item}",
    "I tried the viral {item_l} so you don't have to",
    "Is the {brand} {item} worth it?",
    "Unboxing the {brand} {item}",
    "The {item_l} everyone keeps asking about",
    "{item}: one week later",
)
CREATOR_MULTI = (
    "{n} {leaf_l} I actually use every day",
    "{dept} haul: my {n} favorite finds",
    "Ranking {n} {leaf_l} from okay to obsessed",
    "Things in my {dept_l} cart right now",
    "My {leaf_l} lineup, start to finish",
)
SELLER_SINGLE = (
    "New in: {item}",
    "Meet our {item}",
    "{item}: 3 ways to use it",
    "Back in stock: {brand} {item}",
    "How we pack your {item_l} orders",
    "Why customers love our {item_l}",
)
SELLER_MULTI = ("New drop: {n} {leaf_l} from {shop}", "Our best-selling {leaf_l}, side by side")
LIVE_TITLES = (
    "LIVE: {dept} deals with {owner}",
    "Weekend {leaf_l} live shopping",
    "Q&A and first look: {item}",
    "Flash sale live at {shop}",
)
CALLS = ("Tap the yellow cart to shop it.", "Linked in the yellow cart below.", "Shop it from the cart icon.")


@dataclass(frozen=True, slots=True)
class Listing:
    """An anchorable listing: active, from an active seller (closed loop or redirect)."""

    id: int
    seller_id: int
    category_id: int
    leaf: Leaf
    brand: str
    item: str  # the title without brand and trailing qualifier: "Hydrating Serum"
    closed_loop: bool
    weight: float


@dataclass(frozen=True, slots=True)
class VideoFact:
    """What the interaction model needs to know about a published video."""

    id: int
    owner_user_id: int
    category_id: int  # its first anchor's leaf category
    department: str
    duration_s: int
    published_at: dt.datetime
    anchors: tuple[int, ...]
    weight: float  # how catchy it is


@dataclass(slots=True)
class ContentPlan:
    rows: list[Row] = field(default_factory=list)
    anchors: list[Row] = field(default_factory=list)
    videos: list[VideoFact] = field(default_factory=list)  # published videos, by publication time
    listings: dict[int, Listing] = field(default_factory=dict)


@dataclass(slots=True)
class _Owner:
    user_id: int
    seller: SellerPlan | None
    creator: CreatorPlan | None
    name: str


@dataclass(slots=True)
class _Draft:
    created_at: dt.datetime
    row: Row
    products: list[int]
    weight: float


class _Pool:
    """Listings grouped for weighted draws: by leaf category, by department, by seller."""

    def __init__(self, listings: list[Listing]) -> None:
        self.by_category = _groups(listings, lambda x: x.category_id)
        self.by_department = _groups(listings, lambda x: x.leaf.department)
        self.by_seller = _groups(listings, lambda x: x.seller_id)

    @staticmethod
    def draw(rng: random.Random, group: tuple[list[Listing], list[float]]) -> Listing:
        items, cum = group
        return items[weighted_index(rng, cum)]


def _groups(listings: list[Listing], key: object) -> dict[object, tuple[list[Listing], list[float]]]:
    grouped: dict[object, list[Listing]] = {}
    for x in listings:
        grouped.setdefault(key(x), []).append(x)  # type: ignore[operator]
    return {k: (v, list(accumulate(x.weight for x in v))) for k, v in grouped.items()}


def anchorable_listings(
    rng: random.Random, products: list[Row], sellers: list[SellerPlan], leaf_ids: dict[tuple[str, ...], int]
) -> list[Listing]:
    leaf_of = {leaf_ids[leaf.path]: leaf for leaf in LEAVES}
    active_sellers = {s.id for s in sellers if s.status is SellerStatus.ACTIVE}
    out = []
    for p in products:
        if p["status"] is not ProductStatus.ACTIVE or p["seller_id"] not in active_sellers:
            continue
        brand, title = p["brand"], p["title"]
        item = (title[len(brand) + 1 :] if title.startswith(brand + " ") else title).split(",")[0]
        out.append(Listing(p["id"], p["seller_id"], p["category_id"], leaf_of[p["category_id"]], brand, item,
                           p["selling_mode"].closed_loop, rng.lognormvariate(0, 1.0)))  # fmt: skip
    return out


def build_content(
    rng: random.Random,
    *,
    videos: int,
    lives: int,
    creators: list[CreatorPlan],
    sellers: list[SellerPlan],
    listings: list[Listing],
    reference: dt.datetime,
) -> ContentPlan:
    plan = ContentPlan(listings={x.id: x for x in listings})
    if not listings:
        return plan
    pool = _Pool(listings)
    owners, cum = _owners(creators, sellers, pool)
    drafts: list[_Draft] = []
    hidden = max(1, round(videos * 0.02)), max(1, round(videos * 0.012))  # drafts, removed
    for n in range(videos + sum(hidden)):
        owner = owners[weighted_index(rng, cum)]
        status = (ContentStatus.PUBLISHED if n < videos
                  else ContentStatus.DRAFT if n < videos + hidden[0] else ContentStatus.REMOVED)  # fmt: skip
        drafts.append(_video(rng, owner, pool, status, reference))
    creator_owners = [o for o in owners if o.creator is not None]
    seller_owners = [o for o in owners if o.seller is not None]
    for n in range(lives):
        side = seller_owners if (n % 2 and seller_owners) or not creator_owners else creator_owners
        drafts.append(_live(rng, rng.choice(side), pool, ended=rng.random() < 0.7, reference=reference))
    drafts.sort(key=lambda d: d.created_at)  # ids follow creation, like the app's
    for cid, d in enumerate(drafts, start=1):
        d.row["id"] = cid
        d.row["poster_ref"] = f"/static/demo/v{cid}.jpg"
        plan.rows.append(d.row)
        for pos, pid in enumerate(d.products):
            plan.anchors.append({"id": len(plan.anchors) + 1, "content_id": cid, "product_id": pid, "position": pos})
        if d.row["kind"] is ContentKind.VIDEO and d.row["status"] is ContentStatus.PUBLISHED:
            first, row = plan.listings[d.products[0]], d.row
            fact = VideoFact(cid, row["owner_user_id"], first.category_id, first.leaf.department, row["duration_s"],
                             row["published_at"], tuple(d.products), d.weight)  # fmt: skip
            plan.videos.append(fact)
    plan.videos.sort(key=lambda v: (v.published_at, v.id))
    return plan


def _owners(creators: list[CreatorPlan], sellers: list[SellerPlan], pool: _Pool) -> tuple[list[_Owner], list[float]]:
    posting = [s for s in sellers if s.status is SellerStatus.ACTIVE and s.id in pool.by_seller]
    owners = [_Owner(c.user_id, None, c, c.name) for c in creators]
    owners += [_Owner(s.owner_user_id, s, None, s.name) for s in posting]
    creator_total = sum(c.weight for c in creators) or 1.0
    seller_total = sum(s.weight for s in posting) or 1.0
    share = CREATOR_SHARE if posting else 1.0
    weights = [c.weight / creator_total * share for c in creators]
    weights += [s.weight / seller_total * (1 - share) for s in posting]
    return owners, list(accumulate(weights))


def _pick_products(rng: random.Random, owner: _Owner, pool: _Pool, count: int) -> list[Listing]:
    """The first listing sets the theme; the rest mostly share its leaf, else its department (or seller)."""
    if owner.seller is not None:
        own = pool.by_seller[owner.seller.id]
        first = pool.draw(rng, own)
    else:
        assert owner.creator is not None
        departments = owner.creator.departments
        dept = departments[0] if rng.random() < 0.75 or len(departments) == 1 else rng.choice(departments[1:])
        if dept not in pool.by_department:
            dept = rng.choice(sorted(str(k) for k in pool.by_department))
        first = pool.draw(rng, pool.by_department[dept])
    picked = {first.id: first}
    for _ in range(4 * count):
        if len(picked) >= count:
            break
        if owner.seller is not None:
            mine = [x for x in pool.by_seller[owner.seller.id][0] if x.category_id == first.category_id]
            candidate = rng.choice(mine) if mine and rng.random() < 0.7 else pool.draw(rng, own)
        elif rng.random() < 0.7:
            candidate = pool.draw(rng, pool.by_category[first.category_id])
        else:
            candidate = pool.draw(rng, pool.by_department[first.leaf.department])
        picked.setdefault(candidate.id, candidate)
    return list(picked.values())


def _words(rng: random.Random, owner: _Owner, products: list[Listing], templates: tuple[str, ...]) -> str:
    first = products[0]
    return rng.choice(templates).format(
        brand=first.brand, item=first.item, item_l=first.item.lower(), n=len(products),
        leaf_l=first.leaf.path[-1].lower(), dept=DEPARTMENTS[first.leaf.department],
        dept_l=DEPARTMENTS[first.leaf.department].lower(), shop=owner.seller.name if owner.seller else owner.name,
        owner=owner.name,
    )[:200]  # fmt: skip


def _text(rng: random.Random, owner: _Owner, products: list[Listing]) -> tuple[str, list[str]]:
    first = products[0]
    dept = first.leaf.department
    parts = [rng.choice(first.leaf.features), rng.choice(CALLS)]
    if owner.creator is not None:
        parts.append(f"Follow @{owner.creator.handle} for more {DEPARTMENTS[dept].lower()} finds.")
        if rng.random() < 0.3:
            parts.append("I earn a commission on purchases through this video.")
    else:
        assert owner.seller is not None
        parts.append(f"Shop more from {owner.seller.name}.")
    leaf_tags = ["".join(ch for ch in x.leaf.path[-1].lower() if ch.isalnum()) for x in products]
    tags = [*leaf_tags, *rng.sample(DEPARTMENT_TAGS[dept], 2), rng.choice(GENERIC_TAGS)]
    return " ".join(parts), list(dict.fromkeys(tags))


def _row(owner: _Owner, kind: ContentKind, title: str, description: str, hashtags: list[str]) -> Row:
    return {
        "id": 0, "kind": kind, "owner_user_id": owner.user_id,
        "seller_id": owner.seller.id if owner.seller else None, "title": title, "description": description,
        "hashtags": hashtags, "duration_s": None, "poster_ref": None, "status": ContentStatus.PUBLISHED,
        "live_state": None, "pinned_product_id": None, "scheduled_at": None, "published_at": None,
    }  # fmt: skip


def _video(rng: random.Random, owner: _Owner, pool: _Pool, status: ContentStatus, reference: dt.datetime) -> _Draft:
    products = _pick_products(rng, owner, pool, rng.choices((1, 2, 3), (55, 30, 15))[0])
    single, multi = (SELLER_SINGLE, SELLER_MULTI) if owner.seller else (CREATOR_SINGLE, CREATOR_MULTI)
    title = _words(rng, owner, products, single if len(products) == 1 or rng.random() < 0.3 else multi)
    description, hashtags = _text(rng, owner, products)
    row = _row(owner, ContentKind.VIDEO, title, description, hashtags)
    row["duration_s"] = int(8 + 82 * rng.random() ** 1.7)  # 8-90 s, mostly short
    row["status"] = status
    published = reference - PUBLISH_WINDOW * rng.random()
    created = published - dt.timedelta(minutes=rng.uniform(5, 2880))
    row["published_at"] = None if status is ContentStatus.DRAFT else published
    updated = published
    if status is ContentStatus.REMOVED:
        updated = min(reference, published + dt.timedelta(hours=rng.uniform(1, 240)))
    row["created_at"], row["updated_at"] = created, updated
    return _Draft(created, row, [x.id for x in products], rng.lognormvariate(0, 0.8))


def _live(rng: random.Random, owner: _Owner, pool: _Pool, *, ended: bool, reference: dt.datetime) -> _Draft:
    products = _pick_products(rng, owner, pool, rng.randint(2, 5))
    title = _words(rng, owner, products, LIVE_TITLES)
    description, hashtags = _text(rng, owner, products)
    row = _row(owner, ContentKind.LIVE, title, description, [*hashtags, "live"])
    if ended:
        scheduled = _on_the_hour(reference - dt.timedelta(days=rng.uniform(1, 45)))
        created = scheduled - dt.timedelta(days=rng.uniform(1, 7))
        duration = rng.randint(1800, 7200)
        row.update(live_state=LiveState.ENDED, duration_s=duration, pinned_product_id=products[0].id,
                   published_at=scheduled, updated_at=scheduled + dt.timedelta(seconds=duration))  # fmt: skip
    else:
        scheduled = _on_the_hour(reference + dt.timedelta(days=rng.uniform(0.5, 14)))
        created = reference - dt.timedelta(days=rng.uniform(0.1, 5))
        row.update(live_state=LiveState.SCHEDULED, published_at=created, updated_at=created)
    row["scheduled_at"], row["created_at"] = scheduled, created
    return _Draft(created, row, [x.id for x in products], 1.0)


def _on_the_hour(at: dt.datetime) -> dt.datetime:
    return at.replace(minute=0, second=0, microsecond=0)
