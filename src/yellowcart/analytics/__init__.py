"""Seller analytics per selling mode (GMV, orders, conversion, returns, net margin) for sellers and operators."""
