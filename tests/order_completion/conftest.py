"""Order completion tests share the SLA tests' setup: the simulated carrier's webhooks signed with a known
secret (to deliver parcels at chosen instants) and the worker's periodic jobs parked (each test runs the
return jobs itself, at the instants it is about)."""

from __future__ import annotations

from sla.conftest import container, settings

__all__ = ["container", "settings"]
