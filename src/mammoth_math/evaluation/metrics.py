"""Sampled metrics over n generations per problem: avg@n, pass@k, maj@k and the standard error across samples.

Pure functions of saved verdicts and answers (no backend, no grader import), so a report can recompute
any k from the records of one sampled run. Inputs are per problem: ``correct[i]`` is the list of the n
verdicts of problem i, ``answers[i]`` the n extracted answers (None or "" for no answer).

pass@k is the unbiased estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on
Code", section 2.1); maj@k is its analogue for majority voting: the expected majority verdict over all
k-subsets of the n samples, computed exactly by counting instead of enumerating the subsets.
:func:`sampled_metrics` gathers them all for one set.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

Equal = Callable[[str, str], bool]


def avg_at_n(correct: Sequence[Sequence[bool]]) -> float:
    """Mean accuracy over all samples: each problem's share of correct samples, averaged over problems."""
    _check_problems(correct)
    return sum(sum(c) / len(c) for c in correct) / len(correct)


def pass_at_k(n: int, c: int, k: int) -> float:
    """P(at least one of k samples drawn without replacement from n, c of them correct, is correct).

    ``1 - C(n-c, k) / C(n, k)`` written as a product of ratios each in [0, 1], so it neither overflows nor
    loses precision for large n (the form Chen et al. give for the same reason).
    """
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    if n - c < k:
        return 1.0
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


def mean_pass_at_k(correct: Sequence[Sequence[bool]], k: int) -> float:
    """pass@k averaged over problems."""
    _check_problems(correct)
    return sum(pass_at_k(len(c), sum(c), k) for c in correct) / len(correct)


def group_answers(answers: Sequence[str | None], equal: Equal) -> list[int | None]:
    """A class id per sample: samples whose answers grade as equal share one; an empty answer gets None.

    Greedy and order-stable: each answer joins the first class whose first member it equals (the grader's
    equality need not be transitive, so the first member stands for its class).
    """
    representatives: list[str] = []
    ids: list[int | None] = []
    for answer in answers:
        if answer is None or not answer.strip():
            ids.append(None)
            continue
        hit = next((j for j, rep in enumerate(representatives) if answer == rep or equal(answer, rep)), None)
        if hit is None:
            hit = len(representatives)
            representatives.append(answer)
        ids.append(hit)
    return ids


def majority_index(answers: Sequence[str | None], equal: Equal) -> int | None:
    """The sample whose answer the most samples agree with (ties: the class seen first); None if all are empty."""
    ids = group_answers(answers, equal)
    sizes = _class_sizes(ids)
    if not sizes:
        return None
    return ids.index(sizes.index(max(sizes)))  # index() keeps the first of equal sizes


def _class_sizes(ids: list[int | None]) -> list[int]:
    return [ids.count(j) for j in range(max((i for i in ids if i is not None), default=-1) + 1)]


def maj_at_k(answers: Sequence[str | None], correct: Sequence[bool], k: int, equal: Equal) -> float:
    """Expected verdict of a majority vote over k samples drawn without replacement from the n given.

    Rules: samples are grouped once over all n (:func:`group_answers`); a class is correct when its first
    sample is; an empty answer never votes, so it never wins; a k-subset with no answer scores 0; a tie
    between t classes scores the share of correct ones among them (a fair coin among the tied classes).
    With k = n this is the vote over all samples, ties split the same way.
    """
    n = len(answers)
    if len(correct) != n:
        raise ValueError(f"{n} answers but {len(correct)} verdicts")
    if not 1 <= k <= n:
        raise ValueError(f"need 1 <= k <= n, got n={n}, k={k}")
    ids = group_answers(answers, equal)
    sizes = _class_sizes(ids)
    class_correct = [bool(correct[ids.index(j)]) for j in range(len(sizes))]
    empty = ids.count(None)
    total = Fraction(0)
    for j, size in enumerate(sizes):
        if class_correct[j]:
            total += _wins(j, sizes, empty, k)
    return float(total / math.comb(n, k))


def _wins(j: int, sizes: list[int], empty: int, k: int) -> Fraction:
    """Sum over k-subsets of [class j holds the most votes] / (number of classes tied with it)."""
    others = [s for i, s in enumerate(sizes) if i != j]
    won = Fraction(0)
    for v in range(1, min(sizes[j], k) + 1):
        # ways[used][ties]: ways to pick `used` samples from the other classes, each at most v, `ties` at v
        ways: dict[tuple[int, int], int] = {(0, 0): 1}
        for size in others:
            step: dict[tuple[int, int], int] = {}
            for (used, ties), count in ways.items():
                for x in range(min(size, v, k - v - used) + 1):
                    key = (used + x, ties + (x == v))
                    step[key] = step.get(key, 0) + count * math.comb(size, x)
            ways = step
        for (used, ties), count in ways.items():
            rest = k - v - used  # filled with empty answers, which never vote
            if 0 <= rest <= empty:
                won += Fraction(math.comb(sizes[j], v) * count * math.comb(empty, rest), ties + 1)
    return won


def mean_maj_at_k(answers: Sequence[Sequence[str | None]], correct: Sequence[Sequence[bool]], k: int,
                  equal: Equal | Sequence[Equal]) -> float:
    """maj@k averaged over problems; ``equal`` is one function or one per problem (kinds differ by problem)."""
    _check_problems(correct)
    if len(answers) != len(correct):
        raise ValueError(f"{len(answers)} answer lists but {len(correct)} verdict lists")
    equals = [equal] * len(correct) if callable(equal) else list(equal)
    return sum(maj_at_k(a, c, k, e) for a, c, e in zip(answers, correct, equals, strict=True)) / len(correct)


def run_accuracies(correct: Sequence[Sequence[bool]]) -> list[float]:
    """Accuracy of each of the n runs: run s takes the s-th sample of every problem."""
    n = _check_problems(correct, same_n=True)
    return [sum(c[s] for c in correct) / len(correct) for s in range(n)]


def std_error_across_samples(correct: Sequence[Sequence[bool]]) -> float:
    """Standard error of avg@n over the n runs: sample standard deviation of run accuracies / sqrt(n).

    This is the "± x" of published sampled results (how much avg@n would move with other seeds);
    0.0 for a single run, where it cannot be estimated.
    """
    runs = run_accuracies(correct)
    if len(runs) < 2:
        return 0.0
    mean = sum(runs) / len(runs)
    variance = sum((r - mean) ** 2 for r in runs) / (len(runs) - 1)
    return math.sqrt(variance / len(runs))


@dataclass(frozen=True)
class SampledMetrics:
    """Every sampled metric of one set, as a report table row and ``results.json`` carry it."""

    problems: int
    n: int  # samples per problem
    avg: float  # avg@n
    std_error: float  # of avg@n, across the n runs
    pass_at: dict[int, float]  # k -> pass@k
    maj_at: dict[int, float]  # k -> maj@k


def sampled_metrics(correct: Sequence[Sequence[bool]], answers: Sequence[Sequence[str | None]],
                    ks: Sequence[int], equal: Equal | Sequence[Equal]) -> SampledMetrics:
    """avg@n with its standard error, and pass@k and maj@k for each k of ``ks`` (each at most n)."""
    n = _check_problems(correct, same_n=True)
    if any(not 1 <= k <= n for k in ks):
        raise ValueError(f"every k must be between 1 and n={n}, got {sorted(ks)}")
    return SampledMetrics(
        problems=len(correct), n=n, avg=avg_at_n(correct), std_error=std_error_across_samples(correct),
        pass_at={k: mean_pass_at_k(correct, k) for k in sorted(set(ks))},
        maj_at={k: mean_maj_at_k(answers, correct, k, equal) for k in sorted(set(ks))},
    )


def _check_problems(correct: Sequence[Sequence[bool]], same_n: bool = False) -> int:
    if not correct or any(len(c) == 0 for c in correct):
        raise ValueError("need at least one problem, each with at least one sample")
    sizes = {len(c) for c in correct}
    if same_n and len(sizes) > 1:
        raise ValueError(f"every problem needs the same number of samples, got {sorted(sizes)}")
    return len(correct[0])
