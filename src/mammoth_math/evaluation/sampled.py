"""Sampled metrics and generation statistics of one set, computed from its saved records alone.

A record of a run with n > 1 samples keeps all n attempts (a hybrid's fallback follows the sample it
answers); the final attempt of each sample is that sample's answer. avg@n, pass@k, maj@k and the standard
error come from ``metrics.sampled_metrics`` over those, so ``mammoth-math report OUT --pass-k 1,8``
recomputes any k without a backend. Records written before per-attempt verdicts existed are graded here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import TRUNCATED, Grader
from mammoth_math.evaluation.metrics import Equal, SampledMetrics, sampled_metrics
from mammoth_math.evaluation.records import Attempt, ProblemRecord
from mammoth_math.grading.kinds import AnswerKind


def final_attempts(record: ProblemRecord) -> list[Attempt]:
    """One attempt per sample, in sample order: the last one made for it (a fallback replaces its failure)."""
    by_sample: dict[int, Attempt] = {}
    for attempt in record.attempts:
        by_sample[attempt.sample] = attempt
    return [by_sample[s] for s in sorted(by_sample)]


def problem_of(record: ProblemRecord) -> Problem:
    """The problem a record answers, as the grader needs it (kind, options, raw gold)."""
    return Problem(record.benchmark, record.id, record.question, record.gold, AnswerKind(record.kind),
                   tuple(record.options) if record.options else None, dict(record.meta))


def _verdict(attempt: Attempt, problem: Problem, grader: Grader) -> bool:
    if attempt.correct is not None:
        return attempt.correct
    return grader.attempt_correct(attempt, problem)


def _equal(problem: Problem, grader: Grader) -> Equal:
    return lambda answer, other: grader.equal(answer, other, problem)


def set_metrics(records: Sequence[ProblemRecord], ks: Sequence[int], grader: Grader) -> SampledMetrics | None:
    """avg@n, pass@k and maj@k (each k <= n of ``ks``) with the standard error; None for a single-sample
    run or no graded record. Backend errors are left out, as in accuracy."""
    graded = [(r, final_attempts(r)) for r in records if r.error is None and r.attempts]
    if not graded:
        return None
    n = min(len(samples) for _, samples in graded)
    if n < 2:
        return None
    problems = [problem_of(r) for r, _ in graded]
    correct = [[_verdict(a, p, grader) for a in samples[:n]] for (_, samples), p in zip(graded, problems)]
    answers = [[None if a.failure else a.answer for a in samples[:n]] for _, samples in graded]
    return sampled_metrics(correct, answers, [k for k in ks if k <= n] or [1],
                           [_equal(p, grader) for p in problems])


@dataclass(frozen=True)
class GenerationStats:
    """How generation went on one set: truncated samples (finish reason "length", or an unclosed think
    block) and mean output tokens per sample."""

    samples: int
    truncated: int
    output_tokens: float | None  # mean per sample; None when the backend reported no tokens

    @property
    def truncation_rate(self) -> float | None:
        return self.truncated / self.samples if self.samples else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"truncation_rate": self.truncation_rate}


def generation_stats(records: Sequence[ProblemRecord]) -> GenerationStats:
    """Counted over every attempt made (fallbacks included); tokens per attempt where the backend said,
    else the record's total spread over its attempts."""
    attempts = [a for r in records for a in r.attempts]
    truncated = sum(a.finish_reason == "length" or a.failure == TRUNCATED for a in attempts)
    tokens = sum(r.completion_tokens for r in records)
    return GenerationStats(len(attempts), truncated, tokens / len(attempts) if attempts and tokens else None)


def metrics_dict(metrics: SampledMetrics, sampling: dict[str, Any] | None) -> dict[str, Any]:
    """``results.json``'s form: each metric with its n and the sampling settings it was drawn with."""
    return {"n": metrics.n, "problems": metrics.problems, "sampling": sampling or {},
            f"avg@{metrics.n}": metrics.avg, "std_error": metrics.std_error,
            **{f"pass@{k}": v for k, v in metrics.pass_at.items()},
            **{f"maj@{k}": v for k, v in metrics.maj_at.items()}}
