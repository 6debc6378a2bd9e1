"""Verification and filters of distillation: sampled responses in, kept rows and a count per stage out.

Each sample leaves at the first stage that drops it, in :data:`STAGES` order, so per rationale type
``sampled`` = the sum of the drops + ``kept``. Answers are graded with ``grading.grade`` (against the gold, or
the majority label when there is none); PoT programs run through the builder's :data:`ProgramRunner`.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from mammoth_math.data.dedup import dedup
from mammoth_math.data.distill.checks import (
    Vote,
    final_answers,
    majority,
    program_answers,
    same_answer,
    wrong_arithmetic,
)
from mammoth_math.data.distill.config import DistillConfig
from mammoth_math.data.examples import Example, SeedProblem
from mammoth_math.data.teacher import extract_program
from mammoth_math.data.verify import ProgramRunner
from mammoth_math.grading import grade, program_failure, program_output

SOURCE = "distilled"  # the source name of distilled rows in a build
STAGES = ("sampled", "no_answer", "unlabelled", "wrong", "out_of_window", "multiple_answers", "bad_arithmetic",
          "length_outlier", "near_duplicate", "over_cap", "kept")


@dataclass(frozen=True)
class Sampled:
    """The k responses of one problem for one rationale type, as ``samples.jsonl`` stores them."""

    problem: SeedProblem
    rationale_type: str
    texts: tuple[str, ...]


@dataclass
class _Sample:
    problem: SeedProblem
    rationale_type: str
    index: int
    output: str  # what a row holds: the CoT text, or the program
    answer: str | None = None
    printed: str = ""  # PoT: what the program printed, and the answer the sandbox read from it
    program_answer: str = ""
    fate: str = "kept"  # the stage that dropped it


@dataclass
class FilterResult:
    rows: list[Example]
    counts: dict[str, dict[str, int]]  # rationale type -> stage -> samples
    problems: dict[str, int] = field(default_factory=dict)  # labelled by gold / majority, unlabelled by reason
    label_accuracy: dict[str, float | int] | None = None  # majority labels against the hidden golds


def filter_samples(sampled: Sequence[Sampled], config: DistillConfig, run_programs: ProgramRunner) -> FilterResult:
    """Grade, label and filter every sample; the kept ones become rows of source ``distilled``."""
    samples = _answers([s for group in sampled for s in _unpack(group)], run_programs)
    by_problem: dict[str, list[_Sample]] = defaultdict(list)
    for s in samples:
        by_problem[s.problem.id].append(s)
    labels, problems, accuracy = _label(by_problem, config)
    rates = _grade_against_labels(samples, labels)
    _window(samples, rates, config)
    _quality(samples, config)
    rows = _distinct(samples, labels, rates, config)
    counts: dict[str, dict[str, int]] = {}
    for kind in config.types:
        fates = Counter(s.fate for s in samples if s.rationale_type == kind)
        counts[kind] = {"sampled": sum(fates.values())} | {stage: fates.get(stage, 0) for stage in STAGES[1:]}
    return FilterResult(rows, counts, problems, accuracy)


def _unpack(group: Sampled) -> list[_Sample]:
    out = []
    for i, text in enumerate(group.texts):
        output = extract_program(text) if group.rationale_type == "pot" else text.strip()
        out.append(_Sample(group.problem, group.rationale_type, i, output or "",
                           fate="kept" if output else "no_answer"))
    return out


def _answers(samples: list[_Sample], run_programs: ProgramRunner) -> list[_Sample]:
    """Each sample's final answer: extracted from a CoT, or read from what its program printed in the sandbox."""
    programs = [s for s in samples if s.rationale_type == "pot" and s.fate == "kept"]
    runs = run_programs([s.output for s in programs]) if programs else []
    for s, run in zip(programs, runs):
        if program_failure(run) is None:
            s.printed, s.program_answer = run.stdout, program_output(run)
    for s in samples:
        if s.fate != "kept":
            continue
        p = s.problem
        if s.rationale_type == "pot":
            s.answer = (grade(s.program_answer, p.gold, p.kind, p.options, from_program=True).answer
                        if s.program_answer else None)
        else:
            s.answer = grade(s.output, p.gold, p.kind, p.options).answer
        if s.answer is None or not s.answer.strip():
            s.fate = "no_answer"
    return samples


def _label(by_problem: dict[str, list[_Sample]], config: DistillConfig):
    """The label of each problem (its gold, else the majority over all its samples of every type), the
    problem counts, and (golds hidden) how often the majority matched the hidden gold."""
    labels: dict[str, tuple[str, str]] = {}  # problem id -> (label, "gold" | "majority")
    problems: Counter[str] = Counter()
    checked = correct = 0
    for pid, group in by_problem.items():
        p = group[0].problem
        if config.use_gold and p.gold.strip():
            labels[pid] = (p.gold, "gold")
            problems["gold"] += 1
            continue
        vote: Vote = majority([s.answer if s.fate == "kept" else None for s in group], p.kind, p.options,
                              config.majority_share)
        if vote.label is None:
            problems[f"unlabelled_{vote.reason}"] += 1
            for s in group:
                s.fate = "unlabelled" if s.fate == "kept" else s.fate
            continue
        labels[pid] = (vote.label, "majority")
        problems["majority"] += 1
        if p.gold.strip():
            checked += 1
            correct += same_answer(vote.label, p.gold, p.kind, p.options)
    accuracy = {"checked": checked, "correct": correct, "accuracy": round(correct / checked, 4)} if checked else None
    return labels, dict(problems), accuracy


def _grade_against_labels(samples: list[_Sample], labels: dict[str, tuple[str, str]]) -> dict[tuple[str, str], float]:
    """Mark answers that differ from the label as wrong; return each (problem, type)'s pass rate over all k."""
    right: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for s in samples:
        key = (s.problem.id, s.rationale_type)
        total[key] += 1
        if s.fate != "kept":
            continue
        p = s.problem
        if same_answer(s.answer or "", labels[p.id][0], p.kind, p.options):
            right[key] += 1
        else:
            s.fate = "wrong"
    return {key: right[key] / n for key, n in total.items()}


def _window(samples: list[_Sample], rates: dict[tuple[str, str], float], config: DistillConfig) -> None:
    for s in samples:
        rate = rates[(s.problem.id, s.rationale_type)]
        if s.fate == "kept" and not config.pass_rate_min <= rate <= config.pass_rate_max:
            s.fate = "out_of_window"


def _quality(samples: list[_Sample], config: DistillConfig) -> None:
    """Hedged answers, wrong written arithmetic, then length outliers (against the median of what is left)."""
    for s in (s for s in samples if s.fate == "kept"):
        p = s.problem
        if s.rationale_type == "pot":
            several = program_answers(s.printed) > 1
        else:
            several = len(final_answers(s.output, p.kind, p.options)) > 1
        if several:
            s.fate = "multiple_answers"
        elif config.check_arithmetic and s.rationale_type == "cot" and wrong_arithmetic(s.output):
            s.fate = "bad_arithmetic"
    for kind in config.types:
        left = [s for s in samples if s.fate == "kept" and s.rationale_type == kind]
        if not left:
            continue
        limit = float(config.max_chars)
        if config.length_factor is not None:
            limit = min(limit, config.length_factor * statistics.median(len(s.output) for s in left))
        for s in left:
            if len(s.output) > limit:
                s.fate = "length_outlier"


def _distinct(samples: list[_Sample], labels: dict[str, tuple[str, str]], rates: dict[tuple[str, str], float],
              config: DistillConfig) -> list[Example]:
    """Near-duplicate solutions of one problem and type removed (``data.dedup``), then the first m kept."""
    kept = [s for s in samples if s.fate == "kept"]
    rows = {id(s): _row(s, labels[s.problem.id], rates[(s.problem.id, s.rationale_type)], config) for s in kept}
    unique, _ = dedup(list(rows.values()), config.near_dup_threshold, near_text=lambda e: e.output,
                      group=lambda e: (e.meta["problem"], e.rationale_type))
    survivors = {e.id for e in unique}
    per_group: Counter[tuple[str, str]] = Counter()
    out = []
    for s in kept:
        row = rows[id(s)]
        if row.id not in survivors:
            s.fate = "near_duplicate"
            continue
        per_group[(s.problem.id, s.rationale_type)] += 1
        if per_group[(s.problem.id, s.rationale_type)] > config.max_per_problem:
            s.fate = "over_cap"
            continue
        out.append(row)
    return out


def _row(s: _Sample, label: tuple[str, str], rate: float, config: DistillConfig) -> Example:
    p = s.problem
    return Example(SOURCE, f"{SOURCE}/{p.id}#{s.rationale_type}-{s.index}", s.rationale_type, p.question, s.output,
                   label[0], p.kind, p.options,
                   {"teacher": config.teacher_name, "pass_rate": round(rate, 4), "label": label[0],
                    "label_from": label[1], "problem": p.id, "from": p.source})
