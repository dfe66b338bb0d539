"""Return label cost tests share the SLA tests' setup: the simulated carrier's webhooks signed with a
known secret (to deliver parcels) and the worker's periodic jobs parked (each test drains the outbox itself)."""

from __future__ import annotations

from sla.conftest import container, settings

__all__ = ["container", "settings"]
