"""Creators and affiliation: programme, commission rates, showcase, attribution, commissions, dashboard."""
