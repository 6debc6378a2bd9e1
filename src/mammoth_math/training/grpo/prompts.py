"""GRPO prompts: problems with golds from any source, as the dataset rows the trainer and rewards read.

A row holds the prompt (MAmmoTH's Alpaca prompt for its rollout mode, as the evaluation builds it) and the
columns the rewards grade against: ``question``, ``gold``, ``kind``, ``options``, ``rollout``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.benchmarks.scan import BadRecord
from mammoth_math.benchmarks.train_sets import TRAIN_SETS
from mammoth_math.files import InputError, iter_jsonl
from mammoth_math.grading import AnswerKind
from mammoth_math.prompts import build_prompt
from mammoth_math.training.grpo.rewards import ROLLOUTS


@dataclass(frozen=True)
class RLProblem:
    """One prompt's problem: what the policy is asked and what its rollouts are graded against."""

    question: str  # options included for multiple choice, as the benchmarks lay them out
    gold: str
    kind: str = AnswerKind.NUMBER.value
    options: tuple[str, ...] | None = None
    rollout: str | None = None  # this row's own mode, for ``rollout: mixed``


def load_problems(sources: Sequence[str], limit: int | None = None) -> list[RLProblem]:
    """Problems from each source in order (see ``GRPOTrainConfig.prompts``), the first ``limit`` of all."""
    if not sources:
        raise InputError("<config>", "no prompt sources given", field="prompts")
    problems: list[RLProblem] = []
    for source in sources:
        name, sep, path = source.partition(":")
        problems += _train_set(name, path) if sep and name in TRAIN_SETS else _jsonl(source)
        if limit and len(problems) >= limit:
            return problems[:limit]
    return problems


def _train_set(name: str, path: str) -> list[RLProblem]:
    return [RLProblem(item.question, item.gold, item.kind.value, item.options)
            for _, item in TRAIN_SETS[name].read(path) if not isinstance(item, BadRecord)]


def _jsonl(path: str) -> list[RLProblem]:
    if not Path(path).is_file():
        raise InputError(path, "no such prompt file (a JSONL of question/gold rows, or <train set>:<path>)")
    problems = []
    for line, row in iter_jsonl(path):
        for key in ("question", "gold"):
            if not isinstance(row.get(key), str) or not row[key].strip():
                raise InputError(path, "missing or empty", line=line, field=key)
        rollout = row.get("rollout")
        if rollout is not None and rollout not in ROLLOUTS:
            raise InputError(path, f"must be one of {', '.join(ROLLOUTS)}", line=line, field="rollout")
        options = row.get("options")
        problems.append(RLProblem(row["question"], row["gold"], AnswerKind(row.get("kind") or "number").value,
                                  tuple(options) if options else None, rollout))
    return problems


def dataset_rows(problems: Sequence[RLProblem], rollout: str) -> list[dict[str, Any]]:
    """The trainer's rows: a mode per problem (``mixed``: the row's own, else cot, pot, tir in turn)."""
    rows = []
    for i, p in enumerate(problems):
        mode = (p.rollout or ROLLOUTS[i % len(ROLLOUTS)]) if rollout == "mixed" else rollout
        rows.append({"prompt": build_prompt(p, mode),
                     "question": p.question, "gold": p.gold, "kind": p.kind,
                     "options": list(p.options) if p.options else None, "rollout": mode})
    return rows

