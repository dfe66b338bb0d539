"""The affiliate programme over real HTTP on SQLite and PostgreSQL: joining, rates (who may set them, their
range, targeted over open), the showcase, tagging only showcased listings with a rate, suspension, and
who may see what. Bad input changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from creators.creators_world import World, join, listing, make_world, offer, video
from support import LiveServer, Market
from yellowcart.catalog.modes import SellingMode
from yellowcart.creators.models import OpenRate, ShowcaseItem


@pytest.fixture
def w(server: LiveServer, market: Market) -> World:
    return make_world(server, market)


def _count(w: World, model: type) -> int:
    with w.market.db.transaction() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_join_once_with_terms_only_as_oneself(w: World) -> None:
    cara = w.ids["cara"]
    with w.client("cara") as c:
        refused = c.post(f"/v1/creators/{cara}/membership", json={"accept_terms": False})
        assert refused.status_code == 422 and refused.json()["field"] == "accept_terms"
        assert c.get(f"/v1/creators/{cara}/membership").status_code == 404  # nothing was stored
        first = c.post(f"/v1/creators/{cara}/membership", json={"accept_terms": True})
        assert first.status_code == 201 and first.json()["status"] == "active" and first.json()["terms_version"]
        again = c.post(f"/v1/creators/{cara}/membership", json={"accept_terms": True})
        assert again.status_code == 200 and again.json()["joined_at"] == first.json()["joined_at"]
        assert c.post(f"/v1/creators/{w.ids['dev']}/membership", json={"accept_terms": True}).status_code == 403
        assert c.get(f"/v1/creators/{w.ids['dev']}/membership").status_code == 404  # another creator's: missing
    with w.client("ada") as c:
        assert c.post(f"/v1/creators/{w.ids['ada']}/membership", json={"accept_terms": True}).status_code == 403
        assert c.get(f"/v1/creators/{cara}/membership").status_code == 403
    with w.client("ops") as c:
        assert c.get(f"/v1/creators/{cara}/membership").json()["creator_id"] == cara
        assert c.get(f"/v1/creators/{w.ids['ada']}/membership").status_code == 404  # not a creator at all


def test_rates_who_may_set_them_and_their_range(w: World) -> None:
    _, pid = listing(w)
    _, custody = listing(w, mode=SellingMode.FULL_CUSTODY)
    with w.client("seller") as c:
        for bad in (99, 8001, -5):
            r = c.put(f"/v1/products/{pid}/creator-rates/open", json={"rate_bps": bad})
            assert r.status_code == 422 and r.json()["code"] == "validation_error"
        assert c.put(f"/v1/products/{pid}/creator-rates/open", json={"rate_bps": 1500}).json()["rate_bps"] == 1500
        assert c.put(f"/v1/products/{pid}/creator-rates/open", json={"rate_bps": 1200}).json()["rate_bps"] == 1200
        targeted = c.put(f"/v1/products/{pid}/creator-rates/creators/{w.ids['cara']}", json={"rate_bps": 2500})
        assert targeted.status_code == 200 and targeted.json()["creator_id"] == w.ids["cara"]
        not_creator = c.put(f"/v1/products/{pid}/creator-rates/creators/{w.ids['ada']}", json={"rate_bps": 2500})
        assert not_creator.status_code == 404
        platform_sells = c.put(f"/v1/products/{custody}/creator-rates/open", json={"rate_bps": 1000})
        assert platform_sells.status_code == 403 and platform_sells.json()["selling_mode"] == "full_custody"
        rates = c.get(f"/v1/products/{pid}/creator-rates").json()
        assert rates["open"]["rate_bps"] == 1200 and [t["rate_bps"] for t in rates["targeted"]] == [2500]
    for who in ("stranger", "cara", "ada"):
        with w.client(who) as c:
            assert c.put(f"/v1/products/{pid}/creator-rates/open", json={"rate_bps": 3000}).status_code == 403
            assert c.get(f"/v1/products/{pid}/creator-rates").status_code == 403
    with w.client("ops") as c:
        assert c.put(f"/v1/products/{custody}/creator-rates/open", json={"rate_bps": 800}).status_code == 200
    with w.market.db.transaction() as s:  # the database keeps the range even if Python did not
        assert s.get(OpenRate, pid) is not None and s.get(OpenRate, pid).rate_bps == 1200  # type: ignore[union-attr]
    with pytest.raises(IntegrityError), w.market.db.transaction() as s:
        s.add(OpenRate(product_id=listing(w)[1], rate_bps=9000, set_by_user_id=w.ids["ops"]))


def test_showcase_and_tagging_need_membership_a_rate_and_the_showcase(w: World) -> None:
    _, offered = listing(w)
    _, bare = listing(w)
    cara = w.ids["cara"]
    offer(w, offered, 1000)
    with w.client("cara") as c:
        not_member = c.post(f"/v1/creators/{cara}/showcase", json={"product_id": offered})
        assert not_member.status_code == 409 and not_member.json()["code"] == "not_a_member"
        untagged = c.post("/v1/content", json={"title": "t", "duration_s": 9, "product_ids": [offered]})
        assert untagged.status_code == 422 and untagged.json()["reasons"] == {str(offered): "not_a_member"}
    join(w, "cara")
    with w.client("cara") as c:
        no_rate = c.post(f"/v1/creators/{cara}/showcase", json={"product_id": bare})
        assert no_rate.status_code == 409 and no_rate.json()["code"] == "no_rate_offered"
        body = {"title": "Haul", "duration_s": 20, "product_ids": [offered, bare], "status": "published"}
        refused = c.post("/v1/content", json=body)
        assert refused.status_code == 422 and refused.json()["code"] == "not_taggable"
        assert refused.json()["reasons"] == {str(offered): "not_in_showcase", str(bare): "not_in_showcase"}
        added = c.post(f"/v1/creators/{cara}/showcase", json={"product_id": offered})
        assert added.status_code == 201 and added.json()["rate_bps"] == 1000
        assert c.post(f"/v1/creators/{cara}/showcase", json={"product_id": offered}).status_code == 200
        ok = c.post("/v1/content", json={**body, "product_ids": [offered]})
        assert ok.status_code == 201
        adding_bare = c.patch(f"/v1/content/{ok.json()['id']}", json={"product_ids": [offered, bare]})
        assert adding_bare.status_code == 422 and adding_bare.json()["product_ids"] == [bare]
    assert _count(w, ShowcaseItem) == 1
    with w.client("seller") as c:  # the seller withdraws the rate: the listing cannot be tagged any more
        assert c.delete(f"/v1/products/{offered}/creator-rates/open").status_code == 204
    with w.client("cara") as c:
        gone = c.post("/v1/content", json={**body, "product_ids": [offered]})
        assert gone.status_code == 422 and gone.json()["reasons"] == {str(offered): "no_rate_offered"}
    with w.client("seller") as c:  # sellers tag their own listings without any programme
        own = c.post("/v1/content", json={**body, "product_ids": [bare]})
        assert own.status_code == 201


def test_public_showcase_hides_rates_and_suspension_stops_tagging(w: World) -> None:
    _, pid = listing(w)
    offer(w, pid, 1500)
    join(w, "cara")
    video(w, "cara", pid)
    cara = w.ids["cara"]
    with w.client() as anon:
        [item] = anon.get(f"/v1/creators/{cara}/showcase").json()["items"]
        assert item["product_id"] == pid and item["rate_bps"] is None
    with w.client("cara") as c:
        assert c.get(f"/v1/creators/{cara}/showcase").json()["items"][0]["rate_bps"] == 1500
        offers = c.get(f"/v1/creators/{cara}/offers").json()["items"]
        assert [(o["product_id"], o["rate_bps"], o["rate_kind"]) for o in offers] == [(pid, 1500, "open")]
    with w.client("ops") as c:
        no_reason = c.patch(f"/v1/creators/{cara}/membership", json={"status": "suspended"})
        assert no_reason.status_code == 422
        r = c.patch(f"/v1/creators/{cara}/membership", json={"status": "suspended", "reason": "fake reviews"})
        assert r.status_code == 200 and r.json()["suspended_reason"] == "fake reviews"
        assert [
            m["creator_id"] for m in c.get("/v1/operator/creators", params={"status": "suspended"}).json()["items"]
        ] == [cara]
    with w.client("cara") as c:
        r = c.post("/v1/content", json={"title": "x", "duration_s": 5, "product_ids": [pid]})
        assert r.status_code == 422 and r.json()["reasons"] == {str(pid): "not_a_member"}
        assert c.patch(f"/v1/creators/{cara}/membership", json={"status": "active"}).status_code == 403
    with w.client() as anon:
        assert anon.get(f"/v1/creators/{cara}/showcase").json()["items"] == []
    with w.client("ops") as c:
        assert c.patch(f"/v1/creators/{cara}/membership", json={"status": "active"}).json()["status"] == "active"
