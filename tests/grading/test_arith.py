"""Small arithmetic decided in process: exact values, probed differences, and what is left to the worker."""

from __future__ import annotations

from fractions import Fraction

import pytest

from mammoth_math.grading import AnswerKind, GradeConfig, rule_verdict
from mammoth_math.grading.arith import differ, exact_value, float_value, parse

E, N = AnswerKind.EXPRESSION, AnswerKind.NUMBER


@pytest.mark.parametrize(("text", "value"), [
    ("187.5+1", Fraction(377, 2)),
    ("0 + -13.5", Fraction(-27, 2)),
    ("1\\cdot (\\$40)", Fraction(40)),
    ("2^{10}", Fraction(1024)),
    ("2^{-3}", Fraction(1, 8)),
    ("1\\frac{1}{10}", Fraction(11, 10)),  # a mixed number, as MATH and math-verify read it
    ("-2^2", Fraction(-4)),  # the power binds before the sign
    ("2^3^2", Fraction(64)),  # powers chain left to right, as math-verify reads them
    ("\\left(\\frac{3}{4}\\right)^2", Fraction(9, 16)),
    ("6 \\div 4", Fraction(3, 2)),
    ("1/2\\cdot 4", Fraction(2)),
    ("\\frac12", Fraction(1, 2)),  # brace-less arguments, one token each
    ("\\frac9{5}", Fraction(9, 5)),
    ("90^\\circ", Fraction(90)),  # degrees and percent signs dropped, as normalize_latex drops them
    ("10\\%", Fraction(10)),
])
def test_exact_values(text: str, value: Fraction) -> None:
    assert exact_value(text) == value


@pytest.mark.parametrize("text", [
    "3\\sqrt{10}", "\\pi", "x+1",  # not rational: a float value or a probe, never an exact one
    "e^2", "2i", "x = 5", "(1, 2)", "\\{1,2\\}", "\\text{Ali}", "5!", "|x|", "\\sin x",
    "2 3", "10^{10^{10}}", "1/0", "0^{-1}", "(" * 300 + "1" + ")" * 300,
])
def test_left_to_the_worker(text: str) -> None:
    assert exact_value(text) is None


def test_precedence_follows_math_verify() -> None:
    assert parse("1/2x") == ("/", ("num", 1), ("*", ("num", 2), ("var", "x")))  # 1/(2x)
    assert parse("\\frac{1}{2}x") == ("*", ("frac", ("num", 1), ("num", 2)), ("var", "x"))


@pytest.mark.parametrize(("a", "b", "different"), [
    ("x^2+2x", "(x+1)^2", True),
    ("x^2+2x+1", "(x+1)^2", False),
    ("\\frac{x+2}{7}+1", "\\frac{x+2}{7}", True),
    ("28", "\\sqrt{34} + 3\\sqrt{10}", True),
    ("A", "C", True),
    ("ab", "ba", False),  # equal at every point: the worker decides
    ("1.414214", "\\sqrt{2}", False),  # closer than a probe can tell: the worker's noise rule decides
    ("\\sqrt{x^2}", "x", False),  # probes are positive: no branch cut is crossed
    ("y = 2x+1", "2x+1", False),  # a relation is never probed
])
def test_differ(a: str, b: str, different: bool) -> None:
    assert differ(a, b) is different


def test_float_values_only_for_closed_forms() -> None:
    assert float_value("\\frac{\\sqrt{3}}{2}") == pytest.approx(0.8660254037844386, rel=1e-15)
    assert float_value("\\sqrt[3]{27}") == pytest.approx(3, rel=1e-15)
    assert float_value("x+1") is None and float_value("\\sqrt{-1}") is None and float_value("10^{10^{10}}") is None


@pytest.mark.parametrize(("pred", "gold", "kind", "correct", "method"), [
    ("187.5+1", "188.5", E, True, "arithmetic"),
    ("0 + -13.5", "-13.5", E, True, "arithmetic"),
    ("2^{10}+1", "1024", E, False, "arithmetic"),
    ("\\frac{1}{2^{1100}}", "0", E, False, "arithmetic"),  # exact: no noise forgiven to a tiny value
    ("x^2+2x", "(x+1)^2", E, False, "arithmetic (probed)"),
    ("\\frac{\\sqrt{3}}{2}", "0.866", N, True, "numeric (evaluated)"),
    ("x^2+2x+1", "(x+1)^2", E, True, "arithmetic (identical)"),  # the same polynomial at random rational points
    ("-11 + 27i", "1\\cdot (-11 + 27i)", E, True, "arithmetic (identical)"),
    ("\\sqrt{12}", "2\\sqrt{3}", E, True, "symbolic"),  # roots are unknowns here: only sympy knows they are equal
    ("x = 40", "x = 4", E, False, "arithmetic"),  # the same left side: the right sides decide
    ("(25,-11)", "(15,-11)", E, False, "arithmetic (items)"),
    ("\\left(1,\\frac{9}{2}\\right]", "(1, 4.5]", E, True, "arithmetic (items)"),
    ("(1, 3), (3, 1)", "(3, 1), (1, 3)", E, True, "symbolic"),  # pairs are not numbers: the worker's set rule
    ("6, -2", "-2, 6", E, True, "arithmetic (set)"),
    ("6, -20", "-2, 6", E, False, "arithmetic (set)"),
    ("25,\\!0000", "25,\\!000", E, False, "symbolic"),  # a number with a separator is no list of 25 and 0
    ("18", "18", N, True, "numeric"),  # two small integers: compared as written
    ("19", "18", N, False, "numeric"),
    ("-0", "0", N, True, "numeric"),  # not canonical: read as a number
    ("100000001", "100000000", N, True, "numeric"),  # from 10^8 on, float noise may reach a unit
    ("100000002", "100000000", N, False, "numeric"),
    # times of day and ratios (colon forms): sympy cannot read a.m./p.m.
    ("4:30 \\text{ p.m.}", "4:30p..", E, False, "colon form"),  # a garbled gold is no time of day
    ("4:30", "4:30 p.m.", E, True, "colon form"),  # no half written: either half
    ("4:30 PM", "4\\!:\\!30 \\text{ p.m.}", E, True, "colon form"),
    ("16:30", "4:30 p.m.", E, True, "colon form"),  # a 24-hour time
    ("4:30 a.m.", "4:30 p.m.", E, False, "colon form"),
    ("16:30", "4:30 a.m.", E, False, "colon form"),
    ("13:30 p.m.", "1:30 p.m.", E, False, "colon form"),  # no such time
    ("10 a.m.", "10:00 a.m.", E, True, "colon form"),
    ("10:30 a.m.", "10 a.m.", E, False, "colon form"),
    ("4:30 p.m.", "270", N, False, "colon form"),
    ("3:4", "6:8", E, True, "colon form"),  # two ratios, as the worker decides them
    ("3:4", "4:3", E, False, "colon form"),
    ("1:2", "0.5", E, True, "symbolic"),  # a ratio against a number stays with the worker
])
def test_judge_takes_the_cheap_path_first(pred: str, gold: str, kind: AnswerKind, correct: bool, method: str) -> None:
    verdict = rule_verdict(pred, gold, GradeConfig(kind, timeout=10))
    assert (verdict.correct, verdict.method) == (correct, method)
