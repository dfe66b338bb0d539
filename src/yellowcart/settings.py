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
    web_session_secret: SecretStr | None = Field(
        default=None,
        description="Signs the web pages' session cookies; unset: a random secret per process (sign-ins then "
        "end when the process restarts, and several API processes need the same value).",
    )
    pii_hash_key: SecretStr | None = Field(
        default=None,
        description="Keys the HMAC-SHA256 of sellers' EINs and ID document numbers (stored instead of the "
        "numbers, so reuse across sellers can be found). Set it in production and never change it; unset: "
        "a random key per process (reuse is then only matched within one process's lifetime).",
    )
    trust_proxy: bool = Field(
        default=False,
        description="Behind our own proxy: the client IP is the first X-Forwarded-For hop (else the socket peer).",
    )
    risk_retention_days: int = Field(default=180, ge=1, description="Risk signals older than this are deleted.")
    risk_job_every_seconds: float = Field(
        default=600.0, ge=0, description="How often the worker assesses accounts with recent risk signals (0: never)."
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
    return_window_days: int = Field(default=30, ge=0, le=365, description="Change-of-mind returns: days from delivery.")
    return_guarantee_days: int = Field(default=90, ge=0, le=730, description="Damaged/defective/wrong item: days.")
    return_response_hours: int = Field(default=48, ge=1, description="Reviewer's time to answer before auto-approval.")
    return_refund_business_days: int = Field(default=5, ge=1, description="Refund due this long after receipt.")
    returnless_below_cents: int = Field(default=1000, ge=0, description="Refund without the item below this value.")
    returnless_label_share_bps: int = Field(
        default=5000, ge=0, description="Refund without the item when the label costs more than this share of it."
    )
    default_market: str = Field(
        default="US", pattern="^[A-Z]{2}$", description="Market code of sellers not placed in another market."
    )
    redirect_attribution_days: int = Field(
        default=7, ge=1, le=90, description="A store order counts for a tracked click placed this many days before it."
    )
    redirect_commission_bps: int = Field(
        default=500, ge=0, le=10_000, description="Commission on attributed redirect GMV, in basis points."
    )
    creator_attribution_days: int = Field(
        default=7, ge=1, le=90, description="An order is credited to a creator content touch this many days before it."
    )
    low_stock_threshold: int = 5
    custody_min_margin_bps: int = Field(
        default=1500,
        ge=0,
        le=9999,
        description="Full custody price check: the lowest platform margin (retail - supply) / retail, in basis "
        "points, an operator may accept without an explicit override and reason (1500 = 15%).",
    )
    live_broker: str = Field(
        default="auto",
        pattern="^(auto|memory|postgres)$",
        description="How API processes share live room updates: postgres (LISTEN/NOTIFY), memory (one process); "
        "auto: postgres on a PostgreSQL database.",
    )
    live_flush_ms: int = Field(
        default=250, ge=20, le=5000, description="Live room updates: at most one per room this often."
    )
    live_heartbeat_seconds: float = Field(default=15.0, gt=0, description="SSE keep-alive comments this often.")
    live_viewer_timeout_seconds: float = Field(
        default=45.0, ge=3, description="A live viewer without a heartbeat (or open stream) this long has left."
    )
    support_first_response_hours: int = Field(
        default=12,
        ge=1,
        le=168,
        description="Customer service: the first answer is due this long after the first question for a person.",
    )
    support_auto_close_days: int = Field(
        default=7, ge=1, le=365, description="Open conversations idle this long are closed."
    )
    support_retention_days: int = Field(
        default=730, ge=1, description="Conversation messages older than this are deleted."
    )
    support_email_after_minutes: int = Field(
        default=15, ge=1, description="A message unread this long e-mails the other side (at most once per this long)."
    )
    support_job_every_seconds: float = Field(
        default=60.0, ge=0, description="How often the worker runs the support jobs."
    )
    support_email: str = Field(
        default="log", pattern="^(log|smtp)$", description="log: record, never send; smtp: send."
    )
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = "yellowcart <no-reply@localhost>"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    redis_url: str | None = Field(
        default=None, description="Redis for state shared by API processes (rate limits); unset: in process."
    )
    rate_limits_enabled: bool = Field(default=True, description="429 with Retry-After past the limits below.")
    rate_limit_token_per_minute: int = Field(
        default=1200, ge=0, description="Write requests per API token per minute, sustained (0: no limit)."
    )
    rate_limit_token_burst: int = Field(default=300, ge=1, description="Write requests a token may send at once.")
    rate_limit_ip_per_minute: int = Field(
        default=3000, ge=0, description="Write requests per client IP (IPv6: per /64) per minute (0: no limit)."
    )
    rate_limit_ip_burst: int = Field(default=600, ge=1, description="Write requests an IP may send at once.")
    rate_limit_auth_per_minute: int = Field(
        default=20, ge=0, description="Sign-ups and logins per client IP per minute (0: no limit)."
    )
    rate_limit_auth_burst: int = Field(default=10, ge=1, description="Sign-ups and logins an IP may send at once.")
    rate_limit_exempt_networks: list[str] = Field(
        default=["127.0.0.0/8", "::1/128"],
        description="Clients here skip the per-IP limits (tokens are still limited): loopback by default, where "
        "health checks, benchmarks and a local proxy without YC_TRUST_PROXY come from.",
    )
    rate_limit_redis_prefix: str = Field(default="yc:rl:", description="Key prefix of the limits in Redis.")
    login_free_failures: int = Field(
        default=5, ge=1, description="Failed logins for one account before each further one locks it for a while."
    )
    login_network_free_failures: int = Field(
        default=50, ge=1, description="Failed logins from one network prefix (/24, /48) before it is locked out."
    )
    login_backoff_seconds: float = Field(
        default=30.0, gt=0, description="First lockout; each further failure doubles it (exponential back-off)."
    )
    login_backoff_max_seconds: float = Field(default=3600.0, gt=0, description="The longest lockout.")
    login_failure_memory_seconds: int = Field(
        default=86_400, ge=60, description="Failures are forgotten this long after the last one."
    )
    free_shipping_threshold_cents: int = 3500
    standard_shipping_cents: int = 599
    log_level: str = "INFO"
    log_json: bool = True


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Process-wide settings, read once."""
    return Settings()
