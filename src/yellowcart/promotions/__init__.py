"""Promotions: product discounts, coupons, free shipping, bundles and flash deals; the pricing engine
that applies them with stacking rules, their budgets and funding, and their analytics."""
