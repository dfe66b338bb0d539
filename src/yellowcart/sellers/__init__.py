"""Seller accounts and their onboarding: market policies, applications, eligibility, review."""
