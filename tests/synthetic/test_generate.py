"""The generator: deterministic, every family present, CoT and PoT both reach the gold in the real sandbox
and grader, multiple-choice options hold the answer exactly once."""

from __future__ import annotations

import pytest

from mammoth_math.grading import extract_answer, is_equivalent
from mammoth_math.sandbox import Sandbox
from mammoth_math.synthetic import FAMILY_NAMES, generate


@pytest.fixture(scope="module")
def problems():
    return generate(48, seed=7)


def test_same_seed_same_problems_other_seed_others(problems) -> None:
    assert generate(48, seed=7) == problems
    assert [p.question for p in generate(48, seed=8)] != [p.question for p in problems]


def test_every_family_present_with_its_kind(problems) -> None:
    assert {p.family for p in problems} == set(FAMILY_NAMES) == {"arithmetic", "rates", "linear", "choice"}
    assert {p.kind for p in problems if p.family == "linear"} == {"number", "list"}
    assert {p.kind for p in problems if p.family == "choice"} == {"choice"}
    assert len({p.question for p in problems}) == len(problems)


def test_exclude_keeps_test_questions_out(problems) -> None:
    taken = frozenset(p.question for p in problems[:10])
    assert not taken & {p.question for p in generate(48, seed=7, exclude=taken)}


def test_cot_and_pot_both_reach_the_gold(problems) -> None:
    with Sandbox(timeout=5.0, workers=2) as sandbox:
        runs = sandbox.run_many([p.pot for p in problems])
    for p, run in zip(problems, runs):
        options = p.options
        assert run.error is None and not run.timed_out, (p.id, run.error)
        printed = extract_answer(run.stdout, p.kind, options, from_program=True)
        assert is_equivalent(printed, p.gold, p.kind, options=options), (p.id, run.stdout, p.gold)
        said = extract_answer(p.cot, p.kind, options)
        assert is_equivalent(said, p.gold, p.kind, options=options), (p.id, p.cot, p.gold)


def test_numbers_are_hard_to_multiply_in_the_head(problems) -> None:
    """Every multiplication in the prose is beyond the times table: a 3-digit factor, or two 2-digit ones."""
    products = [line.split(" is ")[-1] for p in problems for line in p.cot.splitlines() if " * " in line]
    assert len(products) >= len(problems)
    for text in products:
        left, right = (len(f) for f in text.split(" = ")[0].split(" * "))
        assert max(left, right) >= 3 or min(left, right) >= 2, text


def test_programs_only_copy_numbers_from_the_question(problems) -> None:
    for p in problems:
        for line in p.pot.splitlines():
            value = line.partition(" = ")[2]
            if value.isdigit():
                assert value in p.question, (p.id, line)


def test_choice_options_hold_the_answer_exactly_once(problems) -> None:
    choices = [p for p in problems if p.family == "choice"]
    assert choices
    for p in choices:
        assert p.options is not None and len(p.options) == 5 == len(set(p.options))
        answer = p.options["ABCDE".index(p.gold)]
        assert p.cot.splitlines()[-2].endswith(f"= {answer}.")
        assert sum(o == answer for o in p.options) == 1
        assert all(int(o) > 0 for o in p.options)
        assert f"Answer Choices: (A) {p.options[0]}" in p.question
    assert {p.gold for p in choices} != {"A"}
