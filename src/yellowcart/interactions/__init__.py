"""The interaction log: append-only events the feed learns from."""
