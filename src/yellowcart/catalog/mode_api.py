"""Selling-mode switches over HTTP: the audited operation and a product's switch history."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from yellowcart.auth.models import Role
from yellowcart.auth.service import Principal
from yellowcart.catalog import mode_change
from yellowcart.catalog.mode_models import SellingModeChange
from yellowcart.catalog.models import Product, ProductStatus
from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import MAX_PRICE_CENTS, HttpsUrl, Sku
from yellowcart.db import MAX_ID, utcnow
from yellowcart.http import Db, PathId, problems, require

router = APIRouter(tags=["catalog"])
Manager = Annotated[Principal, require(Role.SELLER, Role.OPERATOR)]
PROBLEMS = problems(
    s403="Platform-owned moves are for operators",
    s404="Unknown product (or another seller's)",
    s409="Same mode, open orders, consigned stock held, or the redirect cutover has passed",
)
OnHand = Annotated[int, Field(ge=0, le=1_000_000)]
SupplyPrice = Annotated[int, Field(ge=1, le=MAX_PRICE_CENTS)]


class ModeDataIn(BaseModel):
    """What the target mode needs; send only the part for your target."""

    model_config = ConfigDict(extra="forbid")

    redirect_url: HttpsUrl | None = Field(default=None, description="target redirect: the store page")
    warehouse_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="target seller_fulfilled")
    stock: dict[Sku, OnHand] = Field(
        default_factory=dict, max_length=100, description="target seller_fulfilled: on hand per active SKU"
    )
    supply_prices: dict[Sku, SupplyPrice] = Field(
        default_factory=dict, max_length=100, description="target full_custody: supply price (cents) per active SKU"
    )

    def data(self) -> mode_change.ModeData:
        return mode_change.ModeData(
            redirect_url=self.redirect_url,
            warehouse_id=self.warehouse_id,
            stock=dict(self.stock),
            supply_prices=dict(self.supply_prices),
        )


class ModeChangeIn(ModeDataIn):
    target: SellingMode
    reason: str = Field(min_length=1, max_length=300, description="Why (kept in the listing's history)")


class ProductModeOut(BaseModel):
    id: int
    selling_mode: SellingMode
    status: ProductStatus
    redirect_url: str | None


class ModeChangeOut(BaseModel):
    id: int
    product_id: int
    from_mode: SellingMode
    to_mode: SellingMode
    actor_user_id: int
    actor_role: str
    reason: str
    details: dict[str, Any]
    created_at: dt.datetime

    @classmethod
    def of(cls, change: SellingModeChange) -> ModeChangeOut:
        return cls(
            id=change.id,
            product_id=change.product_id,
            from_mode=change.from_mode,
            to_mode=change.to_mode,
            actor_user_id=change.actor_user_id,
            actor_role=change.actor_role,
            reason=change.reason,
            details=dict(change.details or {}),
            created_at=change.created_at,
        )


class ModeSwitchOut(BaseModel):
    change: ModeChangeOut
    product: ProductModeOut

    @classmethod
    def of(cls, change: SellingModeChange, product: Product) -> ModeSwitchOut:
        return cls(
            change=ModeChangeOut.of(change),
            product=ProductModeOut(
                id=product.id,
                selling_mode=product.selling_mode,
                status=product.status,
                redirect_url=product.redirect_url,
            ),
        )


@router.post(
    "/v1/products/{product_id}/selling-mode",
    response_model=ModeSwitchOut,
    responses=PROBLEMS,
    summary="Switch a listing's selling mode, with what the target needs (owner seller, operator); audited",
)
def switch_mode(product_id: PathId, body: ModeChangeIn, db: Db, who: Manager) -> ModeSwitchOut:
    with db.transaction() as session:
        change = mode_change.change_selling_mode(
            session,
            principal=who,
            product_id=product_id,
            target=body.target,
            reason=body.reason,
            now=utcnow(),
            data=body.data(),
        )
        return ModeSwitchOut.of(change, session.get_one(Product, product_id))


@router.get(
    "/v1/products/{product_id}/selling-mode/history",
    response_model=list[ModeChangeOut],
    responses=PROBLEMS,
    summary="A listing's selling-mode switches, oldest first (owner seller, operator)",
)
def mode_history(product_id: PathId, db: Db, who: Manager) -> list[ModeChangeOut]:
    with db.transaction() as session:
        changes = mode_change.mode_history(session, principal=who, product_id=product_id)
        return [ModeChangeOut.of(c) for c in changes]
