"""Seller onboarding API shapes. Numbers are normalised on the way in (EIN, phone, document number) and
only ever leave masked. Validation messages never quote the number they are about."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from yellowcart.geo import US_STATES
from yellowcart.sellers import identity
from yellowcart.sellers.gmv import MAX_DAY_CENTS, MAX_IMPORT_ROWS
from yellowcart.sellers.lifecycle import DECISION_TARGET, REASON_REQUIRED, Decision
from yellowcart.sellers.models import ApplicationStatus, DocumentType, EntityType, SocialPlatform
from yellowcart.sellers.rules import CountryCode, RuleList
from yellowcart.sellers.schemas import SellerName

MARKET_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,8})?$"
MarketCode = Annotated[str, Field(pattern=MARKET_PATTERN, description="e.g. US, US-XB", examples=["US"])]
_US_ZIP = re.compile(r"^(\d{5})(-\d{4})?$")
STATE_ISSUED = frozenset({DocumentType.DRIVERS_LICENSE, DocumentType.STATE_ID})


def _trimmed(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    return value


def _us_zip(postal_code: str) -> str:
    found = _US_ZIP.match(postal_code.strip())
    if found is None:
        raise ValueError("a US ZIP code is 5 digits (ZIP+4 accepted)")
    return found.group(1)


Text = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_trimmed)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ---- sections (requests) -----------------------------------------------------------------------------


class AddressIn(_In):
    line1: Text
    line2: Annotated[str, Field(max_length=200)] | None = None
    city: Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_trimmed)]
    state: Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_trimmed)] = Field(
        description="US: the two-letter state; elsewhere the region"
    )
    postal_code: Annotated[str, Field(min_length=1, max_length=12), AfterValidator(_trimmed)]


class EntityIn(_In):
    entity_type: EntityType
    legal_name: Text
    country: CountryCode = "US"
    ein: str | None = Field(default=None, max_length=20, description="NN-NNNNNNN; stored hashed, shown masked")
    address: AddressIn

    @field_validator("ein")
    @classmethod
    def _ein(cls, value: str | None) -> str | None:
        return None if value is None else identity.normalise_ein(value)

    @model_validator(mode="after")
    def _us_address(self) -> EntityIn:
        if self.country == "US":
            state = self.address.state.upper()
            if state not in US_STATES:
                raise ValueError("a US business address needs a two-letter US state")
            self.address.state, self.address.postal_code = state, _us_zip(self.address.postal_code)
        return self


class DocumentIn(_In):
    type: DocumentType
    number: str = Field(min_length=1, max_length=40, description="Stored as last 4 + keyed hash; shown masked")
    expires_on: dt.date
    issuing_country: CountryCode
    issuing_state: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = Field(
        default=None, description="Required for US driver's licences and state IDs"
    )

    @field_validator("number")
    @classmethod
    def _number(cls, value: str) -> str:
        return identity.normalise_document_number(value)

    @model_validator(mode="after")
    def _issuer(self) -> DocumentIn:
        if self.type is DocumentType.PERMANENT_RESIDENT_CARD and self.issuing_country != "US":
            raise ValueError("permanent resident cards are issued by the US (USCIS)")
        if self.type in STATE_ISSUED and self.issuing_country == "US":
            if self.issuing_state not in US_STATES:
                raise ValueError("a US driver's licence or state ID needs its issuing state")
        elif self.issuing_state is not None and self.issuing_country == "US":
            raise ValueError("passports and permanent resident cards are not issued by a state")
        if self.expires_on.year < 1990:
            raise ValueError("the expiry date is not plausible")
        return self


class PhoneIn(_In):
    phone: str = Field(min_length=10, max_length=32, description="A US number, e.g. (212) 736-0142 or +12127360142")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return identity.normalise_phone(value)


class ShippingOriginIn(_In):
    country: CountryCode = "US"
    postal_code: Annotated[str, Field(min_length=1, max_length=12), AfterValidator(_trimmed)] = Field(
        description="The warehouse's ZIP (US) or postal code"
    )

    @model_validator(mode="after")
    def _zip(self) -> ShippingOriginIn:
        if self.country == "US":
            self.postal_code = _us_zip(self.postal_code)
        return self


class SocialIn(_In):
    platform: SocialPlatform
    handle: str = Field(pattern=r"^@?[A-Za-z0-9._]{1,64}$")
    follower_count: int = Field(ge=0, le=10_000_000_000)

    @field_validator("handle")
    @classmethod
    def _handle(cls, value: str) -> str:
        return value.removeprefix("@")


class ApplicationPatch(_In):
    """Sections sent replace the stored ones whole; sections left out stay as they are."""

    market_code: MarketCode | None = None
    entity: EntityIn | None = None
    document: DocumentIn | None = None
    phone: PhoneIn | None = None
    shipping_origin: ShippingOriginIn | None = None
    social: SocialIn | None = None

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be omitted but not null")
        return value


class ApplicationOpenIn(_In):
    market_code: MarketCode = "US"
    seller_id: int | None = Field(default=None, ge=1, le=2_147_483_647, description="Operators only")


class SellerSignupIn(_In):
    email: EmailStr
    display_name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=10, max_length=200)
    seller_name: SellerName
    market_code: MarketCode = "US"


class GmvDayIn(_In):
    date: dt.date
    gmv_cents: int = Field(ge=0, le=MAX_DAY_CENTS)


class GmvImportIn(_In):
    days: list[GmvDayIn] = Field(min_length=1, max_length=MAX_IMPORT_ROWS)


class DecisionIn(_In):
    decision: Decision
    reason: Annotated[str, Field(min_length=1, max_length=500), AfterValidator(_trimmed)] | None = None

    @model_validator(mode="after")
    def _reason(self) -> DecisionIn:
        if DECISION_TARGET[self.decision] in REASON_REQUIRED and self.reason is None:
            raise ValueError("rejecting or requesting information needs a reason (the seller is shown it)")
        return self


class PolicyIn(_In):
    name: Annotated[str, Field(min_length=1, max_length=120), AfterValidator(_trimmed)] | None = None
    rules: RuleList


# ---- responses -----------------------------------------------------------------------------------


class RuleResultOut(BaseModel):
    kind: str
    passed: bool
    explanation: str
    fix: str | None


class EvaluationOut(BaseModel):
    eligible: bool
    evaluated_at: dt.datetime | None
    policy_version: int | None
    rules: list[RuleResultOut]


class EntityOut(BaseModel):
    entity_type: EntityType
    legal_name: str
    country: str
    ein: str | None = Field(description="Masked: **-***1234")
    address: dict[str, Any]


class DocumentOut(BaseModel):
    type: DocumentType
    number: str = Field(description="Masked: ****1234")
    expires_on: dt.date
    issuing_country: str
    issuing_state: str | None


class ShippingOriginOut(BaseModel):
    country: str
    postal_code: str


class SocialOut(BaseModel):
    platform: SocialPlatform
    handle: str
    follower_count: int


class GmvSummaryOut(BaseModel):
    imported_days: int
    platform_days: int
    first_day: dt.date | None
    last_day: dt.date | None


class HistoryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: dt.datetime
    actor_user_id: int | None
    actor_role: str
    from_status: ApplicationStatus | None
    to_status: ApplicationStatus
    reason: str | None


class ReuseOut(BaseModel):
    """Operators only: other applications carrying the same ID document or EIN (risk signal)."""

    document: int
    ein: int


class ApplicationOut(BaseModel):
    id: int
    seller_id: int
    seller_name: str
    market_code: str
    status: ApplicationStatus
    entity: EntityOut | None
    document: DocumentOut | None
    phone: str | None = Field(description="Masked: +1 ***-***-1234")
    shipping_origin: ShippingOriginOut | None
    social: SocialOut | None
    gmv: GmvSummaryOut
    evaluation: EvaluationOut
    decision_reason: str | None
    created_at: dt.datetime
    submitted_at: dt.datetime | None
    queued_at: dt.datetime | None
    decided_at: dt.datetime | None
    history: list[HistoryOut]
    reuse: ReuseOut | None = None


class QueueItemOut(BaseModel):
    id: int
    seller_id: int
    seller_name: str
    market_code: str
    status: ApplicationStatus
    eligible: bool
    evaluation: EvaluationOut
    submitted_at: dt.datetime | None
    queued_at: dt.datetime | None
    reuse: ReuseOut | None = None


class ApplicationPage(BaseModel):
    items: list[QueueItemOut]
    next_cursor: str | None


class SignupOut(BaseModel):
    token: str
    token_type: str = "bearer"
    user_id: int
    seller_id: int
    application: ApplicationOut


class GmvDayOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    date: dt.date = Field(validation_alias="day")
    source: str
    gmv_cents: int


class GmvDaysOut(BaseModel):
    items: list[GmvDayOut]


class GmvChangeOut(BaseModel):
    days: int = Field(description="Days imported (or platform days with sales recomputed)")
    application: ApplicationOut


class PolicyOut(BaseModel):
    code: str
    name: str
    version: int
    rules: list[dict[str, Any]]
    updated_at: dt.datetime
    reevaluated: int | None = Field(default=None, description="After a change: undecided applications re-evaluated")


class MarketList(BaseModel):
    items: list[PolicyOut]
