"""Seller accounts (onboarding gates come with the sellers issue)."""
