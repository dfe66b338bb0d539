"""The demo market's onboarding: every seller except the platform's own store has an application that
agrees with its status (active and suspended: approved, with the evaluation the reviewer saw all green;
pending: in the review queue or a draft that says what to fix), a legal audit trail, and the same
applications from the same seed. A small market has no pending seller, so the pending stories are
checked by onboarding the same sellers again as if all were pending."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from yellowcart import models
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import Database
from yellowcart.demo.generate import build_market, generate_market
from yellowcart.demo.onboarding import PENDING_STORIES, add_onboarding
from yellowcart.demo.plan import REFERENCE_DATE
from yellowcart.sellers.lifecycle import TRANSITIONS
from yellowcart.sellers.models import (
    ApplicationStatus,
    Seller,
    SellerApplication,
    SellerApplicationHistory,
    SellerIdDocument,
    SellerStatus,
)
from yellowcart.sellers.review import review_queue

SEED, SCALE = 11, 0.1


def _market(path: Path) -> Database:
    db = Database(f"sqlite:///{path}/demo.db")
    models.Base.metadata.create_all(db.engine)
    generate_market(db, seed=SEED, scale=SCALE, progress=False)
    return db


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    db = _market(tmp_path_factory.mktemp("onboarding-demo"))
    yield db
    db.dispose()


def _snapshot(db: Database) -> list[tuple[Any, ...]]:
    """What the seed decides (the hashes depend on the key, not the seed)."""
    with db.transaction() as s:
        return [
            tuple(row)
            for row in s.execute(
                select(
                    SellerApplication.seller_id,
                    SellerApplication.status,
                    SellerApplication.legal_name,
                    SellerApplication.ein_last4,
                    SellerApplication.follower_count,
                    SellerApplication.eligible,
                    SellerApplication.evaluation,
                    SellerApplication.submitted_at,
                    SellerApplication.decided_at,
                ).order_by(SellerApplication.seller_id)
            )
        ]


def test_every_seller_has_an_application_matching_its_status(demo: Database) -> None:
    with demo.transaction() as s:
        sellers = {x.id: x for x in s.scalars(select(Seller))}
        applications = {a.seller_id: a for a in s.scalars(select(SellerApplication))}
        documents = {d.application_id for d in s.scalars(select(SellerIdDocument))}
    platform = {sid for sid, x in sellers.items() if x.default_selling_mode is SellingMode.PLATFORM_OWNED}
    assert platform and set(applications) == set(sellers) - platform
    assert {a.id for a in applications.values()} == documents
    for seller_id, application in applications.items():
        status = sellers[seller_id].status
        if status is SellerStatus.PENDING:
            assert application.status in (
                ApplicationStatus.DRAFT,
                ApplicationStatus.SUBMITTED,
                ApplicationStatus.NEEDS_INFO,
            )
        else:
            assert application.status is ApplicationStatus.APPROVED, (status, application.status)
            assert application.eligible and application.decided_at is not None
            assert all(r["passed"] for r in application.evaluation), application.evaluation
            assert application.evaluated_at == application.decided_at
    assert ApplicationStatus.APPROVED in {a.status for a in applications.values()}


def assert_pending_stories(db: Database) -> None:
    with db.transaction() as s:
        queue = review_queue(s, statuses=[ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_INFO])
        drafts = s.scalars(select(SellerApplication).where(SellerApplication.status == ApplicationStatus.DRAFT)).all()
        assert queue and all(a.eligible for a in queue if a.status is ApplicationStatus.SUBMITTED)
        queued = [a.queued_at for a in queue if a.status is ApplicationStatus.SUBMITTED and a.queued_at]
        assert len(queued) == sum(1 for a in queue if a.status is ApplicationStatus.SUBMITTED)
        assert queued == sorted(queued)
        for draft in drafts:
            failing = [r for r in draft.evaluation if not r["passed"]]
            assert failing and all(r["fix"] for r in failing)


def test_audit_trails_are_legal_paths(demo: Database) -> None:
    with demo.transaction() as s:
        trails: dict[int, list[SellerApplicationHistory]] = {}
        for h in s.scalars(select(SellerApplicationHistory).order_by(SellerApplicationHistory.id)):
            trails.setdefault(h.application_id, []).append(h)
        final = dict(s.execute(select(SellerApplication.id, SellerApplication.status)).all())
    assert set(trails) == set(final)
    for application_id, trail in trails.items():
        assert trail[0].from_status is None and trail[0].to_status is ApplicationStatus.DRAFT
        for before, after in pairwise(trail):
            assert after.from_status is before.to_status and after.to_status in TRANSITIONS[before.to_status]
            assert after.at >= before.at
        assert trail[-1].to_status is final[application_id]
        assert all(h.reason for h in trail if h.to_status is ApplicationStatus.NEEDS_INFO)


def test_same_seed_same_applications_and_every_pending_story(demo: Database, tmp_path: Path) -> None:
    again = _market(tmp_path)
    assert _snapshot(again) == _snapshot(demo)
    with again.transaction() as s:
        s.execute(delete(SellerApplication))  # documents, GMV days and history go with them (cascade)
        assert s.scalar(select(func.count()).select_from(SellerApplicationHistory)) == 0
    plan = build_market(SEED, SCALE, REFERENCE_DATE, lambda _label: None)
    pending = [dataclasses.replace(p, status=SellerStatus.PENDING) for p in plan.catalog.sellers]
    made = add_onboarding(again, pending, plan.warehouses, seed=SEED, reference=REFERENCE_DATE)
    assert made.approved == 0 and made.in_review == made.applications >= len(PENDING_STORIES)
    assert_pending_stories(again)
    with again.transaction() as s:
        by_status = Counter(s.scalars(select(SellerApplication.status)))
        failing = Counter(
            r["kind"] for a in s.scalars(select(SellerApplication)) for r in a.evaluation if not r["passed"]
        )
    assert {ApplicationStatus.SUBMITTED, ApplicationStatus.NEEDS_INFO, ApplicationStatus.DRAFT} <= set(by_status)
    assert {"min_followers", "consecutive_gmv_days"} <= set(failing)
    again.dispose()
