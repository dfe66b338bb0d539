"""The demo market's retail taxonomy: departments, their sub-categories and leaf categories.

Only leaves carry products. Each leaf knows how its products are named (descriptors + noun +
qualifier), what they plausibly cost and weigh, and which options their variants differ by. The
vocabulary itself lives in :mod:`yellowcart.demo.leaves`; this module holds the shapes and turns the
tree into category rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One variant axis: its label, its values in order and each value's price/weight multiplier."""

    label: str
    values: tuple[str, ...]
    multipliers: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class Leaf:
    path: tuple[str, ...]  # display names from the department down to the leaf
    department: str  # key into DEPARTMENTS
    nouns: tuple[str, ...]
    descriptors: tuple[str, ...]
    extras: tuple[str, ...]  # trailing qualifiers; "" means none
    price: tuple[int, int]  # typical base price, whole dollars
    grams: tuple[int, int]  # shipping weight of the base variant
    options: tuple[str, ...]  # OPTIONS keys, at most two axes
    features: tuple[str, ...]  # description sentences
    popularity: float = 1.0  # relative share of listings


def _opt(label: str, values: str, multipliers: str | None = None) -> OptionSpec:
    names = tuple(values.split("|"))
    mult = tuple(float(m) for m in multipliers.split("|")) if multipliers else (1.0,) * len(names)
    assert len(mult) == len(names), label
    return OptionSpec(label, names, mult)


_COLOURS = "Black|White|Navy|Sage Green|Blush Pink|Oatmeal|Charcoal|Terracotta|Sky Blue|Burgundy|Lavender|Olive"

OPTIONS: dict[str, OptionSpec] = {
    "colour": _opt("Color", _COLOURS),
    "apparel_size": _opt("Size", "XS|S|M|L|XL|2XL", "1|1|1|1|1|1.08"),
    "shoe_size": _opt("Size", "6|7|8|9|10|11|12|13"),
    "shade": _opt("Shade", "Porcelain 100|Fair 120|Light 150|Light Medium 220|Medium 260|Tan 330|Deep 420|Rich 480"),
    "lip_shade": _opt("Shade", "Nude Rose|Berry Crush|Classic Red|Mauve Moment|Peach Fizz|Cocoa Kiss|Coral Reef|Plum"),
    "volume": _opt("Size", "15 ml|30 ml|50 ml|100 ml", "0.6|1|1.45|2.3"),
    "bottle": _opt("Size", "8 fl oz|12 fl oz|16 fl oz|33.8 fl oz", "0.8|1|1.25|2.1"),
    "fragrance_size": _opt("Size", "1 fl oz|1.7 fl oz|3.4 fl oz", "0.65|1|1.55"),
    "pack": _opt("Pack", "Single|2-Pack|3-Pack|6-Pack", "1|1.8|2.55|4.6"),
    "count": _opt("Count", "30 count|60 count|90 count|120 count|180 count", "0.6|1|1.4|1.75|2.4"),
    "pan_size": _opt("Size", "8 in|10 in|12 in|14 in", "0.8|1|1.22|1.45"),
    "set_size": _opt("Set", "5-piece|8-piece|10-piece|12-piece", "0.75|1|1.2|1.45"),
    "container_set": _opt("Set", "10-piece|18-piece|24-piece|42-piece", "0.7|1|1.3|1.9"),
    "capacity": _opt("Capacity", "12 oz|20 oz|30 oz|40 oz", "0.8|1|1.15|1.3"),
    "bed_size": _opt("Size", "Twin|Full|Queen|King|California King", "0.8|0.9|1|1.2|1.2"),
    "scent": _opt("Scent", "Unscented|Lavender|Eucalyptus Mint|Vanilla Bean|Citrus Grove|Sandalwood|Fresh Linen"),
    "fryer_capacity": _opt("Capacity", "4 qt|5.8 qt|8 qt|10 qt", "0.8|1|1.25|1.45"),
    "phone_model": _opt(
        "Model", "iPhone 16|iPhone 16 Pro|iPhone 16 Pro Max|iPhone 15|Galaxy S25|Galaxy S25 Ultra|Pixel 9"
    ),
    "cable_length": _opt("Length", "3 ft|6 ft|10 ft", "1|1.15|1.35"),
    "strip_length": _opt("Length", "16.4 ft|32.8 ft|50 ft|100 ft", "0.7|1|1.35|2"),
    "ring_light": _opt("Size", "10 in|12 in|18 in", "0.75|1|1.6"),
    "metal": _opt("Finish", "Gold tone|Silver tone|Rose gold tone"),
    "chain_length": _opt("Length", "16 in|18 in|20 in|24 in", "1|1|1.05|1.1"),
    "mat_thickness": _opt("Thickness", "4 mm|6 mm|8 mm", "0.85|1|1.2"),
    "band_level": _opt("Resistance", "Light|Medium|Heavy|Set of 5", "0.7|0.8|0.9|1.6"),
    "dumbbell_weight": _opt("Weight", "5 lb pair|10 lb pair|15 lb pair|20 lb pair|25 lb pair", "0.6|1|1.4|1.8|2.2"),
    "plush_size": _opt("Size", "8 in|12 in|16 in|24 in", "0.7|1|1.4|2.1"),
    "puzzle_pieces": _opt("Pieces", "300 pieces|500 pieces|1000 pieces|1500 pieces", "0.8|0.9|1|1.2"),
    "pet_size": _opt("Size", "Small|Medium|Large|X-Large", "0.8|1|1.25|1.5"),
    "flavor": _opt("Flavor", "Unflavored|Chocolate|Vanilla|Strawberry|Cookies & Cream|Salted Caramel"),
    "tub_size": _opt("Size", "1 lb|2 lb|5 lb", "0.6|1|2.1"),
    "coffee_grind": _opt("Grind", "Whole bean|Ground|Fine ground"),
    "coffee_bag": _opt("Size", "12 oz|2 lb|5 lb", "1|2.2|4.8"),
    "snack_pack": _opt("Pack", "6-Pack|12-Pack|24-Pack", "0.6|1|1.85"),
}


def slugify(text: str) -> str:
    """``"Women's clothing & shoes"`` -> ``"womens-clothing-shoes"``."""
    text = text.lower().replace("'", "").replace("&", " ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")


@dataclass(frozen=True, slots=True)
class CategoryRow:
    id: int
    slug: str
    name: str
    parent_id: int | None
    path: str

    def as_row(self) -> dict[str, Any]:
        return {"id": self.id, "slug": self.slug, "name": self.name, "parent_id": self.parent_id, "path": self.path}


def build_categories(leaves: tuple[Leaf, ...]) -> tuple[list[CategoryRow], dict[tuple[str, ...], int]]:
    """Category rows (parents before children) and the id of every node, keyed by its name path.

    Paths are materialised slug paths with a trailing slash so a prefix match never confuses
    ``home/`` with ``home-kitchen/``; a slug seen twice is qualified by its parent's slug.
    """
    rows: list[CategoryRow] = []
    ids: dict[tuple[str, ...], int] = {}
    slugs: set[str] = set()
    paths: dict[tuple[str, ...], str] = {}
    for leaf in leaves:
        for depth in range(1, len(leaf.path) + 1):
            key = leaf.path[:depth]
            if key in ids:
                continue
            parent = key[:-1]
            segment = slugify(key[-1])
            slug = segment if segment not in slugs else f"{slugify(parent[-1])}-{segment}"
            slugs.add(slug)
            paths[key] = (paths[parent] if parent else "") + segment + "/"
            ids[key] = len(rows) + 1
            rows.append(CategoryRow(ids[key], slug, key[-1], ids[parent] if parent else None, paths[key]))
    return rows, ids
