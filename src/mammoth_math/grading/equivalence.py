"""Equivalence: is a predicted answer the gold answer? Fast exact paths first (plain numbers, then small arithmetic
in process, :mod:`.arith`, and times of day and ratios, :mod:`.clock`), math-verify (guarded) last.

``strict`` (default) follows this project's rules; ``mammoth`` reproduces the MAmmoTH paper's grader
(:mod:`.mammoth`). Verdicts are cached per (prediction, gold, settings).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import NamedTuple

from mammoth_math.grading.arith import differ, exact_value, float_value, identical
from mammoth_math.grading.clock import colon_equal
from mammoth_math.grading.extract import clean_answer
from mammoth_math.grading.gold import encloses, parse_gold, split_list, top_level_split
from mammoth_math.grading.kinds import AnswerKind, Extraction, GradingMode
from mammoth_math.grading.latex import normalize_latex, tidy_latex
from mammoth_math.grading.numbers import NOISE, is_percent, numbers_match, parse_number, rounded_places
from mammoth_math.grading.symbolic import GraderBusy, symbolic_equal, symbolic_value

K = AnswerKind
_SEVERAL_RE = re.compile(r",\s|;|\band\b|\bor\b")  # how answers written side by side are separated
_SMALL_INT_RE = re.compile(r"0|-?[1-9]\d{0,7}")  # canonical, below the 10^8 where NOISE could forgive a unit


@dataclass(frozen=True)
class GradeConfig:
    """Everything besides the two answers that can change a verdict (hashable: it is part of the cache key)."""

    kind: AnswerKind = K.NUMBER
    mode: GradingMode = GradingMode.STRICT
    rel_tol: float | None = None  # a benchmark's official tolerance (TheoremQA: 0.04); default 1e-4
    percent: bool = False  # also accept pred = gold*100 or gold/100 (off: 5 must not match 500)
    options: tuple[str, ...] | None = None
    timeout: float | None = None  # seconds for one symbolic comparison (default symbolic.DEFAULT_TIMEOUT)


class Verdict(NamedTuple):
    """A grade and how it was reached: ``method`` is exact, numeric, symbolic, timeout, busy, empty, ... (a named
    tuple, as :class:`Extraction`: built per graded answer)."""

    correct: bool
    method: str


def is_equivalent(pred: str | Extraction | None, gold: str, kind: AnswerKind | str = K.NUMBER,
                  mode: GradingMode | str = GradingMode.STRICT, rel_tol: float | None = None,
                  options: tuple[str, ...] | None = None, *, percent: bool = False,
                  timeout: float | None = None) -> bool:
    """True if ``pred`` (an answer string or an :class:`Extraction`) equals ``gold``; None/"" never does."""
    config = grade_config(kind, mode, rel_tol, tuple(options) if options else None, percent=percent, timeout=timeout)
    return rule_verdict(pred, gold, config).correct


@lru_cache(maxsize=1024)  # a run grades under a handful of settings: each config is built (and checked) once
def grade_config(kind: AnswerKind | str = K.NUMBER, mode: GradingMode | str = GradingMode.STRICT,
                 rel_tol: float | None = None, options: tuple[str, ...] | None = None, *, percent: bool = False,
                 timeout: float | None = None) -> GradeConfig:
    """The :class:`GradeConfig` of these settings (``kind`` and ``mode`` may be given as their words)."""
    return GradeConfig(AnswerKind(kind), GradingMode(mode), rel_tol, percent, options, timeout)


def rule_verdict(pred: str | Extraction | None, gold: str, config: GradeConfig) -> Verdict:
    """The verdict with its method; see :func:`is_equivalent`."""
    answer = pred.answer if isinstance(pred, Extraction) else pred
    answer, gold = ("" if answer is None else str(answer)), ("" if gold is None else str(gold))
    if not answer or not gold or answer.isspace() or gold.isspace():  # no stripped copies of every answer
        return Verdict(False, "empty")
    if len(answer) > 20_000:  # no gold is this long: a runaway generation, not an answer
        return Verdict(False, "too long")
    try:
        return _rule_verdict_cached(answer, gold, config)
    except GraderBusy:  # not cached: the same pair gets a real verdict once a worker is free
        return Verdict(False, "busy")


@lru_cache(maxsize=200_000)
def _rule_verdict_cached(answer: str, gold: str, config: GradeConfig) -> Verdict:
    if config.mode is GradingMode.MAMMOTH:
        from mammoth_math.grading.mammoth import mammoth_equal

        return Verdict(mammoth_equal(answer, gold, config.kind, config.rel_tol), "mammoth")
    gold = _canonical_gold(gold, config.kind)
    kind = config.kind
    if kind is K.CHOICE:
        letter, _ = clean_answer(answer, kind, config.options)
        return Verdict(letter == gold, "letter")
    if kind is K.BOOL:
        value = clean_answer(answer, kind)[0]
        return Verdict(value is not None and value == gold, "bool")
    if kind is K.LIST:
        return _lists(answer, gold, config)
    if kind is K.TEXT:
        if normalize_latex(answer).strip(".").casefold() == normalize_latex(gold).casefold():
            return Verdict(True, "exact")
        return _numbers_only(answer, gold, config) or Verdict(False, "text")
    return _value(answer, gold, config)


@lru_cache(maxsize=65_536)  # a gold is graded against many answers: parsed once
def _canonical_gold(gold: str, kind: AnswerKind) -> str:
    try:
        return parse_gold(gold, kind)
    except ValueError:
        return gold.strip()


def _tolerance(config: GradeConfig) -> float | None:
    """EXPRESSION answers are exact (MATH: 53333 is not 266664/5), so only float noise is forgiven there."""
    if config.rel_tol is not None or config.kind is not K.EXPRESSION:
        return config.rel_tol
    return float(NOISE)


def _half_unit_places(gold: str, config: GradeConfig) -> int | None:
    """The half-unit rule holds for NUMBER golds only: an EXPRESSION gold (MATH) is the exact or instructed form."""
    return None if config.kind is K.EXPRESSION else rounded_places(gold)


def _numbers_only(answer: str, gold: str, config: GradeConfig) -> Verdict | None:
    """Two plain numbers; a written percent sign means both the number and its hundredth (`10%` is 10 and 0.1)."""
    if not config.percent and _SMALL_INT_RE.fullmatch(answer) and _SMALL_INT_RE.fullmatch(gold):
        return Verdict(answer == gold, "numeric")  # most answers: no Fraction, and no float noise reaches a unit
    g, p = parse_number(gold), parse_number(answer)
    if g is None or p is None:
        return None
    golds = [(g, _half_unit_places(gold, config))] + ([(g / 100, None)] if is_percent(gold) else [])
    preds = [p, p / 100] if is_percent(answer) else [p]
    return Verdict(any(numbers_match(pv, gv, _tolerance(config), places, config.percent)
                       for pv in preds for gv, places in golds), "numeric")


def _value(answer: str, gold: str, config: GradeConfig) -> Verdict:
    """NUMBER and EXPRESSION: plain numbers exactly, then LaTeX spelling, then sympy in the worker."""
    answer = clean_answer(answer, config.kind)[0] or answer
    numeric = _numbers_only(answer, gold, config)
    if numeric is not None:
        return numeric
    if normalize_latex(answer) == normalize_latex(gold):
        return Verdict(True, "exact")
    if parse_number(gold) is not None and _SEVERAL_RE.search(answer) and len(top_level_split(answer)) > 1:
        return Verdict(False, "several for one")  # `5, 20` is not the one number 5 (`1000,99` may be a decimal)
    arithmetic = (_arithmetic(tidy_latex(answer), tidy_latex(gold), config) or _structured(answer, gold, config)
                  or _colon_forms(answer, gold))
    if arithmetic is not None:
        return arithmetic
    g = parse_number(gold)
    if config.kind is K.NUMBER and g is not None:
        value = float_value(tidy_latex(answer))
        if value is None:
            value = symbolic_value(tidy_latex(answer), config.timeout)
        if value is None or not math.isfinite(value):
            return Verdict(False, "not a number")
        return Verdict(numbers_match(Fraction(value), g, config.rel_tol, rounded_places(gold), config.percent),
                       "numeric (evaluated)")
    verdict = symbolic_equal(tidy_latex(gold), tidy_latex(answer), config.timeout)
    if verdict is None:
        return Verdict(False, "timeout")
    return Verdict(verdict, "symbolic")


def _arithmetic(answer: str, gold: str, config: GradeConfig) -> Verdict | None:
    """In process, no sympy: two rational expressions (`187.5+1`, `2^{10}`) decided exactly by the numeric rules;
    EXPRESSION answers shown different at a probe point (`x^2+2x` vs `(x+1)^2`) rejected, the same rational
    function (`0 + x^2`, `1\\cdot (3\\sqrt{2})`) accepted; else None."""
    a, g = exact_value(answer), exact_value(gold)
    if a is not None and g is not None:  # exact values: no float noise to forgive an integer gold (1/2^1100 is not 0)
        return Verdict(a == g or ((g.denominator != 1 or config.percent) and numbers_match(
            a, g, _tolerance(config), _half_unit_places(gold, config), config.percent)), "arithmetic")
    if config.kind is K.EXPRESSION and differ(answer, gold):
        return Verdict(False, "arithmetic (probed)")
    if config.kind is K.EXPRESSION and identical(answer, gold):
        return Verdict(True, "arithmetic (identical)")
    return None


def _colon_forms(answer: str, gold: str) -> Verdict | None:
    """In process: a time of day (`4:30 p.m.`) or two ratios (`3:4`, `6:8`), see :mod:`.clock`; else None."""
    verdict = colon_equal(answer, gold)
    return None if verdict is None else Verdict(verdict, "colon form")


def _structured(answer: str, gold: str, config: GradeConfig) -> Verdict | None:
    """In process, item by item: equations with the same left side (`x = 4`), tuples and intervals with the same
    brackets (`(1, 3]`), bare lists as sets (`4, 6, 14`). A verdict only when every item is decided (an item
    equal as written, or by :func:`_arithmetic`); anything else goes to the worker."""
    if config.kind is not K.EXPRESSION or parse_number(gold) is not None:  # `25,\\!000` is one number, no list
        return None
    a, g = normalize_latex(answer), normalize_latex(gold)
    if a.count("=") == 1 and g.count("=") == 1:
        (a_left, a_right), (g_left, g_right) = a.split("="), g.split("=")
        return _arithmetic(a_right, g_right, config) if a_left == g_left and a_left else None
    brackets = (a[:1] + a[-1:], g[:1] + g[-1:])
    enclosed = brackets[0] == brackets[1] and brackets[0] in ("()", "[]", "(]", "[)") and encloses(a) and encloses(g)
    a_items, g_items = top_level_split(a[1:-1] if enclosed else a), top_level_split(g[1:-1] if enclosed else g)
    if len(a_items) != len(g_items) or len(g_items) < 2 or "\\cup" in a + g:
        return None
    verdicts = [Verdict(True, "exact") if x == y else _arithmetic(x, y, config) for x, y in zip(a_items, g_items)]
    if enclosed:  # a point or an interval: item by item, in order
        if any(v is not None and not v.correct for v in verdicts):
            return Verdict(False, "arithmetic (items)")
        return Verdict(True, "arithmetic (items)") if all(v is not None for v in verdicts) else None
    values = [[exact_value(item) for item in items] for items in (a_items, g_items)]  # a set of solutions
    if any(v is None for side in values for v in side):
        return None
    return Verdict(set(values[0]) == set(values[1]), "arithmetic (set)")


def _lists(answer: str, gold: str, config: GradeConfig) -> Verdict:
    gold_items, ordered = split_list(gold)
    pred_items, _ = split_list(answer)
    if len(gold_items) != len(pred_items):
        return Verdict(False, "list length")
    item_config = GradeConfig(K.NUMBER if all(parse_number(g) is not None for g in gold_items) else K.EXPRESSION,
                              rel_tol=config.rel_tol, timeout=config.timeout)

    def same(p: str, g: str) -> bool:
        return _rule_verdict_cached(p, g, item_config).correct

    if ordered:
        return Verdict(all(same(p, g) for p, g in zip(pred_items, gold_items, strict=True)), "ordered list")
    left = list(pred_items)
    for g in gold_items:
        hit = next((i for i, p in enumerate(left) if same(p, g)), None)
        if hit is None:
            return Verdict(False, "unordered list")
        left.pop(hit)
    return Verdict(True, "unordered list")

