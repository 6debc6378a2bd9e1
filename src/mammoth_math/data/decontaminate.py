"""Decontamination: drop training rows sharing n-grams (13 words, as in the GPT-3 and Llama reports) with
any question of any eval set; each removal names the benchmark item it matched.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mammoth_math.data.dedup import normalize
from mammoth_math.data.records import Example, Reject
from mammoth_math.progress import track

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvalIndex:
    """Every n-gram of every eval question, mapped to the first item (``benchmark/id``) that has it."""

    n: int
    grams: dict[int, str]


def _grams(text: str, n: int) -> set[int]:
    words = normalize(text)
    if len(words) < n:  # a short question is one gram, so it still matches an exact copy
        return {hash(" ".join(words))} if words else set()
    return {hash(" ".join(words[i:i + n])) for i in range(len(words) - n + 1)}


def build_index(eval_dir: str | Path, n: int = 13, benchmarks: Sequence[str] | None = None,
                progress: bool = False) -> EvalIndex:
    """Index the questions of ``benchmarks`` (default: every benchmark of the suite) found under ``eval_dir``."""
    from mammoth_math.benchmarks import BENCHMARKS, load_problems

    grams: dict[int, str] = {}
    for name in track(benchmarks or sorted(BENCHMARKS), "indexing eval sets", enabled=progress):
        try:
            problems = load_problems(name, eval_dir)
        except (OSError, ValueError) as e:  # a benchmark missing from eval_dir is reported, not fatal
            log.warning("decontamination: cannot load %s from %s: %s", name, eval_dir, e)
            continue
        for p in problems:
            for g in _grams(p.question, n):
                grams.setdefault(g, f"{name}/{p.id}")
    return EvalIndex(n, grams)


def decontaminate(examples: Sequence[Example], index: EvalIndex, threshold: float = 0.0,
                  progress: bool = False) -> tuple[list[Example], list[Reject]]:
    """Remove examples sharing n-grams with one eval item: any (``threshold`` 0, GPT-3's rule) or at least
    that fraction of the question's n-grams (MATH train and test share templates: 0.5 keeps those apart)."""
    kept, removed = [], []
    for e in track(examples, "decontaminating", enabled=progress):
        hits: dict[str, int] = {}
        grams = _grams(e.question, index.n)
        for g in grams:
            item = index.grams.get(g)
            if item is not None:
                hits[item] = hits.get(item, 0) + 1
        best = max(sorted(hits), key=lambda k: hits[k]) if hits else None
        if best is not None and hits[best] / len(grams) >= threshold:
            removed.append(Reject(e.source, e.id, e.rationale_type, "decontaminate", "eval_overlap",
                                  f"{best} ({hits[best]} of {len(grams)} {index.n}-grams shared)"))
        else:
            kept.append(e)
    return kept, removed
