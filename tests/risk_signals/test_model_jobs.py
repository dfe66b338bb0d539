"""The anomaly model trained, stored as a model version (feature names, version) and served back with
the same scores; the periodic job (assessments remembered, cases opened above allow) and retention."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from risk_signals.scenarios import HOME, ctx, days_ago, logins, new_user
from yellowcart.auth.models import Role
from yellowcart.cli import app as cli
from yellowcart.db import Database, utcnow
from yellowcart.feed.models import ModelVersion
from yellowcart.migrate import upgrade
from yellowcart.risk import anomaly, jobs
from yellowcart.risk.anomaly import AnomalyModel
from yellowcart.risk.features import USER_FEATURES, Subject, compute
from yellowcart.risk.rules import Level
from yellowcart.risk.scoring import Assessment, assess
from yellowcart.risk.signal_models import RiskAssessmentRow, RiskSignal, SignalKind
from yellowcart.settings import get_settings

NOW = utcnow()


def crowd(db: Database, n: int) -> list[int]:
    """Ordinary shoppers: one phone at home, a login every few days."""
    users = []
    for i in range(n):
        uid = new_user(db, f"u{i}", created=NOW - dt.timedelta(days=100 + i))
        logins(db, uid, ctx(f"phone-{i}", f"10.{i % 200}.{i % 7}.5", HOME[1]), days_ago(NOW, 20, 12, 6, 2 + i % 3))
        users.append(uid)
    return users


def odd_one(db: Database) -> int:
    """Five devices, five networks, five zones in a week, and jumps between them."""
    uid = new_user(db, "odd", created=NOW - dt.timedelta(days=4))
    zones = ["Asia/Tokyo", "Europe/Berlin", "America/Sao_Paulo", "Australia/Sydney", "Africa/Lagos"]
    for i, zone in enumerate(zones):
        logins(db, uid, ctx(f"odd-{i}", f"203.0.{113 + i}.9", zone), [NOW - dt.timedelta(hours=30 - 6 * i)])
    return uid


def test_train_store_and_score_round_trip(db: Database) -> None:
    users = crowd(db, 30)
    odd = odd_one(db)
    version = anomaly.train(db, now=NOW)
    assert version is not None and version.active and version.kind == anomaly.KIND
    assert version.stats["features"]["user"] == list(USER_FEATURES) and version.stats["version"] == anomaly.VERSION
    anomaly.ACTIVE.invalidate()
    with db.transaction() as s:
        served = anomaly.active(s)
        stored = s.scalar(select(ModelVersion.artifact).where(ModelVersion.id == version.id))
        typical, unusual = (compute(s, subject=Subject("user", u), now=NOW) for u in (users[0], odd))
    assert served is not None and stored is not None
    reloaded = AnomalyModel.from_bytes(stored)
    assert reloaded.score(typical) == served.score(typical)
    assert 0.0 <= served.score(typical) <= 1.0  # type: ignore[operator]
    assert served.score(unusual) > served.score(typical)  # type: ignore[operator]
    assert served.score(unusual) >= 0.95  # type: ignore[operator]
    with db.transaction() as s:
        assessed = assess(s, subject=Subject("user", odd), now=NOW)
    assert assessed.anomaly == served.score(unusual)
    with pytest.raises(TypeError):
        AnomalyModel.from_bytes(b"not a model")


def test_too_few_accounts_store_no_model(db: Database) -> None:
    crowd(db, 5)
    assert anomaly.train(db, now=NOW) is None


def test_the_job_remembers_assessments_and_opens_cases_above_allow(db: Database) -> None:
    honest = crowd(db, 3)
    victim = honest[0]
    logins(db, victim, ctx("phone-0", "10.0.0.5", HOME[1]), [NOW - dt.timedelta(hours=1)])
    logins(db, victim, ctx("thief", "198.51.100.66", "Asia/Singapore"), [NOW - dt.timedelta(minutes=20)])
    opened: list[Assessment] = []

    def open_case(session: Any, assessment: Assessment) -> None:
        opened.append(assessment)

    run = jobs.run(db, NOW, open_case=open_case, since=NOW - dt.timedelta(days=30))
    assert run.assessed == 3
    assert [(a.subject, a.level) for a in opened] == [(Subject("user", victim), Level.STEP_UP)]
    assert opened[0].reasons[0].rule == "account_takeover"
    with db.transaction() as s:
        remembered = {r.subject_id: r for r in s.scalars(select(RiskAssessmentRow))}
    assert remembered[victim].level == "step_up" and remembered[victim].reasons[0]["rule"] == "account_takeover"
    assert remembered[honest[1]].level == "allow"
    again = jobs.run(db, NOW, open_case=open_case, since=NOW - dt.timedelta(days=30))
    assert again.assessed == 3 and len(opened) == 2  # idempotent: the case is updated, not duplicated (cases' job)


def test_retention_deletes_old_signals_only(db: Database) -> None:
    uid = new_user(db, "old-timer")
    logins(db, uid, ctx("p", *HOME), days_ago(NOW, 400, 200, 181, 179, 1))
    run = jobs.run(db, NOW, open_case=lambda *_: None, retention=dt.timedelta(days=180))
    assert run.deleted_signals == 3
    with db.transaction() as s:
        kept = s.scalars(select(RiskSignal.at).where(RiskSignal.kind == SignalKind.LOGIN)).all()
    assert sorted(NOW - at for at in kept) == [dt.timedelta(days=1), dt.timedelta(days=179)]


def test_cli_train_risk(tmp_path: Any, monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the CLI test runs once, on its own SQLite file")
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("YC_DATABASE_URL", url)
    get_settings.cache_clear()
    db = Database(url)
    upgrade(db)
    runner = CliRunner()
    empty = runner.invoke(cli, ["train", "risk"])
    assert empty.exit_code == 0 and "too few accounts" in empty.output, empty.output
    crowd(db, 25)
    made = runner.invoke(cli, ["train", "risk"])
    assert made.exit_code == 0 and "risk anomaly version" in made.output, made.output
    assert runner.invoke(cli, ["train", "nonsense"]).exit_code != 0
    logins(db, 1, ctx("phone-0", "10.0.0.5", HOME[1]), [utcnow()])
    job = runner.invoke(cli, ["jobs", "risk"])
    assert job.exit_code == 0 and "assessed 1, flagged 0" in job.output, job.output
    with db.transaction() as s:
        assert s.scalar(select(func.count(ModelVersion.id)).where(ModelVersion.kind == anomaly.KIND)) == 1
    db.dispose()
    get_settings.cache_clear()


def test_assessment_contract(db: Database) -> None:
    uid = new_user(db, "someone", role=Role.SHOPPER)
    with db.transaction() as s:
        result = assess(s, subject=Subject("user", uid), now=NOW, model=None)
    assert (result.subject, result.level, result.reasons, result.anomaly, result.at) == (
        Subject("user", uid),
        Level.ALLOW,
        (),
        None,
        NOW,
    )
    assert list(Level) == [Level.ALLOW, Level.STEP_UP, Level.HOLD_PAYOUTS, Level.RESTRICT, Level.SUSPEND, Level.BAN]
    assert Level.RESTRICT.at_least(Level.HOLD_PAYOUTS) and not Level.STEP_UP.at_least(Level.RESTRICT)


def test_the_job_opens_a_case_through_the_cases_hook(db: Database) -> None:
    """Integration with the cases' ``open_or_update``: one open case per flagged account, not two."""
    [victim] = crowd(db, 1)
    logins(db, victim, ctx("phone-0", "10.0.0.5", HOME[1]), [NOW - dt.timedelta(hours=1)])
    logins(db, victim, ctx("thief", "198.51.100.66", "Asia/Singapore"), [NOW - dt.timedelta(minutes=20)])
    assert jobs.cases_hook() is not None
    for _ in range(2):
        run = jobs.run(db, NOW, since=NOW - dt.timedelta(days=30))
        assert run.cases == 1
    with db.engine.connect() as conn:
        cases = conn.execute(text("SELECT subject_kind, level FROM risk_cases")).all()
    assert [tuple(c) for c in cases] == [("user", "step_up")]
