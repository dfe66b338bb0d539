"""A short-lived cache of verified tokens, so a burst of calls does not look the same token up in
the database on every request. An entry lives at most ``ttl`` seconds and never past the token's own
expiry; a revoked token therefore stops working within ``ttl`` seconds in every process."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from sqlalchemy.orm import Session

from yellowcart.auth.service import Principal, authenticate_with_expiry, hash_token


class TokenCache:
    def __init__(self, ttl_seconds: float = 5.0, max_entries: int = 50_000) -> None:
        self.ttl, self.max_entries = ttl_seconds, max_entries
        self._entries: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str) -> Principal | None:
        key, now = hash_token(token), time.time()
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[1] <= now:
                del self._entries[key]
                return None
            return found[0]

    def authenticate(self, session: Session, token: str) -> Principal:
        cached = self.get(token)
        if cached is not None:
            return cached
        principal, expires_at = authenticate_with_expiry(session, token=token)
        until = time.time() + self.ttl
        if expires_at is not None:
            until = min(until, expires_at.timestamp())
        with self._lock:
            self._entries[hash_token(token)] = (principal, until)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return principal

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
