"""Selection rules against brute-force definitions: ties, all-empty, equal answers written differently, equal
scores; and the stated genselect fallback."""

from __future__ import annotations

import random

import pytest

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.selection import Candidate, parse_rules, pick

# answers that are one value written differently share a canonical form
CANON = {"1/2": "half", "0.5": "half", "\\frac{1}{2}": "half", "2": "two", "2.0": "two", "3": "three"}


def same(a: str, b: str) -> bool:
    return CANON[a] == CANON[b]


def brute(rule: str, candidates: list[Candidate]) -> int | None:
    """Each rule written from its definition: classes by canonical form, ties by first appearance."""
    answered = [i for i, c in enumerate(candidates) if c.answer and c.answer.strip()]
    if not answered:
        return None
    if rule == "rm_best":
        return sorted(answered, key=lambda i: (-candidates[i].reward, i))[0]
    first = {}
    for i in answered:
        first.setdefault(CANON[candidates[i].answer], i)
    weight = {form: sum((1 if rule == "majority" else candidates[i].reward)
                        for i in answered if CANON[candidates[i].answer] == form) for form in first}
    return first[max(first, key=lambda form: (weight[form], -first[form]))]


CASES = [
    # all empty: no pick
    [Candidate(None, 1.0), Candidate("", 2.0), Candidate("  ", 3.0)],
    # a 2-2 tie between classes, each written two ways: the class seen first wins the vote
    [Candidate("0.5", 1.0), Candidate("2", 1.0), Candidate("\\frac{1}{2}", 1.0), Candidate("2.0", 1.0)],
    # equal scores: the earliest answered sample
    [Candidate(None, 5.0), Candidate("3", 2.0), Candidate("2", 2.0), Candidate("1/2", 2.0)],
    # the reward sum overrules the count: one confident "3" against two doubtful halves
    [Candidate("1/2", 0.2), Candidate("0.5", 0.3), Candidate("3", 0.9)],
    # negative rewards summed as they are: two halves at -1 lose to one "2" at -1.5
    [Candidate("1/2", -1.0), Candidate("0.5", -1.0), Candidate("2", -1.5)],
]


@pytest.mark.parametrize("rule", ["majority", "rm_best", "rm_majority"])
@pytest.mark.parametrize("case", CASES)
def test_constructed_cases_match_brute_force(rule: str, case: list[Candidate]) -> None:
    assert pick(rule, case, same) == brute(rule, case)


def test_constructed_cases_by_hand() -> None:
    assert [pick("majority", c, same) for c in CASES] == [None, 0, 1, 0, 0]
    assert [pick("rm_best", c, same) for c in CASES] == [None, 0, 1, 2, 0]
    assert [pick("rm_majority", c, same) for c in CASES] == [None, 0, 1, 2, 2]


@pytest.mark.parametrize("rule", ["majority", "rm_best", "rm_majority"])
def test_random_cases_match_brute_force(rule: str) -> None:
    rng = random.Random(7)
    pool = [None, "", " ", *CANON]
    for _ in range(400):
        case = [Candidate(rng.choice(pool), rng.choice([-1.0, 0.0, 0.5, 1.0])) for _ in range(rng.randint(1, 7))]
        assert pick(rule, case, same) == brute(rule, case), case


def test_the_grader_groups_equal_answers_written_differently() -> None:
    problem = Problem("toy", "p", "?", "0.5", "expression")
    grader = Grader()

    def equal(a: str, b: str) -> bool:
        return grader.equal(a, b, problem)

    case = [Candidate("3", 0.9), Candidate("\\frac{1}{2}", 0.2), Candidate("0.5", 0.3)]
    assert pick("majority", case, equal) == 1
    assert pick("rm_majority", case, equal) == 0  # 0.9 > 0.2 + 0.3
    assert pick("rm_best", case, equal) == 0


def test_genselect_takes_a_valid_pick_and_falls_back_to_the_majority() -> None:
    case = [Candidate("2", 0.0), Candidate("3", 0.0), Candidate("2.0", 0.0), Candidate(None, 0.0)]
    assert pick("genselect", case, same, 1) == 1
    assert [pick("genselect", case, same, bad) for bad in (None, 3, 4, -1)] == [0, 0, 0, 0]


def test_rm_rules_need_rewards_and_unknown_rules_are_refused() -> None:
    with pytest.raises(ValueError, match="reward"):
        pick("rm_best", [Candidate("2"), Candidate("3", 1.0)], same)
    with pytest.raises(ValueError, match="--select"):
        parse_rules("majority,best_of")
    assert parse_rules("rm_best, genselect") == ["rm_best", "genselect"]
