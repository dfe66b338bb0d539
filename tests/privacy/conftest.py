"""Privacy tests share the customer-service tests' setup: the simulated carrier's webhooks signed with a
known secret (to deliver parcels) and the worker's periodic jobs parked (each test drives them)."""

from __future__ import annotations

from support_cs.conftest import container, settings

__all__ = ["container", "settings"]
