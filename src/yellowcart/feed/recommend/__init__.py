"""Recommenders: one interface, many named implementations chained with fallbacks."""
