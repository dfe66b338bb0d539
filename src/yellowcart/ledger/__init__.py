"""The double-entry ledger: every money movement as postings that sum to zero, settlements, payouts."""
