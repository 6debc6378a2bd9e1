"""Re-grade the saved outputs of any harness: a JSONL file with a prediction and a gold field per row.

Used by ``mammoth-math regrade``. Each row gets a ``grading`` object (correct, method, answer, rule,
mode) and the result is written atomically; bad rows fail naming file, line and field.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from mammoth_math.files import InputError, iter_jsonl, require_fields, write_jsonl
from mammoth_math.grading.extract import clean_answer
from mammoth_math.grading.gold import parse_gold
from mammoth_math.grading.grade import grade
from mammoth_math.grading.kinds import AnswerKind, Extraction, GradingMode
from mammoth_math.progress import track


@dataclass(frozen=True)
class RegradeSpec:
    """Where each field lives in a row, and how to grade it."""

    pred_key: str
    gold_key: str
    kind: AnswerKind = AnswerKind.NUMBER
    kind_key: str | None = None  # a per-row kind field wins over ``kind``
    options_key: str | None = None
    mode: GradingMode = GradingMode.STRICT
    rel_tol: float | None = None
    preds_are_answers: bool = False  # the prediction field holds an extracted answer, not model text

    def __post_init__(self) -> None:  # accept the plain strings a command line gives
        object.__setattr__(self, "kind", AnswerKind(self.kind))
        object.__setattr__(self, "mode", GradingMode(self.mode))


@dataclass(frozen=True)
class RegradeSummary:
    rows: int
    correct: int
    mode: str
    out: str

    @property
    def accuracy(self) -> float:
        return self.correct / self.rows if self.rows else 0.0


def regrade_file(path: str | os.PathLike, spec: RegradeSpec, out: str | os.PathLike) -> RegradeSummary:
    """Grade every row of ``path``; write rows plus their ``grading`` to ``out`` (atomically)."""
    rows = list(iter_jsonl(path))
    graded, correct = [], 0
    for line, row in track(rows, "regrading"):
        require_fields(row, [spec.pred_key, spec.gold_key], path, line)
        kind = _kind(row, spec, path, line)
        options = tuple(row[spec.options_key]) if spec.options_key and row.get(spec.options_key) else None
        try:
            gold = parse_gold(row[spec.gold_key], kind)
        except ValueError as e:
            raise InputError(path, str(e), line=line, field=spec.gold_key) from None
        pred = row[spec.pred_key]
        result = grade(_answer(None if pred is None else str(pred), kind, options, spec), gold, kind, options,
                       spec.mode, rel_tol=spec.rel_tol)
        correct += result.correct
        graded.append({**row, "grading": {"correct": result.correct, "method": result.method,
                                          "answer": result.answer, "rule": result.extraction.rule, "gold": gold,
                                          "kind": kind.value, "mode": spec.mode.value}})
    write_jsonl(out, graded)
    return RegradeSummary(len(graded), correct, spec.mode.value, str(Path(out)))


def _kind(row: dict, spec: RegradeSpec, path: str | os.PathLike, line: int) -> AnswerKind:
    if not spec.kind_key or spec.kind_key not in row:
        return spec.kind
    try:
        return AnswerKind(row[spec.kind_key])
    except ValueError:
        raise InputError(path, f"unknown answer kind {row[spec.kind_key]!r}", line=line, field=spec.kind_key) from None


def _answer(pred: str | None, kind: AnswerKind, options: tuple[str, ...] | None,
            spec: RegradeSpec) -> str | Extraction | None:
    """The text to extract from, or, when the field already holds answers, the answer itself."""
    if pred is None:
        return Extraction(None, "empty")
    if not spec.preds_are_answers:
        return pred
    if spec.mode is GradingMode.STRICT:
        answer, how = clean_answer(pred, kind, options)
        return Extraction(answer, how or "answer field", pred)
    return Extraction(pred, "answer field", pred)
