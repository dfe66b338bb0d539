"""The label posting rule without a database: balanced, split over the lines by units to the cent, no
seller charged for platform-owned lines, nothing for a free label."""

from __future__ import annotations

import pytest

from yellowcart.catalog.modes import SellingMode
from yellowcart.ledger.chart import Account
from yellowcart.ledger.return_labels import LabelLine, label_postings

M = SellingMode


def _seller_side(postings: list) -> dict[int | None, int]:  # type: ignore[type-arg]
    return {p.line_id: p.amount for p in postings if p.account is Account.SELLER_PAYABLE}


def test_split_by_units_to_the_cent_and_balanced() -> None:
    lines = [LabelLine(1, 2, M.SELLER_FULFILLED), LabelLine(2, 1, M.FULL_CUSTODY)]
    postings = label_postings(9, 1001, lines)
    assert sum(p.amount for p in postings) == 0
    assert _seller_side(postings) == {1: 667, 2: 334}  # 2:1, the odd cent to the largest remainder
    assert {p.seller_id for p in postings} == {9}
    assert sum(p.amount for p in postings if p.account is Account.SHIPPING_COST) == -1001


def test_platform_owned_lines_charge_no_seller_and_free_labels_post_nothing() -> None:
    mixed = [LabelLine(1, 1, M.PLATFORM_OWNED), LabelLine(2, 1, M.SELLER_FULFILLED)]
    assert _seller_side(label_postings(9, 800, mixed)) == {2: 400}
    assert label_postings(9, 800, [LabelLine(1, 3, M.PLATFORM_OWNED)]) == []
    assert label_postings(9, 0, mixed) == [] and label_postings(9, 800, []) == []
    with pytest.raises(ValueError):
        label_postings(9, -1, mixed)
