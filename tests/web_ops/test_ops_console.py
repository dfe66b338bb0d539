"""The operations console in a real browser (headless chromium) on SQLite and PostgreSQL: an operator signs
in, reads the platform dashboard (a delivered order's GMV, the charts), approves a pending seller
application from the queue after reading every rule's result, and decides a risk case with its evidence;
a seller gets the 403 page. Plus what must be refused or kept: a decision without the CSRF token, a
rejection without a reason, the SLA page's figures and an appeal's decision."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from risk_cases.risk_world import appeal, assessment, record
from sellers.onboarding_world import ok, sign_up, streak, us_sections
from shipping.shipping_world import buy
from support import LiveServer, Market
from web_browser.browser_world import person, ship_and_deliver, shot, sign_in
from yellowcart.auth.models import Role
from yellowcart.catalog.custody_models import OfferStatus, SupplyOffer
from yellowcart.catalog.modes import SellingMode
from yellowcart.db import utcnow
from yellowcart.redirect.models import Cutover, CutoverStatus
from yellowcart.returns.models import ReturnRequest
from yellowcart.returns.state import ReturnStatus
from yellowcart.risk.case_models import ActionStatus, AppealStatus, CaseStatus, RiskAction, RiskAppeal, RiskCase
from yellowcart.sellers.models import ApplicationStatus, Seller, SellerApplication, SellerStatus


def _submitted_application(server: LiveServer, name: str) -> tuple[int, int]:
    """A would-be seller signs up, fills in every section, imports 30 days of GMV and submits."""
    signed = sign_up(server, name)
    app_id = signed["application"]["id"]
    with server.client(signed["token"]) as c:
        ok(c.patch(f"/v1/seller-applications/{app_id}", json=us_sections()))
        ok(c.post(f"/v1/seller-applications/{app_id}/gmv", json={"days": streak(30, 30_000)}))
        assert ok(c.post(f"/v1/seller-applications/{app_id}/submit"))["status"] == "submitted"
    return app_id, signed["seller_id"]


def _world(server: LiveServer, market: Market) -> dict[str, Any]:
    acme = market.seller("acme")
    seller_token = market.user("acme-staff", Role.SELLER, seller_id=acme)
    shopper_token = market.user("ada", Role.SHOPPER)
    sku = market.product(acme, price_cents=4200, title="Glow serum")
    order = buy(server, shopper_token, [(sku, 1)])["orders"][0]
    ship_and_deliver(server, market, seller_token, order["id"])
    return {
        "order": order,
        "shopper_token": shopper_token,
        "acme": acme,
        "operator": person(market, "olive", Role.OPERATOR),
        "seller": person(market, "sam", Role.SELLER, seller_id=acme),
        "shopper": person(market, "shay", Role.SHOPPER),
    }


def _row(market: Market, model: Any, row_id: int) -> Any:
    with market.db.transaction() as s:
        found = s.get(model, row_id)
        s.expunge(found)
        return found


def test_operator_reads_the_dashboard_approves_an_application_and_decides_a_risk_case(
    server: LiveServer, market: Market, page: Any
) -> None:
    world = _world(server, market)
    app_id, new_seller = _submitted_application(server, "glow")
    shady = market.seller("shady")
    case_id = record(market.db, assessment("seller", shady, "suspend", "bought_shop"))
    assert case_id is not None
    base = server.base_url

    # Signing in lands an operator on the dashboard: the delivered order's GMV, orders and both charts.
    sign_in(page, base, world["operator"])
    assert page.url.endswith("/ops")
    assert page.locator('[data-fact="gmv"]').inner_text() == "$42.00"
    assert page.locator('[data-fact="orders"]').inner_text() == "1"
    assert page.get_by_role("img", name=re.compile(r"^GMV per day, 30 days, \$42\.00 in all$")).count() == 1
    assert page.get_by_role("img", name=re.compile(r"^Parcels by days from payment to delivery")).count() == 1
    assert page.locator('[data-count="applications"]').inner_text() == "1"
    assert page.locator('[data-count="cases"]').inner_text() == "1"
    shot(page, "ops-dashboard")

    # The queue lists the submitted application; opening it shows every rule's result; approving activates.
    page.get_by_role("link", name="Applications to review").click()
    page.get_by_role("link", name=f"#{app_id}").click()
    rules = page.locator(".ops-rules li")
    assert rules.count() >= 5 and all(t.startswith("Pass") for t in rules.all_inner_texts())
    assert "consecutive_gmv_days" in page.locator(".ops-rules").inner_text()
    assert "****Q4M1" in page.content() and "X9K2P7Q4M1" not in page.content()  # numbers masked
    shot(page, "ops-application")
    page.get_by_label("Approve (activates the seller)").check()
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(re.compile(r"/ops/applications\?done=approve$"))
    assert "Application approved" in page.get_by_role("status").inner_text()
    assert _row(market, SellerApplication, app_id).status is ApplicationStatus.APPROVED
    assert _row(market, Seller, new_seller).status is SellerStatus.ACTIVE

    # The risk queue flags the case held back for an operator; its evidence is shown; suspending is recorded.
    page.get_by_role("link", name="Risk review").click()
    assert "awaits you" in page.locator("tbody tr").first.inner_text()
    page.get_by_role("link", name=f"#{case_id}").click()
    assert "bought_shop" in page.content() and "203.0.113.0/24" in page.content()  # the evidence
    page.get_by_role("combobox", name=re.compile("^Action level")).select_option("suspend")
    page.get_by_label("Note").fill("Devices and network all changed; the shop was sold.")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_url(re.compile(rf"/ops/risk/cases/{case_id}\?done=decided$"))
    assert page.locator(".status-pill").inner_text() == "actioned"
    shot(page, "ops-risk-case")
    case = _row(market, RiskCase, case_id)
    assert case.status is CaseStatus.ACTIONED and "shop was sold" in (case.decision_note or "")
    assert _row(market, Seller, shady).status is SellerStatus.SUSPENDED

    # A seller is not an operator: the console is a 403 page, and its navigation does not offer it.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, base, world["seller"])
    response = page.goto(f"{base}/ops")
    assert response is not None and response.status == 403 and "Not for your account" in page.content()
    assert page.get_by_role("link", name="Console").count() == 0


def test_refusals_sla_figures_and_an_appeal(server: LiveServer, market: Market, page: Any) -> None:
    world = _world(server, market)
    app_id, _ = _submitted_application(server, "glow")
    base = server.base_url

    # Anonymous: sign in first. A shopper: the 403 page on every console page.
    page.goto(f"{base}/ops/sla")
    assert "/signin?next=%2Fops%2Fsla" in page.url
    sign_in(page, base, world["shopper"])
    for path in ("/ops", "/ops/applications", f"/ops/applications/{app_id}", "/ops/risk", "/ops/sla"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 403, path
    page.get_by_role("button", name="Sign out").click()

    # An operator's decision without the CSRF token is refused before any work; a rejection needs a reason.
    sign_in(page, base, world["operator"])
    forged = page.request.post(f"{base}/ops/applications/{app_id}/decision", form={"decision": "approve"})
    assert forged.status == 403 and "This form has expired" in forged.text()
    page.goto(f"{base}/ops/applications/{app_id}")
    page.get_by_role("radio", name="Reject").check()
    page.get_by_role("button", name="Record decision").click()
    assert "needs a reason" in page.get_by_role("alert").inner_text()
    assert _row(market, SellerApplication, app_id).status is ApplicationStatus.SUBMITTED

    # A full-custody supply offer: a retail price under the minimum margin is refused, a fair one accepted.
    custody_sku = market.product(world["acme"], stock=0, mode=SellingMode.FULL_CUSTODY)
    with server.client(market.tokens["acme-staff"]) as c:
        offer_id = ok(c.post("/v1/supply-offers", json={"sku": custody_sku, "supply_price_cents": 1000}), 201)["id"]
    page.goto(f"{base}/ops/price-checks")
    page.get_by_label("Retail price ($)").fill("10.50")
    page.get_by_role("button", name=f"Accept offer #{offer_id}").click()
    assert f"Offer #{offer_id}:" in page.get_by_role("alert").inner_text()
    assert _row(market, SupplyOffer, offer_id).status is OfferStatus.OPEN
    page.get_by_label("Retail price ($)").fill("$24.00")
    page.get_by_role("button", name=f"Accept offer #{offer_id}").click()
    page.wait_for_url(re.compile(r"/ops/price-checks\?done=offer_accept$"))
    accepted = _row(market, SupplyOffer, offer_id)
    assert (accepted.status, accepted.price_cents) == (OfferStatus.ACCEPTED, 2400)

    # The SLA page has the seller's on-time delivery (the parcel arrived) and the warehouse's parcels.
    page.goto(f"{base}/ops/sla")
    acme_row = page.locator("tbody tr", has_text="acme").first.inner_text()
    assert "100.0% 1/1" in acme_row  # on-time delivery
    shot(page, "ops-sla")

    # The shopper asks to return the delivered order: the request waits in the returns queue; approving it
    # (with a note the shopper reads) moves it on.
    order = world["order"]
    lines = [{"order_line_id": line["id"], "quantity": line["quantity"]} for line in order["lines"]]
    with server.client(world["shopper_token"]) as c:
        body = {"lines": lines, "reason": "damaged", "comment": "The cap was cracked."}
        return_id = ok(c.post(f"/v1/orders/{order['id']}/returns", json=body), 201)["id"]
    page.get_by_role("link", name="Returns").click()
    assert "The cap was cracked." in page.content()
    page.get_by_label(f"Note for return #{return_id}").fill("Sorry about that: here is a label.")
    page.get_by_role("button", name=f"Approve return #{return_id}").click()
    page.wait_for_url(re.compile(r"/ops/returns\?done=return_approved$"))
    returned = _row(market, ReturnRequest, return_id)
    assert (
        returned.status is not ReturnStatus.REQUEST_PENDING
        and returned.decision_note == "Sorry about that: here is a label."
    )

    # The parcel comes back and is received; the inspection grades the line and the refund is issued.
    ops_token = market.user("ops-api", Role.OPERATOR)
    with server.client(world["shopper_token"]) as c:
        ok(c.post(f"/v1/returns/{return_id}/ship", json={}))  # with the label the approval bought
    with server.client(ops_token) as c:
        ok(c.post(f"/v1/returns/{return_id}/receive"))
    page.goto(f"{base}/ops/returns")
    page.get_by_label(f"Grade of line {lines[0]['order_line_id']}").select_option("B")
    page.get_by_role("button", name=f"Record inspection of return #{return_id}").click()
    page.wait_for_url(re.compile(r"/ops/returns\?done=return_inspected$"))
    inspected = _row(market, ReturnRequest, return_id)
    assert inspected.status is ReturnStatus.COMPLETED and inspected.refund_cents > 0

    # Warehouses: the seller's warehouse with its capacity; the US cutover is scheduled, then cancelled.
    page.get_by_role("link", name="Warehouses").click()
    assert page.locator("tbody tr").count() >= 1
    when = (utcnow() + dt.timedelta(days=10)).replace(second=0, microsecond=0)
    page.get_by_label("Cutover at (UTC)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Note (sellers see it)").fill("Redirect links end: sell in the app.")
    page.get_by_role("button", name="Schedule or move the cutover").click()
    page.wait_for_url(re.compile(r"/ops/warehouses\?done=cutover_scheduled$"))
    with market.db.transaction() as s:
        row = s.scalars(select(Cutover).where(Cutover.market == "US")).one()
        assert (row.status, row.cutover_at) == (CutoverStatus.SCHEDULED, when)
    page.get_by_role("button", name="Cancel the US cutover").click()
    page.wait_for_url(re.compile(r"\?done=cutover_cancelled$"))
    with market.db.transaction() as s:
        assert s.scalars(select(Cutover.status).where(Cutover.market == "US")).one() is CutoverStatus.CANCELLED

    # An appeal against an action in force: the operator overturns it and the action is lifted.
    case_id = record(market.db, assessment("seller", world["acme"], "restrict", "brushing"))
    assert case_id is not None
    with market.db.transaction() as s:
        action_id = s.scalars(
            select(RiskAction.id).where(RiskAction.case_id == case_id, RiskAction.status == ActionStatus.ACTIVE)
        ).first()
    assert action_id is not None
    with server.client(market.tokens["acme-staff"]) as c:
        appeal_id = ok(appeal(c, action_id, "Those were real customers."), 201)["id"]
    page.goto(f"{base}/ops/risk")
    page.get_by_role("link", name=f"case #{case_id}").click()
    page.get_by_label("Overturn: lift it and reinstate the account").check()
    page.get_by_label("Note (shown to the account)").fill("Orders checked: genuine buyers.")
    page.get_by_role("button", name=f"Decide appeal #{appeal_id}").click()
    page.wait_for_url(re.compile(r"\?done=overturn$"))
    assert _row(market, RiskAppeal, appeal_id).status is AppealStatus.OVERTURNED
    assert _row(market, RiskAction, action_id).status is not ActionStatus.ACTIVE
