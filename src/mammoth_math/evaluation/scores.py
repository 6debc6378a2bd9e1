"""Scores from records, and finding the runs in an output folder.

Accuracy counts only graded problems: a backend error is not a wrong answer, it is reported apart
(``errors``) so that a flaky server cannot silently lower a model's number.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mammoth_math.evaluation.records import ProblemRecord, meta_path, read_records
from mammoth_math.files import read_json


@dataclass
class DatasetScore:
    problems: int  # records, errors included
    graded: int  # records with a verdict
    correct: int
    errors: int  # backend errors: not graded
    fallbacks: int  # hybrid: problems sent to CoT
    paths: dict[str, int] = field(default_factory=dict)  # path that produced the answer -> problems
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.graded if self.graded else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"accuracy": self.accuracy}


def score_records(records: list[ProblemRecord]) -> DatasetScore:
    graded = [r for r in records if r.correct is not None]
    return DatasetScore(
        problems=len(records),
        graded=len(graded),
        correct=sum(bool(r.correct) for r in graded),
        errors=sum(r.error is not None for r in records),
        fallbacks=sum(r.fallback for r in records),
        paths=dict(Counter(r.path for r in records)),
        completion_tokens=sum(r.completion_tokens for r in records),
        seconds=round(sum(r.seconds for r in records), 3),
    )


@dataclass
class Run:
    """One finished (or merged) run: its metadata and its records per dataset, in problem order."""

    name: str
    meta: dict[str, Any]
    records: dict[str, list[ProblemRecord]]

    def scores(self) -> dict[str, DatasetScore]:
        return {name: score_records(records) for name, records in self.records.items()}


def find_runs(output_dir: str | Path) -> list[Run]:
    """The unsharded runs under ``output_dir`` (folders holding ``run.json``), cot/pot/hybrid first."""
    order = {"cot": 0, "pot": 1, "hybrid": 2}
    runs = []
    for meta_file in sorted(Path(output_dir).glob("*/run.json")):
        run_dir = meta_file.parent
        meta = read_json(meta_path(run_dir))
        records = {}
        for name in meta.get("benchmarks", {}):
            path = run_dir / f"{name}.jsonl"
            if path.exists():
                records[name] = sorted(read_records(path), key=lambda r: r.index)
        runs.append(Run(run_dir.name, meta, records))
    return sorted(runs, key=lambda r: (order.get(r.name.split("-")[0], 9), r.name))
