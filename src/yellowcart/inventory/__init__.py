"""Warehouses, stock per SKU per warehouse, and reservations."""
