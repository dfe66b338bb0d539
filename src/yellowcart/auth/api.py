"""Sign-up (shoppers), login and who-am-I. Sellers, creators and operators are created by operators."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from yellowcart.auth import service
from yellowcart.auth.models import Role, User
from yellowcart.auth.schemas import LoginIn, MeOut, SignupIn, TokenOut
from yellowcart.db import utcnow
from yellowcart.errors import InvalidInput, NotFound
from yellowcart.geo import lookup_zip
from yellowcart.http import Caller, Db
from yellowcart.risk import checks as risk_checks
from yellowcart.risk.context import current as risk_context

router = APIRouter(prefix="/v1", tags=["auth"])
LOGIN_TTL = dt.timedelta(days=30)


@router.post("/users", response_model=TokenOut, status_code=201, summary="Sign up as a shopper")
def signup(body: SignupIn, db: Db) -> TokenOut:
    if body.home_zip and lookup_zip(body.home_zip) is None:
        raise InvalidInput(f"ZIP {body.home_zip} does not exist.", field="home_zip")
    with db.transaction() as session:
        user = service.create_user(
            session,
            email=body.email,
            display_name=body.display_name,
            role=Role.SHOPPER,
            password=body.password,
            home_zip=body.home_zip,
        )
        token, _ = service.create_token(session, user_id=user.id, name="signup", ttl=LOGIN_TTL)
        return TokenOut(token=token, user_id=user.id, role=user.role)


@router.post("/auth/tokens", response_model=TokenOut, status_code=201, summary="Log in: email + password -> token")
def login(body: LoginIn, db: Db) -> TokenOut:
    with db.transaction() as session:
        token, user = service.login(session, email=body.email, password=body.password, ttl=LOGIN_TTL)
        risk_checks.login(session, user_id=user.id, seller_id=user.seller_id, context=risk_context(), now=utcnow())
        return TokenOut(token=token, user_id=user.id, role=user.role)


@router.get("/me", response_model=MeOut)
def me(db: Db, who: Caller) -> MeOut:
    with db.transaction() as session:
        user = session.get(User, who.user_id)
        if user is None:
            raise NotFound("User not found.")
        return MeOut.model_validate(user)
