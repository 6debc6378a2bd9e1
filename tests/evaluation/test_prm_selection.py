"""Process reward model rules (prm_<min|last|product>_<best|majority>) against brute force: each sample's step
scores folded by the named aggregate, then the best sample or the score-weighted vote; ties, all-empty, equal
answers written differently, equal scores; and the records' step scores reach the rules."""

from __future__ import annotations

import math
import random

import pytest
from test_selection import CANON, same

from mammoth_math.evaluation.records import Attempt, ProblemRecord
from mammoth_math.evaluation.selection import RULES, Candidate, parse_rules, pick, score_rule

FOLD = {"min": min, "last": lambda s: s[-1], "product": math.prod}
PRM_RULES = [f"prm_{agg}_{kind}" for agg in FOLD for kind in ("best", "majority")]


def brute(rule: str, candidates: list[Candidate]) -> int | None:
    """Written from the definition: fold each answered sample's steps, then the highest (earliest of equals),
    or the class of equal answers with the largest sum (the class seen first of equals), its first member."""
    _, agg, kind = rule.split("_")
    answered = [i for i, c in enumerate(candidates) if c.answer and c.answer.strip()]
    if not answered:
        return None
    score = {i: FOLD[agg](candidates[i].steps) for i in answered}
    if kind == "best":
        return min(answered, key=lambda i: (-score[i], i))
    first: dict[str, int] = {}
    for i in answered:
        first.setdefault(CANON[candidates[i].answer], i)
    weight = {form: sum(score[i] for i in answered if CANON[candidates[i].answer] == form) for form in first}
    return first[max(first, key=lambda form: (weight[form], -first[form]))]


CASES = [
    # all empty: no pick, whatever the steps say
    [Candidate(None, steps=(0.9,)), Candidate("", steps=(0.8, 0.9))],
    # min and last disagree: sample 0's weak middle step sinks it under min, not under last
    [Candidate("2", steps=(0.9, 0.1, 0.95)), Candidate("3", steps=(0.6, 0.6, 0.7))],
    # product punishes length: three good steps lose to one fair step
    [Candidate("3", steps=(0.9, 0.9, 0.9)), Candidate("2", steps=(0.75,))],
    # equal scores: the earliest; a class written two ways sums to win the weighted vote
    [Candidate("3", steps=(0.5,)), Candidate("0.5", steps=(0.5,)), Candidate("1/2", steps=(0.5,))],
    # an unanswered sample's (high) steps never count
    [Candidate(None, steps=(1.0,)), Candidate("2", steps=(0.2, 0.3)), Candidate("2.0", steps=(0.1, 0.4))],
]


@pytest.mark.parametrize("rule", PRM_RULES)
@pytest.mark.parametrize("case", CASES)
def test_constructed_cases_match_brute_force(rule: str, case: list[Candidate]) -> None:
    assert pick(rule, case, same) == brute(rule, case)


def test_constructed_cases_by_hand() -> None:
    assert [pick("prm_min_best", c, same) for c in CASES] == [None, 1, 0, 0, 1]
    assert [pick("prm_last_best", c, same) for c in CASES] == [None, 0, 0, 0, 2]
    assert [pick("prm_product_best", c, same) for c in CASES] == [None, 1, 1, 0, 1]
    assert [pick("prm_min_majority", c, same) for c in CASES] == [None, 1, 0, 1, 1]


@pytest.mark.parametrize("rule", PRM_RULES)
def test_random_cases_match_brute_force(rule: str) -> None:
    rng = random.Random(11)
    pool = [None, "", *CANON]
    for _ in range(300):
        case = [Candidate(rng.choice(pool), steps=tuple(rng.choice([0.0, 0.25, 0.5, 1.0])
                                                        for _ in range(rng.randint(1, 4))))
                for _ in range(rng.randint(1, 6))]
        assert pick(rule, case, same) == brute(rule, case), case


def test_prm_rules_need_step_scores_and_are_registered() -> None:
    assert set(PRM_RULES) <= set(RULES) and all(RULES[r].needs_steps for r in PRM_RULES)
    assert parse_rules("majority,prm_min_best") == ["majority", "prm_min_best"]
    with pytest.raises(ValueError, match="step scores"):
        pick("prm_min_best", [Candidate("2", steps=(0.5,)), Candidate("3")], same)


def _record(steps: list[list[float] | None], correct: list[bool]) -> tuple[ProblemRecord, list[Attempt]]:
    attempts = [Attempt("cot", f"text {i}", str(i + 2) if i < 2 else "2", "answer", correct=ok, sample=i,
                        step_rewards=s) for i, (s, ok) in enumerate(zip(steps, correct))]
    return ProblemRecord("p", "toy", 0, "?", "2", "number", None, {}, "cot", "?", attempts), attempts


def test_score_rule_reads_step_rewards_from_the_records() -> None:
    records = [_record([[0.2, 0.95], [0.5, 0.6], [0.1]], [True, False, True]),
               _record([[0.3], [0.8, 0.7], [0.2, 0.2]], [False, True, False])]
    verdict = lambda _, a: bool(a.correct)  # noqa: E731
    equal = lambda _: (lambda a, b: a == b)  # noqa: E731
    scores = {rule: score_rule(rule, 3, records, verdict, equal) for rule in ("prm_min_best", "prm_last_best")}
    assert [(s.correct, s.problems) for s in scores.values()] == [(1, 2), (2, 2)]  # min: sample 1 twice; last: 0, 1
    records[1][1][2].step_rewards = None  # one sample unscored: no prm column for the set
    assert score_rule("prm_min_best", 3, records, verdict, equal) is None
    assert score_rule("prm_min_best", 2, records, verdict, equal) is not None  # the first two are scored
