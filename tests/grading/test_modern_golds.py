"""Every gold of the eleven modern sets grades equal to itself and to two other renderings of it, read back
through extraction from CoT text and from program output, as the MAmmoTH sets' golds do (test_real_golds)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_real_golds import renderings

from mammoth_math.benchmarks import SUITES, Problem, load_problems
from mammoth_math.grading import AnswerKind, extract_answer, is_equivalent, parse_gold
from mammoth_math.grading.gold import clean_free_form, free_form_kind, olympiad_gold

K = AnswerKind


def _renderings(p: Problem) -> list[str]:
    """The MAmmoTH sets' renderings (upper case for a lower-case word answer), less an option text that is itself
    a letter or spans lines (MMLU-STEM has options "B" and "c", and code): a model writing those means a letter,
    so they cannot stand for the option's text."""
    alts = renderings(p.gold, p.kind, p.options)
    if p.kind is K.TEXT and alts[0] == p.gold:  # already lower case
        alts[0] = p.gold.upper()
    if p.kind is K.CHOICE:
        alts = alts[:2] + [a for a in alts[2:] if "\n" not in a and not re.fullmatch(r"[A-Ja-j]", a.strip())]
    return alts


@pytest.mark.parametrize("name", SUITES["modern"])
def test_every_gold_matches_itself_and_other_renderings(name: str, modern_dir: Path) -> None:
    problems = load_problems(name, modern_dir)
    failures = []
    for p in problems:
        alts = _renderings(p)
        assert len(alts) >= 2 and all(a != p.gold for a in alts), (p.id, p.gold, alts)
        for label, text in [("self", p.gold)] + [("rendering", a) for a in alts]:
            if not is_equivalent(text, p.gold, p.kind, options=p.options):
                failures.append((p.id, label, text, p.gold))
        program = extract_answer(f"{alts[-1]}\n", p.kind, p.options, from_program=True)
        checks = [("program", program)]
        if not p.meta.get("multi_sentence"):  # "the answer is" reads one sentence: see the next test
            checks.append(("cot", extract_answer(f"Let's think.\nSo the answer is {alts[0]}.", p.kind, p.options)))
        for label, ex in checks:
            if not is_equivalent(ex, p.gold, p.kind, options=p.options):
                failures.append((p.id, label, ex, p.gold))
    assert not failures, f"{len(failures)} failures, first: {failures[:5]}"


def test_only_college_maths_explanations_are_too_long_for_the_answer_line(modern_dir: Path) -> None:
    """A known gap, counted: 113 College Math golds are several sentences; rule-based extraction reads one."""
    counts = {name: sum(bool(p.meta.get("multi_sentence")) for p in load_problems(name, modern_dir))
              for name in SUITES["modern"]}
    assert {n: c for n, c in counts.items() if c} == {"college_math": 113}


@pytest.mark.parametrize(("answers", "answer_type", "multiple", "gold", "kind"), [
    (["2"], "Numerical", False, "2", K.NUMBER),
    (["$\\frac{25}{2}$"], "Numerical", False, "\\frac{25}{2}", K.EXPRESSION),
    (["$69$,$84$"], "Numerical", True, "{69, 84}", K.LIST),
    (["1,3,5"], "Numerical", True, "{1, 3, 5}", K.LIST),
    (["$(1,8,19), (2,7,13)$"], "Tuple", True, "{(1,8,19), (2,7,13)}", K.LIST),
    (["$(2,4)$"], "Tuple", False, "(2,4)", K.EXPRESSION),
    (["$(-\\infty, 0) \\cup\\{1\\}$."], "Interval", False, "(-\\infty, 0) \\cup\\{1\\}", K.EXPRESSION),
    (["$t(0,4]$"], "Interval", False, "(0,4]", K.EXPRESSION),
    (["$f(n)=n$, $g(n)=1$"], "Expression", True, "{f(n)=n, g(n)=1}", K.LIST),
])
def test_olympiad_gold(answers: list[str], answer_type: str, multiple: bool, gold: str, kind: AnswerKind) -> None:
    assert olympiad_gold(answers, answer_type, multiple) == (gold, kind)
    assert parse_gold(gold, kind) == gold  # what the loader stores parses to itself


@pytest.mark.parametrize(("text", "thousands", "kind"), [
    ("2,900", True, K.NUMBER),
    ("98,118,122,142", False, K.LIST),  # HMMT: four answers
    ("$(45,2),(-10,-9)$", True, K.LIST),
    ("$\\frac{1}{2}, \\frac{\\sqrt{7}}{7}$", False, K.LIST),
    ("$(1, 2]$", True, K.EXPRESSION),  # one interval
    ("$n \\pi \\pm \\pi / 6$, any integer $n$", True, K.EXPRESSION),  # a sentence, not a list
    ("$10-4 n$", True, K.EXPRESSION),
])
def test_free_form_kind(text: str, thousands: bool, kind: AnswerKind) -> None:
    assert free_form_kind(text, thousands) is kind


@pytest.mark.parametrize(("raw", "clean"), [
    ("$3 \\sqrt{6}$.", "3 \\sqrt{6}"),
    ("2$ or $-2$ or $\\frac{1}{2}$", "2, -2, \\frac{1}{2}"),
    ("0.05$ and $0.6", "0.05, 0.6"),
    ("$145$solution:", "145"),
    ("$36\\sqrt{7}cm^{3}$", "36\\sqrt{7}"),
    ("$576\\pi\\;m^{2}$", "576\\pi"),
    ("20 $cm^{2}", "20"),
    ("6m", "6m"),  # a variable, not metres
    ("np.arcsin(10/13)", "\\arcsin(10/13)"),
    ("\\text{a necessary but not a sufficient condition}", "a necessary but not a sufficient condition"),
    # issue 28: words stay words, a key's thousands separators and units do not split or cling to values
    ("No solution", "No solution"),
    ("There is no solution.", "There is no solution"),
    ("Yes. It has a unique solution.", "Yes. It has a unique solution"),
    ("$3630 \\mathrm{ft}^{2}, 522,720 \\mathrm{in}^{2}$", "3630, 522720"),
    ("$135,000 \\mathrm{~cm}$", "135000"),
    ("$148.15 \\mathrm{yd}^{3} ; 113 \\mathrm{~m}^{3}$", "148.15 ; 113"),
    ("$(0,125) \\cup(125, \\infty)$", "(0,125) \\cup(125, \\infty)"),  # an interval, not 125 thousand
    ("After two hours it is at $(40,150)$", "After two hours it is at $(40,150)"),  # a point
    ("1,3,5", "1,3,5"),
])
def test_clean_free_form(raw: str, clean: str) -> None:
    assert clean_free_form(raw) == clean


def test_thousands_are_kept_where_a_set_writes_no_separators() -> None:
    assert clean_free_form("98,118,122,142", thousands=False) == "98,118,122,142"  # HMMT: four answers
    assert free_form_kind(clean_free_form("98,118,122,142", thousands=False), thousands=False) is K.LIST
    gold = clean_free_form("$3630 \\mathrm{ft}^{2}, 522,720 \\mathrm{in}^{2}$")
    assert free_form_kind(gold) is K.LIST and parse_gold("{" + gold + "}", K.LIST) == "{3630, 522720}"
    assert free_form_kind(clean_free_form("No solution")) is K.TEXT


def test_word_answers_compare_as_words() -> None:
    assert free_form_kind("Quadrant I") is K.TEXT and free_form_kind("1:58 am") is K.TEXT
    assert is_equivalent("1:58 AM", "1:58 am", K.TEXT)
    assert free_form_kind("10 \\mathrm{ft} x 18 \\mathrm{ft}") is K.EXPRESSION


def test_lists_split_at_top_level_commas_only() -> None:
    gold = parse_gold("{(1,8,19), (2,7,13)}", K.LIST)
    assert is_equivalent("(2, 7, 13), (1, 8, 19)", gold, K.LIST)
    assert not is_equivalent("(2, 7, 13), (1, 8, 20)", gold, K.LIST)
    assert parse_gold("(1,2), (3,4)", K.LIST) == "[(1,2), (3,4)]"
    assert is_equivalent("(1, 2) \\text{ and } (3, 4)", "{(3,4), (1,2)}", K.LIST)


def test_plus_minus_is_two_answers_in_a_list() -> None:
    assert is_equivalent("\\pm 2, \\pm \\frac{1}{2}", "{2, -2, 0.5, -0.5}", K.LIST)
    assert is_equivalent("x = 2 \\pm \\sqrt{3}", "{2-\\sqrt{3}, 2+\\sqrt{3}}", K.LIST)
    assert not is_equivalent("\\pm 2", "{2, 3}", K.LIST)
    assert parse_gold("a \\pmod{5}, 3", K.LIST) == "[a\\pmod{5}, 3]"  # \\pmod is not a sign
