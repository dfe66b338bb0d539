"""Synthetic demo market: a deterministic, realistic marketplace for demos, manual testing and benchmarks."""
