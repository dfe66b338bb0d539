"""Approximate nearest-neighbour index for embedding retrieval (maximum inner product, as ALS scores).

Why faiss IVF-Flat on MIPS-augmented vectors: ``bench/ann.py`` measured faiss-cpu, hnswlib and usearch on
real ALS factors (Taobao) and on a 100,000-item synthetic catalogue. Inner-product HNSW (all three
libraries) never reaches high recall@200 on ALS factors, whatever ``ef`` (low-norm items become unreachable
in the graph); HNSW on the augmented vectors needs ``ef`` = 2,048 to pass 0.95, slower than exact search at
12k items. IVF-Flat scans whole inverted lists with exact inner products, so it has no such blind spot.

The augmentation: each item x becomes [x, sqrt(M^2 - |x|^2)] / M (M = the largest item norm), so all items
have unit norm and k-means clusters them by direction; the query gets a 0 appended. Then q'.x' = q.x / M:
the same ranking as the plain inner product, and the returned scores (times M) are the exact inner products.
See docs/benchmarks.md, "ann".

Small catalogues (fewer than ``EXACT_BELOW`` items) are searched exactly with numpy: a matrix-vector
product over a few thousand rows is cheaper than probing lists, and it is exact.

Thread safety: ``search`` only reads. faiss CPU indexes allow concurrent searches on one index from
many threads (the search parameters are passed per call, never set on the shared index), and the faiss
Python wrapper releases the GIL while searching, so concurrent requests really run in parallel. faiss'
OpenMP pool is set to one thread when this module first builds or loads an index: the API server handles
concurrency, one request = one thread (a single-query IVF search does not fork OpenMP workers anyway;
this also makes builds deterministic). Builds are deterministic given ``seed`` (k-means seeding).
"""

from __future__ import annotations

import json
import struct
import threading
from typing import Any

import faiss
import numpy as np

#: Below this many items, search is exact (numpy); an index would only add latency.
EXACT_BELOW = 2_000
#: Inverted lists probed per query (capped at the number of lists). bench/ann.py, k=200: recall@200 0.973
#: on Taobao ALS factors (306 lists), 0.998 on 100,000 synthetic items (1,264 lists) at 19x exact's q/s.
NPROBE = 128
_MAGIC = b"YCANN1\n"
_threads_lock = threading.Lock()
_threads_set = False


def _single_threaded() -> None:
    """faiss' OpenMP pool to one thread, once per process (see the module docstring)."""
    global _threads_set
    with _threads_lock:
        if not _threads_set:
            faiss.omp_set_num_threads(1)
            _threads_set = True


def nlist_for(n: int) -> int:
    """Inverted lists for ``n`` items: 4 sqrt(n), but at least 39 training points per list (k-means)."""
    return max(1, min(int(4 * np.sqrt(n)), n // 39))


class AnnIndex:
    """Top-k items by inner product with a query, over a fixed catalogue of item vectors.

    Build with :meth:`build`, query with :meth:`search`, store with :meth:`to_bytes` /
    :meth:`from_bytes`. Item ids are the caller's (int64), returned best first with their scores.
    """

    def __init__(
        self,
        ids: np.ndarray,
        *,
        vectors: np.ndarray | None = None,
        index: Any = None,
        nprobe: int = 1,
        scale: float = 1.0,
        seed: int = 0,
    ) -> None:
        if (vectors is None) == (index is None):
            raise ValueError("exactly one of vectors (exact search) or index (IVF) is needed")
        self._ids = np.ascontiguousarray(ids, dtype=np.int64)
        self._vectors = vectors
        self._index = index
        self.nprobe = nprobe
        self.scale = scale  # M of the augmentation: faiss scores times scale = inner products
        self.seed = seed
        self.dim = int(vectors.shape[1] if vectors is not None else index.d - 1)

    # ------------------------------------------------------------------------------------ building
    @classmethod
    def build(
        cls,
        vectors: np.ndarray,
        ids: np.ndarray,
        *,
        seed: int = 0,
        exact_below: int = EXACT_BELOW,
        nprobe: int | None = None,
    ) -> AnnIndex:
        """Index ``vectors`` (n, d) whose row i is the item ``ids[i]``; exact search when n < exact_below."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        ids = np.asarray(ids, dtype=np.int64)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be (n, d), got shape {vectors.shape}")
        if ids.shape != (vectors.shape[0],):
            raise ValueError(f"need one id per vector: {ids.shape} ids for {vectors.shape[0]} vectors")
        if len(np.unique(ids)) != len(ids):
            raise ValueError("ids must be unique")
        if not np.isfinite(vectors).all():
            raise ValueError("vectors must be finite")
        n, d = vectors.shape
        if n < max(exact_below, 1) or n < 39:
            return cls(ids, vectors=vectors.copy(), seed=seed)
        _single_threaded()
        norms = np.linalg.norm(vectors.astype(np.float64), axis=1)
        scale = float(norms.max()) or 1.0
        extra = np.sqrt(np.maximum(scale**2 - norms**2, 0.0))[:, None]
        augmented = np.ascontiguousarray(np.hstack([vectors, extra]) / scale, dtype=np.float32)
        nlist = nlist_for(n)
        quantizer = faiss.IndexFlatIP(d + 1)
        index = faiss.IndexIVFFlat(quantizer, d + 1, nlist, faiss.METRIC_INNER_PRODUCT)
        index.cp.seed = seed
        index.train(augmented)
        index.add(augmented)  # faiss labels = row numbers; mapped to ids on the way out
        probes = NPROBE if nprobe is None else nprobe
        return cls(ids, index=index, nprobe=max(1, min(probes, nlist)), scale=scale, seed=seed)

    # ----------------------------------------------------------------------------------- searching
    @property
    def exact(self) -> bool:
        """True when this index searches exactly (small catalogue)."""
        return self._vectors is not None

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` (ids, inner-product scores), best first.

        ``query`` (d,) gives 1-D arrays of length min(k, n); (m, d) gives (m, min(k, n)) arrays.
        """
        q = np.asarray(query, dtype=np.float32)
        single = q.ndim == 1
        q = np.ascontiguousarray(q.reshape(1, -1) if single else q)
        if q.ndim != 2 or q.shape[1] != self.dim:
            raise ValueError(f"query must be ({self.dim},) or (m, {self.dim}), got shape {np.shape(query)}")
        if k < 1:
            raise ValueError("k must be >= 1")
        k = min(k, len(self))
        rows, scores = self._search_exact(q, k) if self._vectors is not None else self._search_ivf(q, k)
        ids = self._ids[rows]
        return (ids[0], scores[0]) if single else (ids, scores)

    def _search_exact(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        assert self._vectors is not None
        scores = q @ self._vectors.T
        if k < scores.shape[1]:
            part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        else:
            part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
        top = np.take_along_axis(scores, part, axis=1)
        order = np.lexsort((part, -top), axis=1)  # best score first, ties by row: deterministic
        return np.take_along_axis(part, order, axis=1), np.take_along_axis(top, order, axis=1)

    def _search_ivf(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        padded = np.ascontiguousarray(np.hstack([q, np.zeros((len(q), 1), dtype=np.float32)]))
        params = faiss.SearchParametersIVF()  # per call: the shared index is never mutated
        params.nprobe = self.nprobe
        scores, rows = self._index.search(padded, k, params=params)
        if (rows < 0).any():  # fewer than k items in the probed lists: top up exactly, never return holes
            exact = AnnIndex(self._ids, vectors=self._index.reconstruct_n(0, self._index.ntotal))
            for i in np.flatnonzero((rows < 0).any(axis=1)):
                rows[i], scores[i] = exact._search_exact(padded[i : i + 1], k)
        return rows, scores * np.float32(self.scale)

    # ------------------------------------------------------------------------------------- storage
    def to_bytes(self) -> bytes:
        """A self-contained artifact: header (JSON), ids, then the raw vectors or the faiss index."""
        kind = "exact" if self._vectors is not None else "ivf"
        payload = self._vectors.tobytes() if self._vectors is not None else faiss.serialize_index(self._index).tobytes()
        header = {"kind": kind, "n": len(self), "dim": self.dim, "nprobe": self.nprobe, "scale": self.scale}
        header["seed"] = self.seed
        head = json.dumps(header).encode()
        return b"".join([_MAGIC, struct.pack("<I", len(head)), head, self._ids.tobytes(), payload])

    @classmethod
    def from_bytes(cls, data: bytes) -> AnnIndex:
        """The index :meth:`to_bytes` wrote."""
        view = memoryview(data)
        if bytes(view[: len(_MAGIC)]) != _MAGIC:
            raise ValueError("not an AnnIndex artifact")
        at = len(_MAGIC)
        (size,) = struct.unpack_from("<I", view, at)
        at += 4
        header = json.loads(bytes(view[at : at + size]))
        at += size
        n, dim = int(header["n"]), int(header["dim"])
        ids = np.frombuffer(view[at : at + 8 * n], dtype="<i8").copy()
        at += 8 * n
        if header["kind"] == "exact":
            vectors = np.frombuffer(view[at : at + 4 * n * dim], dtype="<f4").reshape(n, dim).copy()
            return cls(ids, vectors=vectors, seed=int(header["seed"]))
        _single_threaded()
        index = faiss.deserialize_index(np.frombuffer(view[at:], dtype=np.uint8).copy())
        if index.ntotal != n or index.d != dim + 1:
            raise ValueError("corrupt AnnIndex artifact: index does not match its header")
        return cls(
            ids, index=index, nprobe=int(header["nprobe"]), scale=float(header["scale"]), seed=int(header["seed"])
        )
