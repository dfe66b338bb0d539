"""Offline evaluation of the feed recommenders on public data, reproducing published protocols."""
