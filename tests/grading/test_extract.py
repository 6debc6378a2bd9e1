"""Extraction table: model text -> (answer, rule) for every rule, plus program output."""

from __future__ import annotations

import pytest

from mammoth_math.grading import AnswerKind, extract_answer
from mammoth_math.grading.latex import _BOXED_RE, _matching_braces, boxed_spans

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
    # --- issue 17: the classes where extraction lost answers its peers found -------------------------
    ("The primes are $\\boxed{2}, \\boxed{3}$.", E, None, "2, 3", "boxed", "several boxes are one answer"),
    ("$\\boxed{(1, 4)} \\quad\\text{and}\\quad \\boxed{(4, 1)}$", E, None, "(1, 4), (4, 1)", "boxed",
     "boxes joined by \\text{and}"),
    ("$y_1 = \\boxed{x+1}$ and $y_2 = \\boxed{2x}$", E, None, "x+1, 2x", "boxed", "boxes after their names"),
    ("First \\boxed{3}, then corrected: \\boxed{4}.", E, None, "4", "boxed", "a correction is not a run of boxes"),
    ("Each month \\boxed{120}, the year \\boxed{1440}. Final Answer: The final answer is $1,500$.", N, None, "1500",
     "the answer is", "a final-answer line after the last box beats the intermediate boxes"),
    ("So \\boxed{41} minutes. The final answer is positive, because both factors are negative.", N, None, "41",
     "boxed", "a final-answer line with no value is prose"),
    ("Final Answer: The largest $n$ is 34.", E, None, "34", "the answer is", "the value an answer sentence states"),
    ("The answer is: the tank holds 250 liters", E, None, "250", "the answer is", "the one number of a sentence"),
    ("Therefore $x \\geq 5$ is the solution.", E, None, "x \\geq 5", "last math span", "an inequality, not its 5"),
    ("Answer \\( (9+1) \\)", E, None, "(9+1)", "last math span", "the math span, not its last digit"),
    ("The roots are $1$ and $2$ and $3$", E, None, "1, 2, 3", "last math span", "math spans joined by 'and'"),
    ("so P(A) = 2/3 for Alice", E, None, "2/3", "last number", "a fraction is one number"),
    ("Code AZYUK2A", N, None, None, "none", "a digit inside an identifier is no number"),
    ("The answer is 3z", N, None, None, "none", "a coefficient is no number"),
    ("The answer is r > 17", N, None, None, "none", "a bound is no value"),
    ("so f(x) -> 18.5 as x grows", N, None, "18.5", "last number", "an arrow is no relation"),
    ("The sides are 5 cm and 12 cm, so the area is 60 cm^2", N, None, "60", "last number", "an exponent is no number"),
    ("so the volume is 8 m^{3}", N, None, "8", "last number", "a braced exponent is no number"),
    ("print(f(x))\nTraceback (most recent call last):\n  File \"main.py\", line 7, in <module>\n"
     "ValueError: invalid literal for int() with base 10: 'x'", N, None, None, "none", "numbers in a traceback"),
    ("$Even$", E, None, "Even", "whole text", "a word in math delimiters is a bare answer"),
    ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", E, None, "\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "whole text",
     "a bare matrix"),
    ("$\\frac{1}{3} \\textbf{meters}$", N, None, "1/3", "whole text", "a bare answer with a bold unit"),
    ("The answer is 10%.", N, None, "10%", "the answer is", "the percent sign is kept: 10% also means 0.1"),
    # --- issue 28: final-answer markers of other formats, read before any last-number fallback ----------
    ("We add them.\n\n# Answer\n\n7i - 2", E, None, "7i - 2", "# Answer", "PRM800K's answer section"),
    ("# Answer\n\n\\frac{1}{2}", E, None, "0.5", "# Answer", "an answer section holding a fraction"),
    ("so it is a point.\n# Answer\n\n(1,2)", E, None, "(1,2)", "# Answer", "an answer section holding a pair"),
    ("First \\boxed{3}, but that double counts.\n\n# Answer\n\n4", N, None, "4", "# Answer",
     "an answer section after the last box wins"),
    ("## Final Answer\n$\\boxed{12}$", N, None, "12", "boxed", "a box inside the answer section"),
    ("# Answer\n\nEven", T, None, "Even", "# Answer", "an answer section holding a word"),
    ("Adding, 5 + 7 = 12.\n\n**Answer:** 12", N, None, "12", "the answer is", "markdown's bold marker"),
    ("**Final Answer:** $(1,2)$", E, None, "(1,2)", "the answer is", "a bold final-answer marker"),
    ("So 3 boxes of 4.\n**Answer**: 12 apples", N, None, "12", "the answer is", "bold word, colon outside"),
    ("The final answer is $\\frac{1}{2}$. I hope it is correct.", E, None, "0.5", "the answer is",
     "Minerva's final-answer sentence"),
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


@pytest.mark.parametrize("text", [
    "Thus \\boxed{\\frac{\\sqrt{3}}{2}} is it.",
    "{ { unclosed before, then \\boxed{a {b} c} and } stray } braces",  # braces before the box pair with none of it
    "\\boxed{never closed {x}",
    "\\boxed 7 and more",
    "\\fbox{4}}}",
    "\\boxed{1} and \\boxed{2 {x}} and \\boxed{\\boxed{3}}",
])
def test_one_box_matched_alone_as_in_the_full_pass(text: str) -> None:
    # a single box reads only its own content; its end and content are those a pass over every brace gives
    every = _matching_braces(text)
    braced = [m.end() for m in _BOXED_RE.finditer(text) if text.startswith("{", m.end())]
    expected = [(every[b] + 1, text[b + 1:every[b]]) for b in braced if b in every]
    assert [(end, content) for _, end, content in boxed_spans(text) if text[end - 1] == "}"] == expected
