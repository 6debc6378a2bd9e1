"""Decontamination: drop training rows sharing n-grams (13 words, as in the GPT-3 and Llama reports) with
any question of any eval set; each removal names the benchmark item it matched.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from mammoth_math.benchmarks import Problem
from mammoth_math.data.dedup import normalize
from mammoth_math.data.examples import Example, Reject
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

    problems: list[Problem] = []
    for name in track(benchmarks or sorted(BENCHMARKS), "indexing eval sets", enabled=progress):
        try:
            problems += load_problems(name, eval_dir)
        except (OSError, ValueError) as e:  # a benchmark missing from eval_dir is reported, not fatal
            log.warning("decontamination: cannot load %s from %s: %s", name, eval_dir, e)
    return index_problems(problems, n)


def index_problems(problems: Sequence[Problem], n: int = 13) -> EvalIndex:
    """The n-gram index of ``problems`` (test items named by ``Problem.id``, e.g. ``gsm8k/12``)."""
    grams: dict[int, str] = {}
    for p in problems:
        for g in _grams(p.question, n):
            grams.setdefault(g, p.id)
    return EvalIndex(n, grams)


def best_match(question: str, index: EvalIndex) -> tuple[str, int, int] | None:
    """The test item sharing most n-grams with ``question``: (item, shared n-grams, the question's n-grams)."""
    hits: dict[str, int] = {}
    grams = _grams(question, index.n)
    for g in grams:
        item = index.grams.get(g)
        if item is not None:
            hits[item] = hits.get(item, 0) + 1
    if not hits:
        return None
    best = max(sorted(hits), key=lambda k: hits[k])
    return best, hits[best], len(grams)


def decontaminate(examples: Sequence[Example], index: EvalIndex, threshold: float = 0.0,
                  progress: bool = False) -> tuple[list[Example], list[Reject]]:
    """Remove examples sharing n-grams with one eval item: any (``threshold`` 0, GPT-3's rule) or at least
    that fraction of the question's n-grams (MATH train and test share templates: 0.5 keeps those apart)."""
    kept, removed = [], []
    for e in track(examples, "decontaminating", enabled=progress):
        match = best_match(e.question, index)
        if match is not None and match[1] / match[2] >= threshold:
            best, shared, total = match
            removed.append(Reject(e.source, e.id, e.rationale_type, "decontaminate", "eval_overlap",
                                  f"{best} ({shared} of {total} {index.n}-grams shared)"))
        else:
            kept.append(e)
    return kept, removed
