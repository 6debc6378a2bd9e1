"""GRPO's reward against the evaluation's verdict, on every attempt of finished eval runs.

For each record under the given run folders (``OUT/<run>/<set>.jsonl``, e.g. a quickstart's ``eval/``), every
cot, pot and tir attempt (a hybrid's program and its CoT fallback included) goes through the ``Rewarder`` as a
rollout of its own kind: a program runs in the sandbox again, a tir transcript is checked against the outputs its
turns got. The reward's verdict must equal the evaluation's (``Grader.attempt_correct``) on every one; each
disagreement is printed. Not a timing: it is the issue's check that the reward is the verdict the report counts.

    python bench/reward_agreement.py runs/quickstart/eval [more run folders ...]
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation import read_problem_records
from mammoth_math.evaluation.grader import Grader
from mammoth_math.grading import AnswerKind
from mammoth_math.sandbox import Sandbox
from mammoth_math.training.grpo.rewards import ROLLOUTS, Rewarder, Target


def check(folder: Path, rewarder: Rewarder, grader: Grader) -> tuple[Counter, list[str]]:
    """(checked/agreed/correct counts per rollout kind, the disagreements) over every record file under ``folder``."""
    counts: Counter = Counter()
    disagreements: list[str] = []
    for path in sorted(folder.glob("*/*.jsonl")):
        jobs = [(record, attempt) for record in read_problem_records(path) for attempt in record.attempts
                if attempt.path in ROLLOUTS]
        for kind in ROLLOUTS:
            batch = [(r, a) for r, a in jobs if a.path == kind]
            if not batch:
                continue
            targets = [Target(r.gold, r.kind, tuple(r.options) if r.options else None, r.question) for r, _ in batch]
            outputs = [[t.output or "" for t in a.turns if t.code is not None] for _, a in batch]
            readings = rewarder.read([a.text for _, a in batch], targets, [kind] * len(batch),
                                     outputs if kind == "tir" else None)
            for (record, attempt), reading in zip(batch, readings):
                problem = Problem(record.benchmark, record.id, record.question, record.gold, AnswerKind(record.kind),
                                  tuple(record.options) if record.options else None)
                expected = grader.attempt_correct(attempt, problem)
                counts[kind, "checked"] += 1
                counts[kind, "agreed"] += reading.correct == expected
                counts[kind, "correct"] += expected
                if reading.correct != expected:
                    disagreements.append(f"{path.relative_to(folder)} {record.id} {kind}: reward "
                                         f"{reading.correct} ({reading.answer!r}, {reading.hack or 'no hack'}), "
                                         f"evaluation {expected} ({attempt.answer!r})")
    return counts, disagreements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="eval output folders (an eval OUT, a quickstart's eval/)")
    args = parser.parse_args()
    with Sandbox(timeout=5.0) as sandbox:
        rewarder, grader = Rewarder(sandbox), Grader()
        for folder in args.runs:
            counts, disagreements = check(folder, rewarder, grader)
            per_kind = ", ".join(f"{kind} {counts[kind, 'agreed']}/{counts[kind, 'checked']} "
                                 f"({counts[kind, 'correct']} correct)" for kind in ROLLOUTS if counts[kind, "checked"])
            total = sum(counts[kind, "checked"] for kind in ROLLOUTS)
            agreed = sum(counts[kind, "agreed"] for kind in ROLLOUTS)
            print(f"{folder}: reward == verdict on {agreed} of {total} attempts ({per_kind})")
            for line in disagreements:
                print("  " + line)


if __name__ == "__main__":
    main()
