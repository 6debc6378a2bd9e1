"""Retrieval for contamination: for each test problem, the k most similar training problems.

Two retrievers behind one small contract (``fit`` the training texts, ``search`` with the test texts): TF-IDF over
word and character n-grams (scikit-learn, CPU, no model: the default) and a sentence-transformers embedding model
(``retrieve_embed``, GPU when present). Both score by cosine similarity in [0, 1] (embeddings: [-1, 1]).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from mammoth_math.progress import track


@dataclass(frozen=True)
class Hits:
    """Row i: the training indices most similar to query i, best first, and their scores (-1 / nan pad short rows)."""

    indices: np.ndarray  # (queries, k) int64
    scores: np.ndarray  # (queries, k) float32


class Retriever(Protocol):
    name: str

    def fit(self, corpus: Sequence[str]) -> None:
        """Index the training texts (replaces any earlier index)."""
        ...

    def search(self, queries: Sequence[str], k: int) -> Hits:
        """The ``k`` nearest training texts of each query."""
        ...

    def info(self) -> dict[str, Any]:
        """Settings written into every report."""
        ...


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row of a dense score matrix: the ``k`` best columns (best first) and their scores."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(picked, order, axis=1)


def _padded(rows: list[tuple[np.ndarray, np.ndarray]], k: int) -> Hits:
    indices = np.full((len(rows), k), -1, dtype=np.int64)
    scores = np.full((len(rows), k), np.nan, dtype=np.float32)
    for i, (idx, val) in enumerate(rows):
        indices[i, :len(idx)], scores[i, :len(idx)] = idx, val
    return Hits(indices, scores)


class TfidfRetriever:
    """Cosine similarity of TF-IDF vectors: word 1-2-grams (numbers and one-letter variables are words) plus,
    optionally, character 3-5-grams inside words, which survive inflection and LaTeX spacing. Features in more
    than ``max_df`` of the training texts are dropped: they say nothing and make the sparse product slow."""

    name = "tfidf"

    def __init__(self, char_ngrams: bool = True, max_df: float = 0.2, chunk: int = 256, progress: bool = False):
        self.char_ngrams, self.max_df, self.chunk, self.progress = char_ngrams, max_df, chunk, progress
        self._vectorizers: list[Any] = []
        self._index: Any = None  # (features, training texts), CSR: one query chunk times this is its scores
        self._size = 0

    def info(self) -> dict[str, Any]:
        return {"retriever": self.name, "char_ngrams": self.char_ngrams, "max_df": self.max_df}

    def fit(self, corpus: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        common = {"sublinear_tf": True, "dtype": np.float32, "max_df": self.max_df if len(corpus) > 20 else 1.0}
        self._vectorizers = [TfidfVectorizer(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 2), **common)]
        if self.char_ngrams:
            self._vectorizers.append(TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), **common))
        self._size = len(corpus)
        self._index = self._stack([v.fit_transform(corpus) for v in self._vectorizers]).T.tocsr()

    def _stack(self, parts: list[Any]) -> Any:
        from scipy.sparse import hstack
        from sklearn.preprocessing import normalize

        # each part is unit length per row; the joined vector is renormalised so scores stay cosines in [0, 1]
        return normalize(hstack(parts).tocsr(), copy=False)

    def search(self, queries: Sequence[str], k: int) -> Hits:
        if self._index is None:
            raise RuntimeError("fit() the retriever on the training texts before searching")
        rows: list[tuple[np.ndarray, np.ndarray]] = []
        starts = range(0, len(queries), self.chunk)
        for start in track(starts, "retrieving (tf-idf)", len(starts), self.progress):
            batch = self._stack([v.transform(queries[start:start + self.chunk]) for v in self._vectorizers])
            rows += _sparse_top_k(batch @ self._index, k)
        return _padded(rows, k)


def _sparse_top_k(scores: Any, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per row of a CSR score matrix, its ``k`` largest stored entries, best first (ties: lower index first)."""
    found = []
    for i in range(scores.shape[0]):
        lo, hi = scores.indptr[i], scores.indptr[i + 1]
        cols, vals = scores.indices[lo:hi], scores.data[lo:hi]
        if len(vals) > k:
            keep = np.argpartition(-vals, k - 1)[:k]
            cols, vals = cols[keep], vals[keep]
        order = np.lexsort((cols, -vals))
        found.append((cols[order].astype(np.int64), vals[order]))
    return found


def _embedding(**options: Any) -> Retriever:
    from mammoth_math.data.retrieve_embed import EmbeddingRetriever

    return EmbeddingRetriever(**options)


RETRIEVERS: dict[str, Callable[..., Retriever]] = {"tfidf": TfidfRetriever, "embedding": _embedding}


def make_retriever(name: str, **options: Any) -> Retriever:
    """Retriever ``name`` (a key of :data:`RETRIEVERS`) with its options (None values left at defaults)."""
    if name not in RETRIEVERS:
        raise ValueError(f"unknown retriever {name!r}; choose one of {', '.join(RETRIEVERS)}")
    return RETRIEVERS[name](**{k: v for k, v in options.items() if v is not None})
