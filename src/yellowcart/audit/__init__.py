"""The audit log of privileged actions and API rate limits."""
