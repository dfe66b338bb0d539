"""US shipping-address validation at the edge: the ZIP must exist and belong to the state given."""

from __future__ import annotations

import re

from pydantic import BaseModel, Field, field_validator, model_validator

from yellowcart.geo import US_STATES, lookup_zip

_ZIP = re.compile(r"^\d{5}(-\d{4})?$")


class ShippingAddress(BaseModel):
    """A US delivery address."""

    name: str = Field(min_length=1, max_length=120)
    line1: str = Field(min_length=1, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str = Field(min_length=1, max_length=100)
    state: str = Field(min_length=2, max_length=2, description="USPS two-letter state code")
    zip: str = Field(min_length=5, max_length=10, description="5-digit ZIP or ZIP+4")
    phone: str | None = Field(default=None, max_length=32)

    @field_validator("state")
    @classmethod
    def _state(cls, value: str) -> str:
        value = value.upper()
        if value not in US_STATES:
            raise ValueError(f"'{value}' is not a US state code")
        return value

    @field_validator("zip")
    @classmethod
    def _zip(cls, value: str) -> str:
        if not _ZIP.match(value):
            raise ValueError("ZIP must be 5 digits (or ZIP+4)")
        return value[:5]

    @model_validator(mode="after")
    def _zip_in_state(self) -> ShippingAddress:
        info = lookup_zip(self.zip)
        if info is None:
            raise ValueError(f"ZIP {self.zip} does not exist")
        if info.state != self.state:
            raise ValueError(f"ZIP {self.zip} is in {info.state}, not {self.state}")
        return self
