"""Carrier adapters: rates, labels, tracking and signed tracking webhooks behind one ``Carrier``
protocol, with a built-in simulated carrier and an EasyPost adapter (see docs/architecture.md)."""
