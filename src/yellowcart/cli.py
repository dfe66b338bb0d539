"""The ``yellowcart`` command: serve, migrate, demo, users, tokens, worker, jobs."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from yellowcart.audit import log as audit_log
from yellowcart.auth import service as auth
from yellowcart.auth.models import Role
from yellowcart.db import Database
from yellowcart.settings import get_settings

app = typer.Typer(help="yellowcart: interest commerce, self-hosted.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users.")
tokens_app = typer.Typer(help="Manage API tokens.")
jobs_app = typer.Typer(help="Run periodic jobs once.")
eval_app = typer.Typer(help="Measure the recommender on public data, beside baselines (full ranking).")
import_app = typer.Typer(help="Import catalogues (Shopify product CSV).")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(jobs_app, name="jobs")
app.add_typer(eval_app, name="eval")
ledger_app = typer.Typer(help="The double-entry ledger: backfill, trial balance.")
app.add_typer(ledger_app, name="ledger")
app.add_typer(import_app, name="import")
redirect_app = typer.Typer(help="Redirect listings: the cutover migration report.")
app.add_typer(redirect_app, name="redirect")
console = Console()


def _db() -> Database:
    settings = get_settings()
    return Database(settings.database_url, pool_size=settings.db_pool_size, max_overflow=settings.db_max_overflow)


@app.command()
def migrate() -> None:
    """Create or upgrade the schema to the latest version and seed reference data (tax rates)."""
    from yellowcart.migrate import upgrade

    db = _db()
    upgrade(db)
    console.print(f"[green]schema up to date[/green] ({db.dialect})")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed builds the same market.")] = 42,
    scale: Annotated[
        float, typer.Option(min=0.01, max=10.0, help="1.0 = 50 sellers, 5,000 products, 10,000 shoppers.")
    ] = 1.0,
    reset: Annotated[bool, typer.Option(help="Delete existing data first.")] = False,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if the market already has products.")
    ] = False,
    train: Annotated[bool, typer.Option(help="Train the feed's models on the generated log afterwards.")] = True,
) -> None:
    """Generate a realistic, deterministic demo market (and train the feed on it)."""
    from sqlalchemy import func, select

    from yellowcart.catalog.models import Product
    from yellowcart.demo.generate import generate_market

    db = _db()
    if if_empty:
        with db.transaction() as session:
            if session.scalar(select(func.count(Product.id))):
                console.print("demo market already present; keeping it")
                return
    started = time.perf_counter()
    summary = generate_market(db, seed=seed, scale=scale, reset=reset, progress=True)
    console.print(
        f"[green]demo market ready[/green] in {time.perf_counter() - started:.1f}s: {summary.sellers} sellers, "
        f"{summary.products} products, {summary.variants} SKUs, {summary.categories} categories, "
        f"{summary.shoppers} shoppers, {summary.creators} creators, {summary.warehouses} warehouses, "
        f"{summary.orders} orders, {summary.content} videos and live rooms, {summary.events} interactions"
    )
    for role, login in summary.logins.items():
        console.print(f"  {role:9s} {login}")
    if train:
        _train(db)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port (env PORT).")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
) -> None:
    """Serve the API and pages with uvicorn."""
    import uvicorn

    console.print(f"yellowcart on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    uvicorn.run(
        "yellowcart.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


@app.command()
def worker() -> None:
    """Run the outbox worker and periodic jobs as their own process (production)."""
    from yellowcart.bootstrap import bootstrap

    container = bootstrap(get_settings())
    assert container.worker is not None
    console.print("outbox worker running; Ctrl-C to stop")
    container.worker.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        container.worker.stop()


@jobs_app.command("expire-reservations")
def expire_reservations() -> None:
    """Cancel unpaid orders whose reservation expired, releasing their stock."""
    from yellowcart.bootstrap import bootstrap

    expired = bootstrap(get_settings()).expire_reservations()
    console.print(f"expired {len(expired)} unpaid orders")


@jobs_app.command("sla")
def sla_jobs() -> None:
    """Detect late dispatch (notify; auto-cancel at 7 business days), lost parcels (reship or refund)
    and late deliveries (notify the shopper). Idempotent: a rerun records nothing new."""
    from yellowcart.bootstrap import bootstrap

    run = bootstrap(get_settings()).run_sla_jobs()
    console.print(
        f"late dispatch {len(run.late_dispatch)}, auto-cancelled {len(run.auto_cancelled)}, "
        f"lost {len(run.lost)}, late delivery {len(run.late_delivery)}"
    )


@jobs_app.command("returns")
def return_jobs() -> None:
    """Approve return requests nobody answered within 48 h (escalate flagged ones to operators once),
    refund returns received 5 business days ago and still not refunded, and complete orders whose
    return window closed with no open return. Idempotent."""
    from yellowcart.bootstrap import bootstrap

    run = bootstrap(get_settings()).run_return_jobs()
    console.print(
        f"approved {len(run.approved)}, escalated {len(run.escalated)}, refunded {len(run.refunded)}, "
        f"orders completed {len(run.completed)}"
    )


@jobs_app.command("support")
def support_jobs() -> None:
    """Customer service: flag first-response breaches (and e-mail the side that owes the answer), close
    idle conversations, e-mail unread messages (at most once per conversation and side per window),
    send recorded e-mails, delete messages past retention. Idempotent."""
    from yellowcart.bootstrap import bootstrap

    container = bootstrap(get_settings())
    run = container.support.run_jobs()
    container.live.broker.close()
    console.print(
        f"breaches {len(run.breached)}, auto-closed {len(run.auto_closed)}, e-mails queued {run.emails_queued}, "
        f"sent {run.emails_sent}, messages deleted {run.messages_deleted}"
    )


@jobs_app.command("live-deals")
def live_deals_job() -> None:
    """Start scheduled live deals whose time came (while their room is on air), end deals whose
    countdown ran out or whose room ended, giving their unsold units back to the SKU. Idempotent."""
    from yellowcart.db import utcnow
    from yellowcart.live.deal_jobs import run_live_deals

    run = run_live_deals(_db(), now=utcnow())
    console.print(f"started {len(run.started)}, ended {len(run.ended)}, cancelled {len(run.cancelled)}")


@jobs_app.command("promotions")
def promotions_job() -> None:
    """End promotions whose window passed or whose budget or total limit is used up, start flash deals
    whose window began (setting their units aside) and end those that sold out. Idempotent."""
    from yellowcart.db import utcnow
    from yellowcart.promotions.jobs import run

    done = run(_db(), utcnow())
    console.print(f"ended {len(done.ended)} promotions, started {len(done.deals_started)} flash deals")


@jobs_app.command("live-viewers")
def live_viewers_job() -> None:
    """Close live room visits whose heartbeats stopped (tabs closed), at their last heartbeat, and tell
    the rooms' viewers. The worker runs this every few seconds; idempotent."""
    from yellowcart.bootstrap import bootstrap

    container = bootstrap(get_settings())
    rooms = container.live.sweep()
    container.live.close()  # sends the rooms' hints before the command exits
    console.print(f"closed stale viewers in {len(rooms)} live rooms")


@jobs_app.command("seller-applications")
def seller_applications_job() -> None:
    """Re-evaluate undecided seller applications last evaluated before today (IDs expire, GMV windows
    slide). Idempotent: a second run the same day finds nothing to do."""
    from yellowcart.db import utcnow
    from yellowcart.sellers.assessment import reevaluate_stale

    count = reevaluate_stale(_db(), now=utcnow())
    console.print(f"re-evaluated {count} seller applications")


@app.command()
def train(
    what: Annotated[
        str, typer.Argument(help="feed (default), or risk: the anomaly model over accounts' risk features.")
    ] = "feed",
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing if the feed's engines are already trained.")
    ] = False,
) -> None:
    """Learn the feed's models from the interaction log (or, with ``risk``, the risk anomaly model); the
    new version is served once committed."""
    from sqlalchemy import select

    if what == "risk":
        _train_risk(_db())
        return
    if what != "feed":
        raise typer.BadParameter("train feed or train risk", param_hint="WHAT")

    from yellowcart.feed.engines import ENGINES_KIND
    from yellowcart.feed.models import ModelVersion

    db = _db()
    if if_missing:
        with db.transaction() as session:
            active = select(ModelVersion.id).where(ModelVersion.kind == ENGINES_KIND, ModelVersion.active.is_(True))
            if session.scalar(active) is not None:
                console.print("feed models already trained; keeping them")
                return
    _train(db)


def _train(db: Database) -> None:
    from rich.progress import Progress

    from yellowcart.feed.engines import train_engines
    from yellowcart.feed.ranker_training import train_ranker
    from yellowcart.feed.training import train as train_feed

    with Progress(console=console) as progress:
        task = progress.add_task("training", total=12)

        def step(label: str) -> None:
            progress.update(task, description=label, advance=1)

        version = train_feed(db, step=step)
        engines = train_engines(db, step=step)
        ranker = train_ranker(db, step=step)
        progress.update(task, completed=12, description="done")
    console.print(f"[green]co-engagement version {version.id} active[/green]: {version.stats}")
    if engines is not None:
        console.print(f"[green]engines version {engines.id} active[/green]: {engines.stats}")
    if ranker is None:
        console.print("ranker: not enough interactions yet to learn from; the hand-set blend stays")
    elif ranker.active:
        console.print(f"[green]ranker version {ranker.id} active[/green]: {ranker.stats}")
    else:
        console.print(f"ranker did not beat the blend on held-out shoppers; not activated: {ranker.stats}")


def _train_risk(db: Database) -> None:
    from rich.progress import Progress

    from yellowcart.db import utcnow
    from yellowcart.risk.anomaly import train as train_risk

    with Progress(console=console) as progress:
        task = progress.add_task("training", total=4)

        def step(label: str) -> None:
            progress.update(task, description=label, advance=1)

        version = train_risk(db, now=utcnow(), step=step)
        progress.update(task, completed=4, description="done")
    if version is None:
        console.print("risk: too few accounts with recent signals to learn from; no model stored")
    else:
        console.print(f"[green]risk anomaly version {version.id} active[/green]: {version.stats['accounts']}")


@jobs_app.command("risk")
def risk_job() -> None:
    """Assess accounts with risk signals in the last 24 hours (remember each assessment for the hot-path
    checks, open or update a case above allow) and delete signals past retention. Idempotent."""
    from yellowcart.db import utcnow
    from yellowcart.risk.jobs import run

    days = get_settings().risk_retention_days
    done = run(_db(), utcnow(), retention=dt.timedelta(days=days))
    console.print(f"assessed {done.assessed}, flagged {len(done.flagged)}, cases {done.cases}, "
                  f"signals deleted {done.deleted_signals}")  # fmt: skip


@eval_app.command("multibehavior")
def eval_multibehavior(
    folder: Annotated[Path, typer.Argument(exists=True, file_okay=False, help="Folder in the Taobao layout.")],
    seed: Annotated[int, typer.Option(help="Random seed for the models.")] = 0,
) -> None:
    """buy.txt + auxiliary behaviours (view.txt, cart.txt, ...) -> predict the held-out purchase."""
    from yellowcart.feed.evaluate.multibehavior import run_multibehavior

    run_multibehavior(folder, seed=seed)


@eval_app.command("sequential")
def eval_sequential(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="One user per line, items in order.")],
    attributes: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Item attributes JSON {item: [attr, ...]}.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed for the models.")] = 0,
) -> None:
    """Next-item prediction: last item = test, second-to-last = validation."""
    from yellowcart.feed.evaluate.sequential import run_sequential

    run_sequential(file, attributes=attributes, seed=seed)


@import_app.command("shopify-csv")
def import_shopify_csv(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A Shopify product CSV export.")],
    seller: Annotated[int, typer.Option("--seller", min=1, help="The seller account the listings are for.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; write nothing.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", dir_okay=False, help="Also write the per-product, per-row report (JSON).")
    ] = None,
) -> None:
    """Import a Shopify product CSV (current or legacy headers) as a seller's listings. Progress and
    skipped rows go to stderr; the last line on stdout is the JSON summary. Exit 1: the file was refused."""
    import json
    import sys
    from contextlib import redirect_stdout

    from rich.progress import Progress

    from yellowcart.catalog import importer
    from yellowcart.catalog.import_schemas import ImportSummary
    from yellowcart.errors import DomainError

    errors = Console(stderr=True)
    try:
        # stdout is for the summary alone: logs printed while importing go to stderr with the progress bar.
        with redirect_stdout(sys.stderr), Progress(console=errors) as progress:
            task = progress.add_task("importing" if not dry_run else "checking (dry run)", total=None)
            result = importer.import_shopify_csv(
                _db(),
                principal=importer.command_line_operator(),
                seller_id=seller,
                data=file.read_bytes(),
                dry_run=dry_run,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except DomainError as exc:
        refused = ImportSummary(products=0, variants=0, errors=[exc.detail], dry_run=dry_run)
        typer.echo(json.dumps(refused.model_dump(mode="json")))
        raise typer.Exit(1) from exc
    for row in result.row_reports:
        if row.outcome == "skipped" and row.reason:
            line = f"row {row.row} ({row.handle or '-'}): skipped: {row.reason}"
            errors.print(line, markup=False, highlight=False, soft_wrap=True)
    if report is not None:
        report.write_text(result.model_dump_json(indent=2))
    typer.echo(json.dumps(result.summary().model_dump(mode="json")))


@users_app.command("create")
def users_create(
    email: str,
    role: Annotated[Role, typer.Option(help="shopper, seller, creator or operator")],
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    seller_id: Annotated[int | None, typer.Option(help="Seller account (role seller).")] = None,
    password: Annotated[str | None, typer.Option(envvar="YC_NEW_USER_PASSWORD", help="Password (or env).")] = None,
) -> None:
    """Create a user."""
    with _db().transaction() as session:
        user = auth.create_user(
            session,
            email=email,
            display_name=name or email.split("@")[0],
            role=role,
            seller_id=seller_id,
            password=password,
        )
        detail = {"role": user.role.value, "seller_id": user.seller_id}
        audit_log.record_command(
            session, action="cli.users.create", subject_kind="user", subject_id=user.id, detail=detail
        )
        console.print(f"user {user.id} {user.email} ({user.role.value})")


@tokens_app.command("create")
def tokens_create(
    email: str,
    name: Annotated[str, typer.Option(help="A label for the token.")] = "cli",
    days: Annotated[int, typer.Option(min=0, help="Days until it expires; 0 = never.")] = 90,
) -> None:
    """Mint an API token for a user; it is shown once."""
    from sqlalchemy import select

    from yellowcart.auth.models import User

    with _db().transaction() as session:
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise typer.BadParameter(f"no user {email}")
        token, _ = auth.create_token(session, user_id=user.id, name=name, ttl=dt.timedelta(days=days) if days else None)
        detail = {"label": name, "days": days}
        audit_log.record_command(
            session, action="cli.tokens.create", subject_kind="user", subject_id=user.id, detail=detail
        )
    console.print(token, soft_wrap=True)


@ledger_app.command("backfill")
def ledger_backfill() -> None:
    """Post ledger entries for captured orders written without events (the demo market); idempotent."""
    from yellowcart.ledger.backfill import backfill_with_progress

    run = backfill_with_progress(_db(), progress=True)
    console.print(
        f"ledger: {run.orders} orders posted, {run.refunds} refunds inferred, {run.creator_entries} creator "
        f"commission entries, {run.skipped} already posted"
    )


@ledger_app.command("trial-balance")
def ledger_trial_balance() -> None:
    """Every account's balance; exit 1 when the ledger or an entry does not sum to zero."""
    from yellowcart.ledger.balances import trial_balance
    from yellowcart.money import format_usd

    with _db().transaction() as session:
        tb = trial_balance(session)
    for account, cents in tb.accounts.items():
        console.print(f"  {account.value:<28} {format_usd(cents):>16}")
    console.print(f"{tb.entries} entries, {tb.postings} postings, total {format_usd(tb.total_cents)}")
    if not tb.balanced:
        console.print(f"[red]unbalanced[/red]: entries {tb.unbalanced_entries[:20]}")
        raise typer.Exit(1)


@app.command()
def settle(
    period: Annotated[
        str | None, typer.Option(help="The period's first day, YYYY-MM-01 or YYYY-MM-16 (default: the last one over).")
    ] = None,
    adapter: Annotated[str, typer.Option(help="Payout adapter (built in: manual).")] = "manual",
) -> None:
    """Close a settlement period (UTC): statements per seller, netting, payouts. A rerun pays nobody twice."""
    from yellowcart.db import utcnow
    from yellowcart.errors import DomainError
    from yellowcart.ledger.payouts import make_payout_adapter
    from yellowcart.ledger.periods import last_closed, parse_period
    from yellowcart.ledger.settlement import close_period
    from yellowcart.money import format_usd

    now = utcnow()
    try:
        chosen = parse_period(period) if period else last_closed(now)
        run = close_period(_db(), period=chosen, adapter=make_payout_adapter(adapter), now=now)
    except (ValueError, DomainError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--period") from exc
    paid = sum(cents for _, cents, _ in run.payouts)
    with _db().transaction() as session:
        detail = {"adapter": adapter, "payouts": len(run.payouts), "paid_cents": paid}
        audit_log.record_command(
            session, action="cli.settle", subject_kind="period", subject_id=chosen.label, detail=detail
        )
    console.print(
        f"period {chosen.label}: {run.statements} statements closed ({run.already_closed} already), "
        f"{len(run.payouts)} payouts {format_usd(paid)}, netted {format_usd(run.netted_cents)}"
    )


@redirect_app.command("report")
def redirect_report(
    market: Annotated[str | None, typer.Option(help="Only this market (e.g. US).")] = None,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV on stdout instead of a table.")] = False,
) -> None:
    """Every seller with redirect listings: total, migrated, remaining, last migration, status."""
    import csv
    import sys

    from yellowcart.redirect.cutover import REPORT_COLUMNS, report_row, seller_migrations

    with _db().transaction() as session:
        rows = seller_migrations(session, market=market)
    if as_csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(REPORT_COLUMNS)
        writer.writerows(report_row(r) for r in rows)
        return
    for r in rows:
        console.print(f"{r.seller_id:>6} {r.seller_name[:30]:<30} {r.market} {r.migrated}/{r.total}  {r.status}")
    console.print(f"{len(rows)} sellers with redirect listings")


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
