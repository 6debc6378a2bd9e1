"""Few-shot exemplars: written by the user (JSONL), or drawn from a benchmark's train split, never its test set.

Train-split exemplars are the training rows themselves: read by the same reader as the data builder's
(``train_sets``), question laid out as the row's, response the row's rationale ending in MAmmoTH's
"The answer is X." sentence (the sentence alone for sets without rationales, such as NumGLUE).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path

from mammoth_math.benchmarks.registry import get_benchmark
from mammoth_math.benchmarks.scan import Record
from mammoth_math.benchmarks.train_sets import TRAIN_SETS, TrainItem
from mammoth_math.files import iter_jsonl
from mammoth_math.prompts import Exemplar


def read_exemplars(path: str | Path) -> list[Exemplar]:
    """User-written exemplars: a JSONL file of ``{"question": ..., "answer": ...}`` (answer: rationale or program)."""
    exemplars = []
    for line, obj in iter_jsonl(path):
        rec = Record(obj, str(path), line, len(exemplars))
        exemplars.append(Exemplar(rec.get("question", str), rec.get("answer", str)))
    return exemplars


def train_exemplars(name: str, train_dir: str | Path, k: int = 4, seed: int = 0,
                    exclude_questions: Iterable[str] = ()) -> list[Exemplar]:
    """``k`` exemplars drawn (seeded) from benchmark ``name``'s train split under ``train_dir``.

    Any candidate whose question is in ``exclude_questions`` (pass the test questions) is skipped, white
    space aside (a test file may space its options differently), so an exemplar can never leak a test item.
    Records the data builder would reject are never drawn.
    """
    spec = get_benchmark(name)
    if spec.name not in TRAIN_SETS:
        raise ValueError(f"{spec.name} has no train split here ({', '.join(TRAIN_SETS)} do); "
                         "write your own exemplars and load them with read_exemplars()")
    train_set = TRAIN_SETS[spec.name]
    items = [item for _, item in train_set.read(Path(train_dir) / train_set.path) if isinstance(item, TrainItem)]
    excluded = {_unspaced(q) for q in exclude_questions}
    picked: list[Exemplar] = []
    for i in random.Random(seed).sample(range(len(items)), len(items)):
        if _unspaced(items[i].question) not in excluded:
            picked.append(Exemplar(items[i].question, items[i].response))
        if len(picked) == k:
            break
    return picked


def _unspaced(text: str) -> str:
    return "".join(text.split())
