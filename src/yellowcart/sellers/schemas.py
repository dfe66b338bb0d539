"""Seller API shapes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from yellowcart.catalog.modes import SellingMode
from yellowcart.catalog.schemas import https_only
from yellowcart.sellers.models import SellerStatus


def _trimmed(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


SellerName = Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_trimmed)]
StoreUrl = Annotated[str, Field(min_length=9, max_length=300), AfterValidator(https_only)]


class SellerOut(BaseModel):
    """What anyone allowed to see a seller sees."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    status: SellerStatus
    default_selling_mode: SellingMode
    store_url: str | None


class SellerPage(BaseModel):
    items: list[SellerOut]
    next_cursor: str | None = Field(description="Pass as cursor for the next page; null on the last page")


class SellerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: SellerName
    status: SellerStatus = SellerStatus.PENDING
    default_selling_mode: SellingMode = SellingMode.SELLER_FULFILLED
    store_url: StoreUrl | None = None


class SellerPatch(BaseModel):
    """Only the fields sent change. Sellers may change store_url and default_selling_mode only."""

    model_config = ConfigDict(extra="forbid")

    name: SellerName | None = None
    status: SellerStatus | None = None
    default_selling_mode: SellingMode | None = None
    store_url: StoreUrl | None = Field(default=None, description="null clears it")

    @field_validator("name", "status", "default_selling_mode", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    display_name: str = Field(min_length=1, max_length=120)
    password: str | None = Field(default=None, min_length=10, max_length=200)


class MemberOut(BaseModel):
    user_id: int
    seller_id: int
    email: str
    display_name: str
    role: str
