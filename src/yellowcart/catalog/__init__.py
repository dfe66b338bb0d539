"""Products, variants (SKUs), categories and search."""
