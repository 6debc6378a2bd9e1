"""Deduplication: exact duplicates (normalised text) and near duplicates (MinHash LSH over word shingles).

Within one rationale type, the first row in build order is kept; later copies are removed and reported
with the row they duplicate.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from mammoth_math.data.records import Example, Reject
from mammoth_math.progress import track

_WORD_RE = re.compile(r"\w+")


def normalize(text: str) -> list[str]:
    return _WORD_RE.findall(text.lower())


def dedup(examples: Sequence[Example], near_threshold: float | None = 0.9, num_perm: int = 64,
          shingle: int = 5, progress: bool = False) -> tuple[list[Example], list[Reject]]:
    """Drop exact copies of (question, output), then near copies of the question at Jaccard >= threshold."""
    kept: list[Example] = []
    removed: list[Reject] = []
    seen: dict[tuple[str, str], str] = {}
    for e in examples:
        key = (e.rationale_type, hashlib.sha1(" ".join(normalize(e.question + "\n" + e.output)).encode()).hexdigest())
        if key in seen:
            removed.append(Reject(e.source, e.id, e.rationale_type, "dedup", "exact_duplicate", seen[key]))
        else:
            seen[key] = e.id
            kept.append(e)
    if near_threshold is None:
        return kept, removed
    return _near_dedup(kept, removed, near_threshold, num_perm, shingle, progress)


def _near_dedup(examples: list[Example], removed: list[Reject], threshold: float, num_perm: int,
                shingle: int, progress: bool) -> tuple[list[Example], list[Reject]]:
    from datasketch import MinHash, MinHashLSH

    shingles = []
    for e in examples:
        words = normalize(e.question)
        shingles.append(sorted({" ".join(words[i:i + shingle]).encode() for i in range(max(1, len(words) - shingle + 1))}))
    # One shared permutation set for all rows: building it per MinHash dominates the cost.
    signatures = MinHash.bulk(shingles, num_perm=num_perm, seed=1)
    indexes: dict[str, MinHashLSH] = {}
    kept: list[Example] = []
    for e, m in track(zip(examples, signatures), "near-duplicates", len(examples), progress):
        if e.rationale_type not in indexes:  # built once per type: choosing its bands is costly
            indexes[e.rationale_type] = MinHashLSH(threshold=threshold, num_perm=num_perm)
        lsh = indexes[e.rationale_type]
        match = lsh.query(m)
        if match:
            removed.append(Reject(e.source, e.id, e.rationale_type, "dedup", "near_duplicate", min(match)))
            continue
        lsh.insert(e.id, m)
        kept.append(e)
    return kept, removed
