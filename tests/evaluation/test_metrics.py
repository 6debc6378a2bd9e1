"""Sampled metrics: hand-worked cases, and pass@k / maj@k against their brute-force definitions on random data."""

from __future__ import annotations

import itertools
import math
import random
from fractions import Fraction

import pytest

from mammoth_math.evaluation.metrics import (
    avg_at_n,
    group_answers,
    maj_at_k,
    majority_index,
    mean_maj_at_k,
    mean_pass_at_k,
    pass_at_k,
    run_accuracies,
    sampled_metrics,
    std_error_across_samples,
)


def same(a: str, b: str) -> bool:
    return a.strip() == b.strip()


def brute_pass_at_k(correct: list[bool], k: int) -> float:
    subsets = list(itertools.combinations(correct, k))
    return sum(any(s) for s in subsets) / len(subsets)


def brute_maj_at_k(answers: list[str | None], correct: list[bool], k: int) -> float:
    """Enumerate every k-subset; vote among its non-empty answers; a tie scores the share of correct tied answers."""
    total = Fraction(0)
    subsets = list(itertools.combinations(range(len(answers)), k))
    for subset in subsets:
        votes: dict[str, list[int]] = {}
        for i in subset:
            if answers[i]:
                votes.setdefault(answers[i].strip(), []).append(i)
        if not votes:
            continue
        top = max(len(v) for v in votes.values())
        tied = [v for v in votes.values() if len(v) == top]
        total += Fraction(sum(correct[v[0]] for v in tied), len(tied))
    return float(total / len(subsets))


# --- hand-worked -------------------------------------------------------------------------------

def test_avg_at_n_is_the_mean_of_per_problem_accuracy() -> None:
    assert avg_at_n([[True, False, False, False], [True, True, True, True]]) == pytest.approx((0.25 + 1.0) / 2)


@pytest.mark.parametrize(("n", "c", "k", "expected"), [
    (4, 1, 1, 0.25),  # one draw: the share correct
    (4, 1, 2, 0.5),  # 1 - C(3,2)/C(4,2) = 1 - 3/6
    (4, 2, 2, 5 / 6),  # 1 - C(2,2)/C(4,2) = 1 - 1/6
    (4, 0, 4, 0.0),
    (4, 3, 2, 1.0),  # n - c < k: every pair holds a correct sample
    (5, 2, 3, 0.9),  # 1 - C(3,3)/C(5,3) = 1 - 1/10
])
def test_pass_at_k_by_hand(n: int, c: int, k: int, expected: float) -> None:
    assert pass_at_k(n, c, k) == pytest.approx(expected)


def test_pass_at_k_is_not_any_of_the_first_k() -> None:
    """The correct sample comes last: "any of the first 2" says 0, the estimator 0.5."""
    assert mean_pass_at_k([[False, False, False, True]], 2) == pytest.approx(0.5)


def test_pass_at_k_stays_stable_for_large_n() -> None:
    value = pass_at_k(1024, 3, 512)
    assert value == pytest.approx(1 - math.comb(1021, 512) / math.comb(1024, 512), rel=1e-12)
    assert 0.0 <= pass_at_k(10_000, 1, 1) <= 1.0


@pytest.mark.parametrize(("n", "c", "k"), [(4, 5, 1), (4, 1, 0), (4, 1, 5), (4, -1, 1)])
def test_pass_at_k_rejects_impossible_counts(n: int, c: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_at_k(n, c, k)


def test_maj_at_k_by_hand() -> None:
    answers = ["5", "5", "7", None]
    correct = [True, True, False, False]
    # k=1: draw one sample; correct for either "5" (2/4), the empty one never wins
    assert maj_at_k(answers, correct, 1, same) == pytest.approx(0.5)
    # k=2: pairs {5,5}:1, {5,7}x2: tie 1/2 each, {5,None}x2: 1, {7,None}: 0 -> (1 + 1 + 2) / 6
    assert maj_at_k(answers, correct, 2, same) == pytest.approx(4 / 6)
    # k=4: the full vote, 2 against 1
    assert maj_at_k(answers, correct, 4, same) == 1.0


def test_empty_answers_never_win_even_in_a_majority() -> None:
    answers = [None, "", "  ", "3"]
    assert maj_at_k(answers, [False, False, False, True], 4, same) == 1.0
    assert maj_at_k([None, None], [False, False], 2, same) == 0.0
    assert majority_index([None, "", "4"], same) == 2 and majority_index([None, ""], same) is None


def test_answers_that_grade_equal_vote_together() -> None:
    numeric = lambda a, b: float(a) == float(b)  # noqa: E731 - a grader stand-in
    answers = ["0.5", "1/2", "3", "3"]
    assert group_answers(["0.5", "0.50", "3", None], numeric) == [0, 0, 1, None]
    as_fraction = lambda a, b: Fraction(a) == Fraction(b)  # noqa: E731
    assert maj_at_k(answers, [True, True, False, False], 4, as_fraction) == 0.5  # 2 against 2: a tie
    assert maj_at_k(["0.5", "1/2", "3"], [True, True, False], 3, as_fraction) == 1.0


def test_majority_index_breaks_ties_by_first_seen_class() -> None:
    assert majority_index(["7", "5", "5", "7"], same) == 0
    assert majority_index(["7", "5", "5"], same) == 1


def test_standard_error_across_runs_by_hand() -> None:
    # two problems, four runs: run accuracies 1, 0.5, 0.5, 0 -> mean 0.5, sample sd sqrt(1/6)
    correct = [[True, True, False, False], [True, False, True, False]]
    assert run_accuracies(correct) == [1.0, 0.5, 0.5, 0.0]
    assert std_error_across_samples(correct) == pytest.approx(math.sqrt(1 / 6) / 2)
    assert std_error_across_samples([[True], [False]]) == 0.0


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError):
        avg_at_n([])
    with pytest.raises(ValueError):
        run_accuracies([[True], [True, False]])
    with pytest.raises(ValueError):
        maj_at_k(["1"], [True, False], 1, same)
    with pytest.raises(ValueError):
        mean_maj_at_k([["1"]], [[True], [False]], 1, same)


# --- against the brute-force definitions -------------------------------------------------------

@pytest.mark.parametrize("seed", range(30))
def test_pass_at_k_equals_enumerating_all_subsets(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 10)
    correct = [rng.random() < rng.random() for _ in range(n)]
    for k in range(1, n + 1):
        assert pass_at_k(n, sum(correct), k) == pytest.approx(brute_pass_at_k(correct, k), abs=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_maj_at_k_equals_enumerating_all_subsets(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 9)
    pool = ["1", "2", "3", " 2", None, ""][: rng.randint(2, 6)]
    answers = [rng.choice(pool) for _ in range(n)]
    gold = rng.choice(["1", "2", "9"])
    correct = [a is not None and a.strip() == gold for a in answers]
    for k in range(1, n + 1):
        assert maj_at_k(answers, correct, k, same) == pytest.approx(brute_maj_at_k(answers, correct, k), abs=1e-12)


def test_means_over_problems_average_the_per_problem_values() -> None:
    answers = [["1", "1", "2"], ["4", None, "5"]]
    correct = [[True, True, False], [False, False, True]]
    assert mean_pass_at_k(correct, 2) == pytest.approx((1.0 + pass_at_k(3, 1, 2)) / 2)
    expected = (maj_at_k(answers[0], correct[0], 2, same) + maj_at_k(answers[1], correct[1], 2, same)) / 2
    assert mean_maj_at_k(answers, correct, 2, [same, same]) == pytest.approx(expected)


def test_sampled_metrics_gathers_every_metric_of_a_set() -> None:
    answers = [["1", "1", "2", None], ["4", "5", "5", "4"]]
    correct = [[True, True, False, False], [True, False, False, True]]
    m = sampled_metrics(correct, answers, [4, 1, 2, 2], same)
    assert (m.problems, m.n) == (2, 4)
    assert m.avg == pytest.approx(0.5) and m.std_error == pytest.approx(std_error_across_samples(correct))
    assert list(m.pass_at) == [1, 2, 4] and m.pass_at[1] == pytest.approx(0.5) and m.pass_at[4] == 1.0
    assert m.maj_at[4] == pytest.approx((1.0 + 0.5) / 2)  # 2 of 3 votes; a 2-2 tie split evenly
    with pytest.raises(ValueError, match="between 1 and n=4"):
        sampled_metrics(correct, answers, [8], same)
