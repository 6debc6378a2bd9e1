"""Extraction table: model text -> (answer, rule) for every rule, plus program output."""

from __future__ import annotations

import pytest

from mammoth_math.grading import AnswerKind, extract_answer

N, E, C, B, L, T = (AnswerKind.NUMBER, AnswerKind.EXPRESSION, AnswerKind.CHOICE, AnswerKind.BOOL,
                    AnswerKind.LIST, AnswerKind.TEXT)
OPTIONS = ("12", "$15", "18 km", "20")

CASES = [
    # (text, kind, options, answer, rule prefix, reason)
    ("She pays 3 * 6 = 18 dollars.\nThe answer is 18.", N, None, "18", "the answer is", "MAmmoTH's trigger"),
    ("The answer is $1,000.", N, None, "1000", "the answer is", "separator and dollar inside the trigger"),
    ("Natalia sold 48/2 = 24 clips.\n#### 72", N, None, "72", "####", "GSM8K marker"),
    ("So the total is $\\boxed{18}$ dollars.", N, None, "18", "boxed", "boxed number"),
    ("We get \\boxed{\\frac{1}{2}} in the end.", E, None, "0.5", "boxed", "boxed fraction, canonical number"),
    ("Thus \\boxed{\\frac{\\sqrt{3}}{2}}.", E, None, "\\frac{\\sqrt{3}}{2}", "boxed", "nested braces"),
    ("First \\boxed{3}, then corrected: \\boxed{4}.", N, None, "4", "boxed", "last boxed wins"),
    ("\\boxed{5}. We check that the answer is correct.", E, None, "5", "boxed", "boxed beats a later 'answer is'"),
    ("The answer is 5. Wait, recheck: the answer is 6.", N, None, "6", "the answer is", "last trigger wins"),
    ("Final answer: 42", N, None, "42", "the answer is", "'Final answer:' spelling"),
    ("The answer is: x = 7", N, None, "7", "the answer is", "value after the equals sign"),
    ("The answer is 18.5 km.", N, None, "18.5", "the answer is", "unit after a decimal"),
    ("He has 5 apples, buys 7 more, so 12 in total", N, None, "12", "last number", "fallback: last number"),
    ("No numbers at all here", N, None, None, "none", "nothing to extract"),
    ("", N, None, None, "empty", "empty text"),
    ("The answer is (B).", C, OPTIONS, "B", "the answer is", "parenthesised letter"),
    ("The answer is B) $15", C, OPTIONS, "B", "the answer is", "letter with paren and text"),
    ("The answer is 18 km", C, OPTIONS, "C", "the answer is, option text", "option text mapped to its letter"),
    ("The answer is 15.0", C, OPTIONS, "B", "the answer is, option value", "a value equal to one option's value"),
    ("The answer is 16", C, OPTIONS, None, "none", "a value no option has: nothing, not a guess"),
    ("I think (C) is right", C, OPTIONS, "C", "last option letter", "fallback: last parenthesised letter"),
    ("The answer is yes.", B, None, "True", "the answer is", "yes -> True"),
    ("So the statement is false", B, None, "False", "last yes/no", "fallback: last boolean word"),
    ("The answer is [3, 5].", L, None, "[3, 5]", "the answer is", "list in brackets"),
    ("The answer is x = 3, y = 4", L, None, "[3, 4]", "the answer is", "named values"),
    ("The answer is August.", T, None, "August", "the answer is", "word answer"),
    ("\\frac{1}{2}", E, None, "0.5", "whole text", "a bare answer is its own extraction"),
    ("x^2+1", E, None, "x^2+1", "whole text", "a bare expression"),
]


@pytest.mark.parametrize(("text", "kind", "options", "answer", "rule", "reason"), CASES, ids=[c[-1] for c in CASES])
def test_extraction_table(text, kind, options, answer, rule, reason) -> None:
    ex = extract_answer(text, kind, options)
    assert ex.answer == answer, reason
    assert ex.rule.startswith(rule), (ex.rule, reason)


@pytest.mark.parametrize(("stdout", "kind", "answer"), [
    ("18.000000000000004\n", N, "18.000000000000004"),
    ("intermediate 5\n42\n", N, "42"),
    ("[1, 2]\n", L, "[1, 2]"),
    ("True\n", B, "True"),
    ("", N, None),
])
def test_program_output(stdout: str, kind: AnswerKind, answer: str | None) -> None:
    ex = extract_answer(stdout, kind, from_program=True)
    assert ex.answer == answer
    assert ex.rule.startswith("program output") or answer is None


def test_long_text_extracts_quickly_and_linearly() -> None:
    text = "step " * 20_000 + "\\boxed{" * 5_000 + "}" * 5_000 + " The answer is 7."
    assert extract_answer(text, N).answer == "7"
