"""The rule kinds a market's onboarding policy is made of, as typed data (pure, no I/O).

A policy is a JSON list of rules, each ``{"kind": ..., **params}``; this module is what makes an unknown
kind or a bad parameter a 422 instead of a policy that silently never passes. ``eligibility`` evaluates them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from yellowcart.sellers.models import DocumentType

CountryCode = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, upper case")]


def _distinct(values: list[Any]) -> list[Any]:
    if len(set(values)) != len(values):
        raise ValueError("list each value once")
    return values


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UsEntityWithEin(_Rule):
    """A business registered in the US, with an EIN and a real US address."""

    kind: Literal["us_entity_with_ein"] = "us_entity_with_ein"


class BusinessEntity(_Rule):
    """A registered business (legal name, type, address) in one of ``countries`` (empty: anywhere)."""

    kind: Literal["business_entity"] = "business_entity"
    countries: Annotated[list[CountryCode], AfterValidator(_distinct)] = Field(default_factory=list, max_length=250)


class IdDocument(_Rule):
    """The representative's ID: an accepted type, issued in one of ``issuing_countries`` (empty: anywhere),
    valid on the evaluation date and for ``min_days_valid`` days after it."""

    kind: Literal["id_document"] = "id_document"
    accepted_types: Annotated[list[DocumentType], AfterValidator(_distinct)] = Field(min_length=1)
    issuing_countries: Annotated[list[CountryCode], AfterValidator(_distinct)] = Field(
        default_factory=list, max_length=250
    )
    min_days_valid: int = Field(default=0, ge=0, le=3650)


class UsPhone(_Rule):
    """A phone number with a US area code (NANP numbers of Canada and the Caribbean do not count)."""

    kind: Literal["us_phone"] = "us_phone"


class UsShippingOrigin(_Rule):
    """Orders ship from a real US street-address ZIP (not a PO box, not a military post office)."""

    kind: Literal["us_shipping_origin"] = "us_shipping_origin"


class MinFollowers(_Rule):
    """A linked social account with at least ``min_followers`` followers."""

    kind: Literal["min_followers"] = "min_followers"
    min_followers: int = Field(ge=0, le=10_000_000_000)


class ConsecutiveGmvDays(_Rule):
    """``days`` consecutive days, each with GMV >= ``daily_target_cents``, all within the ``lookback_days``
    days before the evaluation date (the evaluation day itself is not over yet, so it does not count)."""

    kind: Literal["consecutive_gmv_days"] = "consecutive_gmv_days"
    days: int = Field(ge=1, le=365)
    daily_target_cents: int = Field(ge=1, le=100_000_000_00)
    lookback_days: int = Field(default=90, ge=1, le=730)

    @model_validator(mode="after")
    def _window_holds_the_streak(self) -> ConsecutiveGmvDays:
        if self.lookback_days < self.days:
            raise ValueError("lookback_days must be at least days")
        return self


Rule = Annotated[
    UsEntityWithEin | BusinessEntity | IdDocument | UsPhone | UsShippingOrigin | MinFollowers | ConsecutiveGmvDays,
    Field(discriminator="kind"),
]
RULE_KINDS = ("us_entity_with_ein", "business_entity", "id_document", "us_phone", "us_shipping_origin",
              "min_followers", "consecutive_gmv_days")  # fmt: skip


def _one_of_each_kind(rules: list[Rule]) -> list[Rule]:
    kinds = [r.kind for r in rules]
    if len(set(kinds)) != len(kinds):
        raise ValueError("each rule kind may appear once in a policy")
    return rules


RuleList = Annotated[list[Rule], Field(min_length=1, max_length=20), AfterValidator(_one_of_each_kind)]
_rules_adapter: TypeAdapter[list[Rule]] = TypeAdapter(RuleList)


def parse_rules(raw: list[dict[str, Any]]) -> list[Rule]:
    """Stored JSON -> typed rules (stored rules were validated on write; this re-checks anyway)."""
    return _rules_adapter.validate_python(raw)


def dump_rules(rules: list[Rule]) -> list[dict[str, Any]]:
    return [rule.model_dump(mode="json") for rule in rules]


ALL_DOCUMENTS = list(DocumentType)
#: The seed market (US local sellers), as the issue states it.
US_SEED_POLICY: list[Rule] = [
    UsEntityWithEin(),
    IdDocument(accepted_types=ALL_DOCUMENTS, issuing_countries=["US"]),
    UsPhone(),
    UsShippingOrigin(),
    MinFollowers(min_followers=5000),
    ConsecutiveGmvDays(days=30, daily_target_cents=25_000, lookback_days=90),
]
#: A cross-border example: a registered business anywhere, a passport, stock in a US warehouse.
CROSS_BORDER_POLICY: list[Rule] = [
    BusinessEntity(),
    IdDocument(accepted_types=[DocumentType.PASSPORT], min_days_valid=90),
    UsShippingOrigin(),
    MinFollowers(min_followers=1000),
]
SEED_MARKETS: dict[str, tuple[str, list[Rule]]] = {
    "US": ("United States: local sellers", US_SEED_POLICY),
    "US-XB": ("United States: cross-border sellers", CROSS_BORDER_POLICY),
}
