"""The embedding retriever: a sentence-transformers model (a local folder or a hub id), batched, on GPU when present.

sentence-transformers is optional (``pip install 'mammoth-math[embed]'``) and imported only here.
Scores are cosines of unit-normalised embeddings; the search is a dense product, chunked so memory stays flat.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mammoth_math.data.retrieve import Hits, top_k_rows
from mammoth_math.progress import track


class EmbeddingRetriever:
    name = "embedding"

    def __init__(self, model: str | None = None, batch_size: int = 128, device: str | None = None,
                 chunk: int = 1024, progress: bool = False):
        if not model:
            raise ValueError("the embedding retriever needs a model (embedding_model: a folder or a hub id)")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ImportError("the embedding retriever needs sentence-transformers: "
                              "pip install 'mammoth-math[embed]'") from e
        self.model_name, self.batch_size, self.chunk, self.progress = model, batch_size, chunk, progress
        self._model = SentenceTransformer(model, device=device)  # device None: CUDA when present
        self._index: np.ndarray | None = None

    def info(self) -> dict[str, Any]:
        return {"retriever": self.name, "model": self.model_name, "device": str(self._model.device)}

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                  convert_to_numpy=True, show_progress_bar=False).astype(np.float32)

    def fit(self, corpus: Sequence[str]) -> None:
        self._index = self._encode(corpus)

    def search(self, queries: Sequence[str], k: int) -> Hits:
        if self._index is None:
            raise RuntimeError("fit() the retriever on the training texts before searching")
        indices, scores = [], []
        starts = range(0, len(queries), self.chunk)
        for start in track(starts, "retrieving (embedding)", len(starts), self.progress):
            idx, val = top_k_rows(self._encode(queries[start:start + self.chunk]) @ self._index.T, k)
            indices.append(idx)
            scores.append(val)
        width = min(k, len(self._index))
        if not indices:
            return Hits(np.zeros((0, width), np.int64), np.zeros((0, width), np.float32))
        return Hits(np.concatenate(indices).astype(np.int64), np.concatenate(scores).astype(np.float32))
