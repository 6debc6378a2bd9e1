"""Deduplication: exact duplicates (normalised text) and near duplicates (MinHash LSH over word shingles).

Within one rationale type, the first row in build order is kept; later copies are removed and reported
with the row they duplicate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Hashable, Sequence

from mammoth_math.data.examples import Example, Reject
from mammoth_math.progress import track

_WORD_RE = re.compile(r"\w+")


def normalize(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def _question(e: Example) -> str:
    return e.question


def _rationale_type(e: Example) -> Hashable:
    return e.rationale_type


def dedup(examples: Sequence[Example], near_threshold: float | None = 0.9, num_perm: int = 64,
          shingle: int = 5, progress: bool = False, near_text: Callable[[Example], str] = _question,
          group: Callable[[Example], Hashable] = _rationale_type) -> tuple[list[Example], list[Reject]]:
    """Drop exact copies of (question, output), then near copies of ``near_text`` at Jaccard >= threshold,
    comparing rows only within one ``group`` (the builder: questions within a rationale type; distillation:
    the solutions of one problem and type)."""
    kept: list[Example] = []
    removed: list[Reject] = []
    seen: dict[tuple[Hashable, str], str] = {}
    for e in examples:
        key = (group(e), hashlib.sha1(" ".join(normalize(e.question + "\n" + e.output)).encode()).hexdigest())
        if key in seen:
            removed.append(Reject(e.source, e.id, e.rationale_type, "dedup", "exact_duplicate", seen[key]))
        else:
            seen[key] = e.id
            kept.append(e)
    if near_threshold is None:
        return kept, removed
    return _near_dedup(kept, removed, near_threshold, num_perm, shingle, progress, near_text, group)


def _near_dedup(examples: list[Example], removed: list[Reject], threshold: float, num_perm: int, shingle: int,
                progress: bool, near_text: Callable[[Example], str],
                group: Callable[[Example], Hashable]) -> tuple[list[Example], list[Reject]]:
    from datasketch import MinHash, MinHashLSH

    shingles = []
    for e in examples:
        words = normalize(near_text(e))
        shingles.append(sorted({" ".join(words[i:i + shingle]).encode() for i in range(max(1, len(words) - shingle + 1))}))
    # One shared permutation set for all rows: building it per MinHash dominates the cost.
    signatures = MinHash.bulk(shingles, num_perm=num_perm, seed=1)
    indexes: dict[Hashable, MinHashLSH] = {}
    bands: tuple[int, int] | None = None  # choosing them is costly (~25 ms): once, shared by every group
    kept: list[Example] = []
    for e, m in track(zip(examples, signatures), "near-duplicates", len(examples), progress):
        if group(e) not in indexes:
            indexes[group(e)] = MinHashLSH(threshold=threshold, num_perm=num_perm, params=bands)
            bands = indexes[group(e)].b, indexes[group(e)].r
        lsh = indexes[group(e)]
        match = lsh.query(m)
        if match:
            removed.append(Reject(e.source, e.id, e.rationale_type, "dedup", "near_duplicate", min(match)))
            continue
        lsh.insert(e.id, m)
        kept.append(e)
    return kept, removed
