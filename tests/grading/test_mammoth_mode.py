"""The ``mammoth`` mode reproduces MAmmoTH's math_eval rules, faults included, beside ``strict``."""

from __future__ import annotations

import pytest

from mammoth_math.grading import AnswerKind, extract_answer, is_equivalent
from mammoth_math.grading.mammoth import delete_extra_zero, strip_string

N, E, C, B, L = AnswerKind.NUMBER, AnswerKind.EXPRESSION, AnswerKind.CHOICE, AnswerKind.BOOL, AnswerKind.LIST


@pytest.mark.parametrize(("text", "kind", "answer"), [
    ("3 * 6 = 18. The answer is 18.", N, "18"),
    ("The answer is 1,000 apples and 3 pears", N, "1000"),  # trigger fired: first number
    ("5 apples and 7 pears", N, "7"),  # no trigger: last number
    ("The answer is 18.0", N, "18"),  # delete_extra_zero
    ("The answer is (B)", C, "B"),
    ("The answer is yes", B, "True"),
    ("The answer is x = 7.\n\nQuestion: ... The answer is 9", N, "7"),  # two triggers: in-context continuation cut
    ("So \\boxed{\\dfrac{1}{2}}", E, "\\frac{1}{2}"),
    ("The answer is \\frac12.", E, "\\frac{1}{2}"),
])
def test_answer_clean(text: str, kind: AnswerKind, answer: str) -> None:
    assert extract_answer(text, kind, mode="mammoth").answer == answer


def test_program_output_is_read_as_a_trigger() -> None:
    assert extract_answer("18.000000000000004\n", N, from_program=True, mode="mammoth").answer == "18.000000000000004"


@pytest.mark.parametrize(("pred", "gold", "kind", "rel_tol", "mammoth", "strict", "why"), [
    ("18.000000000000004", "18", N, None, False, True, "MAmmoTH compares strings outside MATH"),
    ("1363", "1363.0", N, None, False, True, "DeepMind's raw gold cannot be matched by MAmmoTH"),
    ("18", "18", N, None, True, True, "same string"),
    ("B", "B", C, None, True, True, "same letter"),
    ("0.5", "\\frac{1}{2}", E, None, False, True, "MATH: strip_string then exact match"),
    ("\\dfrac{1}{2}", "\\frac{1}{2}", E, None, True, True, "strip_string unifies dfrac"),
    ("1.45", "1.42", N, 0.04, True, True, "TheoremQA path: within 4%"),
    ("11760.4", "11760", N, 0.04, True, False, "TheoremQA path: integer gold by round(p) == gt"),
    ("(0.34, 0.25)", "[0.333, 0.25]", L, 0.04, True, True, "TheoremQA list, sorted and within 4%"),
    ("(b)", "(b)", C, None, True, True, "TheoremQA option gold"),
])
def test_modes_side_by_side(pred, gold, kind, rel_tol, mammoth, strict, why) -> None:
    assert is_equivalent(pred, gold, kind, mode="mammoth", rel_tol=rel_tol) is mammoth, why
    assert is_equivalent(pred, gold, kind, mode="strict", rel_tol=rel_tol) is strict, why


def test_helpers_match_the_original_behaviour() -> None:
    assert delete_extra_zero("18.0") == "18"
    assert delete_extra_zero("2.50") == "2.5"
    assert delete_extra_zero("abc") == "abc"
    assert strip_string("\\left( 3, \\dfrac{1}{2} \\right)") == "(3,\\frac{1}{2})"
    assert strip_string("x = 5") == "5"
    assert strip_string("5\\%") == "5"
    assert strip_string("1/2") == "\\frac{1}{2}"
