"""The Clever Hans rule on hand-written programs: planning by tokens, then verdicts from real sandbox runs."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mammoth_math.probe import check_programs, plan_variants
from mammoth_math.probe.clever_hans import (
    MAX_VALUES,
    program_literals,
    question_numbers,
)

DUCKS = ("Janet's ducks lay 16 eggs per day. She eats 3 for breakfast and bakes muffins with 4. "
         "She sells the rest for $2 each. How many dollars does she make every day?")  # gold 18


def test_question_numbers_read_the_stem_only():
    assert question_numbers(DUCKS) == [16, 3, 4, 2]
    assert question_numbers("It costs $1,250.50 and 25% off. Answer Choices: (A) 7 (B) 9") == [
        Fraction("1250.5"), 25, Fraction(1, 4)]
    assert question_numbers("What is the capital of France?") == []


def test_program_literals_skip_strings_and_comments():
    program = "x = 16  # 3 eggs\ns = '4'\nprint(x * 2.0, 0x10, 1_000, 3j)"
    assert [(lit.text, lit.value) for lit in program_literals(program)] == [
        ("16", 16), ("2.0", 2), ("0x10", 16), ("1_000", 1000)]
    assert program_literals("print((") == []  # does not tokenize: nothing to match


def test_variants_replace_every_literal_of_one_value_by_position():
    partial, variants = plan_variants(DUCKS, "eggs = 16 - 3 - 4\nprint(eggs * 2)  # 2 dollars\nlabel = '16'")
    assert partial.status == "ok" and partial.used == ["16", "3", "4", "2"]
    assert ("16", "17", "eggs = 17 - 3 - 4\nprint(eggs * 2)  # 2 dollars\nlabel = '16'") in variants
    assert ("2", "7", "eggs = 16 - 3 - 4\nprint(eggs * 7)  # 2 dollars\nlabel = '16'") in variants
    assert len(variants) == 2 * MAX_VALUES
    _, floats = plan_variants("A pen costs 2.5 dollars. Buy 4.", "print(2.5 * 4)")
    assert [(v, r) for v, r, _ in floats] == [("2.5", "3.75"), ("2.5", "3.5"), ("4", "5"), ("4", "11")]


def test_decided_without_running():
    no_numbers, variants = plan_variants(DUCKS, "print(18)")
    assert (no_numbers.status, no_numbers.flagged, variants) == ("no-question-numbers", True, [])
    derived, _ = plan_variants(DUCKS, "print(9 * 2.0)")  # 2.0 is the question's 2: used, so it is run
    assert derived.status == "ok" and derived.used == ["2.0"]
    nothing, _ = plan_variants("Is a square a rectangle?", "print(True)")
    assert (nothing.status, nothing.flagged) == ("n/a", False)


CASES = [
    # (program, status): all print 18, the right answer to DUCKS
    ("eggs = 16 - 3 - 4\nprint(eggs * 2)", "ok"),
    ("print((16 - 3 - 4) * 2)", "ok"),
    ("print(18)", "no-question-numbers"),
    ("print(9 * 2 if True else 0)", "ok"),  # uses the question's 2: the output moves with it
    ("eggs, eaten, baked, price = 16, 3, 4, 2\nprint(18)", "insensitive"),  # writes the numbers, ignores them
    ("x = 16\nprint(18 if x > 10 else 0)", "insensitive"),  # 16 only in a condition that 17 and 35 also pass
    ("price = 2\nprint(max(16, 3) + price)", "ok"),  # 3 alone would not move it; 16 and 2 do
    ("left = 16 - 3 - 4\nprint(left * 2 if left < 10 else 1 / 0)", "ok"),  # a variant that crashes moved it
]


@pytest.mark.parametrize("program,status", CASES)
def test_clever_hans_verdicts_from_sandbox_runs(program, status, sandbox):
    (original,) = sandbox.run_many([program], progress=False)
    assert original.stdout.strip() == "18" and not original.error
    (verdict,) = check_programs([(DUCKS, program, original.stdout)], sandbox)
    assert verdict.status == status, verdict
    assert verdict.flagged == (status in ("no-question-numbers", "insensitive"))
    if status == "insensitive":
        assert verdict.variants and all(v.stdout == "18" and not v.moved for v in verdict.variants)
    if status == "ok":
        assert any(v.moved for v in verdict.variants)


def test_one_sandbox_batch_for_many_programs(sandbox):
    class Counting:
        def __init__(self) -> None:
            self.batches: list[int] = []

        def run_many(self, codes, progress=False):
            self.batches.append(len(codes))
            return sandbox.run_many(codes, progress=progress)

    counting = Counting()
    items = [(DUCKS, program, "18\n") for program, _ in CASES]
    verdicts = check_programs(items, counting)
    assert [v.status for v in verdicts] == [status for _, status in CASES]
    assert len(counting.batches) == 1 and counting.batches[0] == sum(len(plan_variants(DUCKS, p)[1]) for p, _ in CASES)
