"""Load a folder in the Taobao multi-behaviour layout and build the validation and test splits.

Layout: ``buy.txt`` (target training pairs), ``valid.txt`` / ``test.txt`` (held-out ``user item`` lines,
each line its own case, several per user allowed) and any other ``*.txt`` as an auxiliary behaviour named
after the file (``view.txt`` -> "view"). Ids are 0-based; sizes come from ``statistics.json`` when present,
else from the largest id seen. Why the split rule: every valid pair is also in ``buy.txt``, so tuning on
it honestly means training on (and masking) buy minus valid; the final test run uses all of buy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from yellowcart.feed.recommend.base import Interactions

TARGET = "buy"
HELD_OUT = ("valid", "test")


@dataclass(frozen=True)
class MultiBehaviorFolder:
    """Raw ``(n, 2)`` user/item pair arrays of one folder."""

    n_users: int
    n_items: int
    buy: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    auxiliary: dict[str, np.ndarray]


@dataclass(frozen=True)
class Split:
    """What one evaluation phase trains on, the cases it scores and the purchases it masks."""

    data: Interactions
    users: np.ndarray
    items: np.ndarray
    seen: sp.csr_matrix


def read_pairs(path: Path) -> np.ndarray:
    """``user item`` lines (extra columns ignored, blank file allowed) as an int64 ``(n, 2)`` array."""
    rows = [line.split()[:2] for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        return np.zeros((0, 2), dtype=np.int64)
    return np.asarray(rows, dtype=np.int64).reshape(-1, 2)


def _sizes(path: Path, arrays: list[np.ndarray]) -> tuple[int, int]:
    """Users and items: statistics.json wins, but never smaller than the ids actually present."""
    users = max((int(a[:, 0].max()) + 1 for a in arrays if len(a)), default=0)
    items = max((int(a[:, 1].max()) + 1 for a in arrays if len(a)), default=0)
    stats = path / "statistics.json"
    if stats.exists():
        meta = json.loads(stats.read_text())
        users = max(users, int(meta.get("n_users", 0)))
        items = max(items, int(meta.get("n_items", 0)))
    return users, items


def load_folder(path: Path) -> MultiBehaviorFolder:
    """Read every behaviour file of ``path``; auxiliary behaviours are discovered, not listed."""
    path = Path(path)
    main = {name: read_pairs(path / f"{name}.txt") for name in (TARGET, *HELD_OUT)}
    aux_files = sorted(p for p in path.glob("*.txt") if p.stem not in main)
    auxiliary = {p.stem: read_pairs(p) for p in aux_files}
    n_users, n_items = _sizes(path, [*main.values(), *auxiliary.values()])
    return MultiBehaviorFolder(n_users, n_items, main[TARGET], main["valid"], main["test"], auxiliary)


def pairs_matrix(pairs: np.ndarray, n_users: int, n_items: int) -> sp.csr_matrix:
    """Binary CSR user x item matrix (duplicate lines count once: the protocol is about presence)."""
    values = np.ones(len(pairs), dtype=np.float32)
    matrix = sp.csr_matrix((values, (pairs[:, 0], pairs[:, 1])), shape=(n_users, n_items), dtype=np.float32)
    matrix.sum_duplicates()
    matrix.data[:] = 1.0
    return matrix


def remove_pairs(matrix: sp.csr_matrix, pairs: np.ndarray) -> sp.csr_matrix:
    """``matrix`` without the given pairs (the held-out validation purchases)."""
    drop = pairs_matrix(pairs, *matrix.shape)
    kept = matrix - matrix.multiply(drop)
    kept = sp.csr_matrix(kept, dtype=np.float32)
    kept.eliminate_zeros()
    return kept


def _interactions(folder: MultiBehaviorFolder, buy: sp.csr_matrix) -> Interactions:
    shape = (folder.n_users, folder.n_items)
    behaviours = {name: pairs_matrix(pairs, *shape) for name, pairs in folder.auxiliary.items()}
    behaviours[TARGET] = buy
    return Interactions(n_users=shape[0], n_items=shape[1], behaviours=behaviours, target=TARGET)


def validation_split(folder: MultiBehaviorFolder) -> Split:
    """Train on and mask buy minus valid; score the valid lines."""
    buy = remove_pairs(pairs_matrix(folder.buy, folder.n_users, folder.n_items), folder.valid)
    return Split(_interactions(folder, buy), folder.valid[:, 0], folder.valid[:, 1], buy)


def test_split(folder: MultiBehaviorFolder) -> Split:
    """Train on and mask all of buy.txt; score the test lines."""
    buy = pairs_matrix(folder.buy, folder.n_users, folder.n_items)
    return Split(_interactions(folder, buy), folder.test[:, 0], folder.test[:, 1], buy)
