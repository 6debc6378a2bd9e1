"""A training set's items as builder rows: a CoT example per rationale, a PoT example per converted program,
a seed problem (for synthesis) where the set has no way to a program of its own, a reject per bad record.

The reading itself (file layouts, required fields, ``limit``) is ``benchmarks.train_sets``, shared with few-shot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mammoth_math.benchmarks.scan import BadRecord
from mammoth_math.benchmarks.train_sets import TRAIN_SETS, TrainItem
from mammoth_math.data.examples import Example, Reject, SeedProblem, SourceResult


@dataclass(frozen=True)
class Converter:
    """How a set's own annotations become PoT programs (GSM8K's calculator notes, MathQA's formulas)."""

    program: Callable[[TrainItem], str | None]  # None: the annotation cannot be converted
    reason: str  # the reject's tag when it cannot
    detail: Callable[[TrainItem], str]  # what that reject says


def input_reject(source: str, item_id: str, bad: BadRecord) -> Reject:
    """The reject for a record the reader could not use; its detail names file, line and field."""
    return Reject(source, item_id, "", "input", bad.reason, str(bad.error))


def load_train_set(name: str, converter: Converter | None, path: Path, types: tuple[str, ...] = ("cot", "pot"),
                   limit: int | None = None) -> SourceResult:
    """The rows of training set ``name`` read from ``path``, rationale types in the order of ``types``."""
    result = SourceResult()
    for item_id, item in TRAIN_SETS[name].read(path, limit):
        if isinstance(item, BadRecord):
            result.rejects.append(input_reject(name, item_id, item))
            continue
        for kind in types:
            if kind == "cot" and item.rationale is not None:
                result.examples.append(Example(name, item_id, "cot", item.question, item.response, item.gold,
                                               item.kind.value, item.options, item.meta))
            elif kind == "pot" and converter is not None:
                program = converter.program(item)
                if program is None:
                    result.rejects.append(Reject(name, item_id, "pot", "convert", converter.reason,
                                                 converter.detail(item)))
                else:
                    result.examples.append(Example(name, item_id, "pot", item.problem, program, item.gold,
                                                   item.kind.value, item.options, item.meta))
        if converter is None and ("pot" in types or item.rationale is None):
            result.problems.append(SeedProblem(name, item_id, item.question, item.gold, item.kind.value, item.options))
    return result
