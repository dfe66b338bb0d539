"""Settings read from the environment (prefix ``YC_``) so one build runs anywhere."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything an operator may tune without touching code."""

    model_config = SettingsConfigDict(env_prefix="YC_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{Path('var/yellowcart.db').as_posix()}",
        description="SQLAlchemy URL; SQLite file by default, postgresql+psycopg://... in production.",
    )
    threads: int = Field(default=8, ge=1, le=200, description="Handler threads per API process.")
    db_pool_size: int = 20
    db_max_overflow: int = 20
    reservation_ttl_seconds: int = Field(default=900, ge=10, description="Unpaid orders release stock after this.")
    payment_provider: str = Field(default="test", pattern="^(test|stripe)$")
    stripe_api_key: SecretStr | None = None
    payment_timeout_seconds: float = 10.0
    carrier_provider: str = Field(default="simulated", pattern="^(simulated|easypost)$")
    easypost_api_key: SecretStr | None = None
    easypost_webhook_secret: SecretStr | None = None
    carrier_webhook_secret: SecretStr | None = Field(
        default=None,
        description="Signs the simulated carrier's tracking webhooks; unset: a random secret per process.",
    )
    inline_worker: bool = Field(default=True, description="Run the outbox worker inside the API process.")
    feed_warmup: bool = Field(
        default=True,
        description="Build the feed's snapshots and load its models in the background when a process starts, "
        "so the first shoppers do not wait for them.",
    )
    worker_poll_seconds: float = 0.5
    sla_lost_after_days: int = Field(default=7, ge=1, description="No carrier scan this long after hand-over: lost.")
    sla_auto_cancel_business_days: int = Field(
        default=7, ge=1, description="Not dispatched this many business days after payment: cancelled."
    )
    sla_job_every_seconds: float = Field(default=300.0, ge=0, description="How often the worker runs the SLA jobs.")
    low_stock_threshold: int = 5
    free_shipping_threshold_cents: int = 3500
    standard_shipping_cents: int = 599
    log_level: str = "INFO"
    log_json: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return Settings()
