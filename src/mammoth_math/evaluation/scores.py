"""Scores from records, and finding the runs in an output folder.

Accuracy counts only graded problems: a backend error is not a wrong answer, it is reported apart
(``errors``) so that a flaky server cannot silently lower a model's number.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mammoth_math.evaluation.records import ProblemRecord, read_problem_records
from mammoth_math.evaluation.strategies import STRATEGIES
from mammoth_math.evaluation.strategies.tir import CALL_CAP
from mammoth_math.files import read_json


@dataclass
class ToolUse:
    """How a multi-step run (tir) used its tool, per problem, over the attempts that kept turns (a hybrid's
    CoT fallback keeps none). A problem's calls are the mean over its samples."""

    problems: int
    mean_calls: float  # code blocks run per problem
    max_calls: float
    hit_cap: float  # share of problems with an answer that asked for a call past --max-tool-calls
    raised: float  # share of problems with a block that raised or timed out

    @classmethod
    def of(cls, records: list[ProblemRecord]) -> ToolUse | None:
        """None when no record holds a multi-step attempt."""
        stepped = [[a for a in r.attempts if a.turns] for r in records]
        stepped = [attempts for attempts in stepped if attempts]
        if not stepped:
            return None
        calls = [sum(t.output is not None for a in attempts for t in a.turns) / len(attempts) for attempts in stepped]
        n = len(stepped)
        return cls(n, round(sum(calls) / n, 3), max(calls),
                   round(sum(any(a.failure == CALL_CAP for a in attempts) for attempts in stepped) / n, 4),
                   round(sum(any(t.error for a in attempts for t in a.turns) for attempts in stepped) / n, 4))


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
    tools: ToolUse | None = None  # tir runs: tool calls per problem, cap hits, blocks that raised

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
        tools=ToolUse.of(records),
    )


@dataclass
class Run:
    """One finished (or merged) run: its metadata and its records per dataset, in problem order."""

    name: str
    meta: dict[str, Any]
    records: dict[str, list[Any]]  # evaluation runs hold ProblemRecords; other kinds of run their own records

    def scores(self) -> dict[str, DatasetScore]:
        return {name: score_records(records) for name, records in self.records.items()}


def find_runs(output_dir: str | Path, meta_file: str = "run.json",
              read: Callable[[Path], list[Any]] = read_problem_records) -> list[Run]:
    """The unsharded runs under ``output_dir`` (folders holding ``meta_file``), in the strategy registry's order.

    ``meta_file`` and ``read`` find other kinds of run (the probe's) the same way.
    """
    order = {name: k for k, name in enumerate(STRATEGIES)}
    runs = []
    for meta in sorted(Path(output_dir).glob(f"*/{meta_file}")):
        run_dir = meta.parent
        info = read_json(meta)
        records = {}
        for name in info.get("benchmarks", {}):
            path = run_dir / f"{name}.jsonl"
            if path.exists():
                records[name] = sorted(read(path), key=lambda r: r.index)
        runs.append(Run(run_dir.name, info, records))
    return sorted(runs, key=lambda r: (order.get(r.name.rsplit("-sc", 1)[0], len(order)), r.name))
