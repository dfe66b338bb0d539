"""Carts, checkout, payments, idempotency and US sales tax."""
