"""Auth API shapes."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from yellowcart.auth.models import Role


class SignupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    display_name: str = Field(min_length=1, max_length=120)
    password: str = Field(min_length=10, max_length=200)
    home_zip: str | None = Field(default=None, pattern=r"^\d{5}$")


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Not EmailStr: signing in only looks the address up (a wrong one simply fails), and accounts made
    # by operators or the demo (ops@yellowcart.test, a reserved test domain) must be able to sign in.
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    token: str
    token_type: str = "bearer"
    user_id: int
    role: Role


class MeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: Role
    seller_id: int | None
    home_zip: str | None
