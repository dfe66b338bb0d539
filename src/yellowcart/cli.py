"""The ``yellowcart`` command: serve, migrate, demo, users, tokens, worker, jobs."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from yellowcart.auth import service as auth
from yellowcart.auth.models import Role
from yellowcart.db import Database
from yellowcart.settings import get_settings

app = typer.Typer(help="yellowcart: interest commerce, self-hosted.", no_args_is_help=True)
users_app = typer.Typer(help="Manage users.")
tokens_app = typer.Typer(help="Manage API tokens.")
jobs_app = typer.Typer(help="Run periodic jobs once.")
eval_app = typer.Typer(help="Measure the recommender on public data, beside baselines (full ranking).")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(jobs_app, name="jobs")
app.add_typer(eval_app, name="eval")
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


@app.command()
def train(
    if_missing: Annotated[
        bool, typer.Option("--if-missing", help="Do nothing if the feed's engines are already trained.")
    ] = False,
) -> None:
    """Learn the feed's models from the interaction log; the new version is served once committed."""
    from sqlalchemy import select

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
    console.print(token, soft_wrap=True)


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    app()
