"""Test helpers shared by every domain's tests (imported as ``support``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import text

from yellowcart.auth.models import Role
from yellowcart.auth.service import create_token, create_user
from yellowcart.bootstrap import Container
from yellowcart.catalog.models import Category, Product, ProductStatus, Variant
from yellowcart.catalog.modes import SellingMode
from yellowcart.creators.models import TERMS_VERSION, Membership, OpenRate, ShowcaseItem
from yellowcart.db import Database, utcnow
from yellowcart.inventory.models import Stock, Warehouse, WarehouseOperator
from yellowcart.sellers.models import Seller, SellerStatus

#: How long a browser test's page action may wait. Generous: CI runs two test workers and chromium on two
#: cores, and one navigation once stalled past 10 s there while the same page loads in ~50 ms on its own;
#: the browser tests check behaviour, not speed (bench/web_pages.py measures speed).
BROWSER_TIMEOUT_MS = 30_000


@dataclass
class LiveServer:
    base_url: str
    container: Container

    def client(self, token: str | None = None, **kwargs: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=60, **kwargs)


# ---- factories -------------------------------------------------------------------------------------


@dataclass
class Market:
    """A tiny market built through the ORM, plus tokens to call the API as each role."""

    db: Database
    tokens: dict[str, str] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    seller_ids: list[int] = field(default_factory=list)
    warehouse_ids: list[int] = field(default_factory=list)
    category_id: int = 0
    _n: int = 0

    def user(self, name: str, role: Role, seller_id: int | None = None) -> str:
        with self.db.transaction() as s:
            user = create_user(s, email=f"{name}@test.example", display_name=name, role=role, seller_id=seller_id)
            token, _ = create_token(s, user_id=user.id)
        self.tokens[name], self.users[name] = token, user.id
        return token

    def seller(self, name: str, status: SellerStatus = SellerStatus.ACTIVE) -> int:
        with self.db.transaction() as s:
            seller = Seller(name=name, status=status, default_selling_mode=SellingMode.SELLER_FULFILLED)
            s.add(seller)
            s.flush()
            wh = Warehouse(
                code=f"WH-{name}",
                name=f"{name} warehouse",
                operator=WarehouseOperator.SELLER,
                seller_id=seller.id,
                line1="1 Main St",
                city="Newark",
                state="NJ",
                zip="07102",
            )
            s.add(wh)
            s.flush()
        self.seller_ids.append(seller.id)
        self.warehouse_ids.append(wh.id)
        return seller.id

    def product(
        self,
        seller_id: int,
        *,
        price_cents: int = 1999,
        stock: int | list[int] = 10,
        mode: SellingMode = SellingMode.SELLER_FULFILLED,
        status: ProductStatus = ProductStatus.ACTIVE,
        title: str = "Hydrating serum",
        category: str = "beauty",
        priced: bool = True,
    ) -> str:
        """Create a one-variant product; ``stock`` per warehouse (list) or in the seller's first one."""
        self._n += 1
        sku = f"SKU-{self._n:05d}"
        with self.db.transaction() as s:
            cat = s.query(Category).filter_by(slug=category).one_or_none()
            if cat is None:
                cat = Category(slug=category, name=category.title(), path=f"{category}/")
                s.add(cat)
                s.flush()
            if not self.category_id:
                self.category_id = cat.id
            product = Product(
                seller_id=seller_id,
                category_id=cat.id,
                title=f"{title} {self._n}",
                description="test product",
                status=status,
                selling_mode=mode,
                redirect_url="https://example.com/p" if mode is SellingMode.REDIRECT else None,
            )
            # Full custody sells only once the platform accepted a supply price (here: 60% of retail);
            # ``priced=False`` leaves it waiting for the price check.
            supply = price_cents * 60 // 100 if mode is SellingMode.FULL_CUSTODY and priced else None
            product.variants.append(
                Variant(sku=sku, price_cents=price_cents, options={"size": "30ml"}, supply_price_cents=supply)
            )
            s.add(product)
            s.flush()
            seller_wh = [w for w in s.query(Warehouse).filter_by(seller_id=seller_id).order_by(Warehouse.id)]
            quantities = stock if isinstance(stock, list) else [stock]
            while len(seller_wh) < len(quantities):
                extra = Warehouse(
                    code=f"WH-{seller_id}-{len(seller_wh)}",
                    name="extra",
                    operator=WarehouseOperator.SELLER,
                    seller_id=seller_id,
                    line1="2 Side St",
                    city="Austin",
                    state="TX",
                    zip="73301",
                )
                s.add(extra)
                s.flush()
                seller_wh.append(extra)
            for wh, qty in zip(seller_wh, quantities, strict=False):
                s.add(Stock(variant_id=product.variants[0].id, warehouse_id=wh.id, on_hand=qty, reserved=0))
        return sku

    def affiliate(self, creator: str, *product_ids: int, rate_bps: int = 1000) -> None:
        """What a creator needs to tag listings in its content: it joins the affiliate programme, each listing
        offers an open rate (``rate_bps`` unless it has one) and sits in the creator's showcase."""
        creator_id = self.users[creator]
        with self.db.transaction() as s:
            if s.get(Membership, creator_id) is None:
                s.add(Membership(creator_id=creator_id, terms_version=TERMS_VERSION, accepted_terms_at=utcnow()))
            for pid in product_ids:
                if s.get(OpenRate, pid) is None:
                    s.add(OpenRate(product_id=pid, rate_bps=rate_bps, set_by_user_id=creator_id))
                shown = s.query(ShowcaseItem).filter_by(creator_id=creator_id, product_id=pid).one_or_none()
                if shown is None:
                    s.add(ShowcaseItem(creator_id=creator_id, product_id=pid))
                s.flush()

    def stock(self, sku: str) -> tuple[int, int]:
        """(on_hand, reserved) summed over warehouses."""
        with self.db.transaction() as s:
            row = s.execute(
                text(
                    "SELECT COALESCE(SUM(on_hand),0), COALESCE(SUM(reserved),0) FROM stock "
                    "JOIN variants ON variants.id = stock.variant_id WHERE variants.sku = :sku"
                ),
                {"sku": sku},
            ).one()
        return int(row[0]), int(row[1])


ADDRESS = {"name": "Ada Shopper", "line1": "350 5th Ave", "city": "New York", "state": "NY", "zip": "10118"}
