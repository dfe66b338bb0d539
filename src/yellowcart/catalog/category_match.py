"""Best-effort mapping of a store's category onto our category tree. Pure: no I/O.

Shopify writes its Standard Product Taxonomy as a path, "Apparel & Accessories > Clothing > Shirts &
Tops"; our tree has its own names ("Fashion > Men's clothing > T-shirts"). Names are compared as sets
of words (lowercase, singular, without "and"/"&"), so "Skillets & Frying Pans" finds "Frying pans &
skillets". The deepest segment that finds a category decides; the product's Type is tried after the
path. Nothing good enough: None, and the importer files the product under its fallback category.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from yellowcart.catalog.import_values import slugify

_STOP = frozenset({"and", "for", "the", "of", "with", "other", "misc", "miscellaneous"})
#: A category must share at least this share of words (Jaccard) with a segment to match it.
MIN_SIMILARITY = 0.5
Names = dict[int, tuple[frozenset[str], ...]]


@dataclass(frozen=True, slots=True)
class CategoryNode:
    id: int
    slug: str
    name: str
    path: str  # materialised slug path, "fashion/mens-clothing/t-shirts/"


def _singular(word: str) -> str:
    if len(word) <= 3 or word.endswith("ss"):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "sses", "xes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


@lru_cache(maxsize=8192)
def words(text: str) -> frozenset[str]:
    """Lowercase singular words; "T-Shirts" is the one word "tshirt", as people say it."""
    plain = text.lower().replace("'", "").replace("\u2019", "")
    joined = re.sub(r"(?<=\b[a-z])-(?=[a-z])", "", plain)
    return frozenset(_singular(w) for w in slugify(joined).split("-") if w and w not in _STOP)


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _best(target: frozenset[str], known: tuple[frozenset[str], ...]) -> float:
    return max(_similarity(target, k) for k in known)


def _rank(
    item: tuple[float, CategoryNode], ancestors: list[frozenset[str]], names: Names, by_segment: dict[str, CategoryNode]
) -> tuple[float, int, int, int]:
    """Similarity, then how many of the node's parents match the path above the segment, then depth."""
    score, node = item
    parents = [by_segment[s] for s in node.path.rstrip("/").split("/")[:-1] if s in by_segment]
    context = sum(1 for p in parents for a in ancestors if _best(a, names[p.id]) >= MIN_SIMILARITY)
    return (score, context, node.path.count("/"), -node.id)


def split_path(text: str) -> list[str]:
    """ "A > B > C" as ["A", "B", "C"]; a bare taxonomy id (gid://...) gives nothing to match."""
    if text.strip().startswith("gid://"):
        return []
    return [part.strip() for part in text.split(">") if part.strip()]


def match_category(
    segments: Sequence[str], product_type: str | None, categories: Sequence[CategoryNode]
) -> CategoryNode | None:
    """The category that best names the product, or None. Deeper path segments win over shallower
    ones; among categories matching a segment, the one whose ancestors also match the path above it,
    then the deeper one, then the lower id."""
    names: Names = {c.id: (words(c.name), words(c.slug.replace("-", " "))) for c in categories}
    by_segment = {c.path.rstrip("/").split("/")[-1]: c for c in categories}
    tries = [*reversed(segments), *([product_type] if product_type else [])]
    for index, segment in enumerate(tries):
        target = words(segment)
        good = [(score, c) for c in categories if (score := _best(target, names[c.id])) >= MIN_SIMILARITY]
        if good:
            above = list(segments[: len(segments) - 1 - index] if index < len(segments) else segments)
            ancestors = [words(s) for s in above]
            return max(good, key=lambda item: _rank(item, ancestors, names, by_segment))[1]
    return None
