"""Few-shot exemplars: written by the user (JSONL), or drawn from a benchmark's train split, never its test set.

Train-split exemplars reuse the benchmark's converter, so a question is laid out exactly as at test
time; the response is the split's own rationale ending in MAmmoTH's "The answer is X" sentence.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from mammoth_math.benchmarks import suite
from mammoth_math.benchmarks.records import (
    Record,
    read_json_array,
    read_json_tree,
    read_jsonl,
)
from mammoth_math.benchmarks.registry import get_benchmark
from mammoth_math.files import iter_jsonl
from mammoth_math.prompts import Exemplar


def read_exemplars(path: str | Path) -> list[Exemplar]:
    """User-written exemplars: a JSONL file of ``{"question": ..., "answer": ...}`` (answer: rationale or program)."""
    exemplars = []
    for line, obj in iter_jsonl(path):
        rec = Record(obj, str(path), line, len(exemplars))
        exemplars.append(Exemplar(rec.get("question", str), rec.get("answer", str)))
    return exemplars


def _gsm8k(rec: Record) -> str:
    rationale, answer = rec.get("answer", str).split("####")
    return re.sub(r"<<[^>]*>>", "", rationale).strip() + f"\nThe answer is {answer.strip()}"


def _math(rec: Record) -> str:
    return rec.get("solution", str).strip() + f"\nThe answer is {suite.math(rec).gold}"


def _aqua(rec: Record) -> str:
    return rec.get("rationale", str).strip() + f"\nThe answer is ({rec.get('correct', str).strip()})."


def _numglue(rec: Record) -> str:
    return f"The answer is {rec.get('answer', (int, float, str))}"


def _numglue_records(root: Path) -> list[Record]:
    return [rec for file in sorted(root.glob("Type_*/type*.json")) for rec in read_json_array(file)]


# benchmark -> (reader, path under the train dir, record -> response text)
TRAIN_SOURCES: dict[str, tuple[Callable[[Path], list[Record]], str, Callable[[Record], str]]] = {
    "gsm8k": (read_jsonl, "gsm8k/train.jsonl", _gsm8k),
    "math": (read_json_tree, "math", _math),
    "aqua": (read_jsonl, "aqua/dev.json", _aqua),
    "numglue": (_numglue_records, "numglue", _numglue),
}


def train_exemplars(name: str, train_dir: str | Path, k: int = 4, seed: int = 0,
                    exclude_questions: Iterable[str] = ()) -> list[Exemplar]:
    """``k`` exemplars drawn (seeded) from benchmark ``name``'s train split under ``train_dir``.

    Any candidate whose question is in ``exclude_questions`` (pass the test questions) is skipped,
    so an exemplar can never leak a test item.
    """
    spec = get_benchmark(name)
    if spec.name not in TRAIN_SOURCES:
        raise ValueError(f"{spec.name} has no train split here ({', '.join(TRAIN_SOURCES)} do); "
                         "write your own exemplars and load them with read_exemplars()")
    reader, source, response = TRAIN_SOURCES[spec.name]
    records = reader(Path(train_dir) / source)
    excluded = set(exclude_questions)
    picked: list[Exemplar] = []
    for i in random.Random(seed).sample(range(len(records)), len(records)):
        question = spec.convert(records[i]).question
        if question not in excluded:
            picked.append(Exemplar(question, response(records[i])))
        if len(picked) == k:
            break
    return picked
