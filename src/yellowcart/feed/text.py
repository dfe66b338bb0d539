"""Content similarity for cold start, pure: a listing nobody has touched yet is still similar, by
its words (title, brand, category), to what the shopper engaged with."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping

_WORD = re.compile(r"[a-z0-9]{3,}")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "from",
        "this",
        "that",
        "your",
        "you",
        "our",
        "new",
        "set",
        "pack",
        "size",
        "free",
        "best",
        "top",
        "pro",
        "plus",
        "mini",
        "max",
    ]
)


def words(*texts: str | None) -> frozenset[str]:
    """Lower-cased content words of the given texts."""
    found: set[str] = set()
    for text in texts:
        if text:
            found.update(w for w in _WORD.findall(text.lower()) if w not in _STOP)
    return frozenset(found)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Cosine of two word sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


def affinity(
    candidates: Mapping[int, frozenset[str]], liked: Iterable[tuple[frozenset[str], float]]
) -> dict[int, float]:
    """Each candidate's best weighted similarity to the shopper's engaged items."""
    profile = [(bag, weight) for bag, weight in liked if bag and weight > 0]
    scores: dict[int, float] = {}
    for pid, bag in candidates.items():
        best = max((similarity(bag, other) * weight for other, weight in profile), default=0.0)
        if best > 0:
            scores[pid] = best
    return scores
