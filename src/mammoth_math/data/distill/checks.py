"""The per-sample checks of distillation: the majority label of a problem without a gold, responses that state
more than one final answer, and CoT whose written arithmetic (``a op b = c``) is wrong.

Pure functions over text and answers; every equality between two answers is decided by ``grading.grade``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mammoth_math.grading import AnswerKind, Extraction, grade


def same_answer(answer: str, other: str, kind: str, options: Sequence[str] | None = None) -> bool:
    """Whether two extracted answers are equal under the grader (``other`` read as the gold)."""
    return grade(Extraction(answer, "sample"), other, kind, options).correct


@dataclass(frozen=True)
class Vote:
    """A problem's majority label (None when there is none), its share of all samples, and why."""

    label: str | None
    share: float  # agreeing samples / all samples, unanswered ones included
    reason: Literal["agreed", "tie", "too_few", "no_answers"]


def majority(answers: Sequence[str | None], kind: str, options: Sequence[str] | None = None,
             min_share: float = 0.5) -> Vote:
    """The answer most samples agree on, as the label of a problem without a gold.

    Answers join a class when they grade as equal to its first member (so "0.5", "1/2" and "\\frac{1}{2}" vote
    together) and the class is labelled with that first-written form. An empty answer never votes and never wins,
    but counts in the denominator: 3 agreeing of 8 samples is 3/8. A tie between the largest classes leaves the
    problem unlabelled (reason "tie"): picking one by order would make the label depend on sampling order.
    """
    classes: list[list[str]] = []
    for answer in answers:
        if answer is None or not answer.strip():
            continue
        for members in classes:
            if same_answer(answer, members[0], kind, options):
                members.append(answer)
                break
        else:
            classes.append([answer])
    if not classes:
        return Vote(None, 0.0, "no_answers")
    sizes = sorted((len(c) for c in classes), reverse=True)
    best = max(classes, key=len)
    share = len(best) / len(answers)
    if len(sizes) > 1 and sizes[0] == sizes[1]:
        return Vote(None, share, "tie")
    if share < min_share:
        return Vote(None, share, "too_few")
    return Vote(best[0], share, "agreed")


# "The answer is", "final answer:", "####" and each \boxed{...}: the places a response states a final answer.
_FINAL_RE = re.compile(r"(?:the\s+)?final\s+answer\s*(?:is|:)|the\s+answer\s+is|####|\\boxed\{", re.IGNORECASE)


def final_answers(text: str, kind: str, options: Sequence[str] | None = None) -> list[str]:
    """The distinct answers a CoT response states at its final-answer markers (several: it hedges).

    Each marker's stretch of text, up to the next marker, is read by the grader's extraction. LIST answers
    are not split this way (``\\boxed{2}, \\boxed{3}`` is one answer there).
    """
    starts = [m.start() for m in _FINAL_RE.finditer(text)]
    if AnswerKind(kind) is AnswerKind.LIST or len(starts) < 2:
        return []
    distinct: list[str] = []
    for start, end in zip(starts, [*starts[1:], len(text)]):
        found = grade(text[start:end], "", kind, options).answer
        if found is not None and not any(same_answer(found, d, kind, options) for d in distinct):
            distinct.append(found)
    return distinct


def program_answers(stdout: str) -> int:
    """How many answers a program printed: its non-blank output lines."""
    return sum(1 for line in stdout.splitlines() if line.strip())


_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_ARITH_RE = re.compile(rf"(-?)({_NUM})\s*([-+*/×÷])\s*(-?)({_NUM})\s*=\s*(-?)\$?({_NUM})")
# a is the tail of a longer expression ("1 + 2 * 3"), not a sentence's first word ("boxes. 4 * 3 = 12")
_BEFORE = re.compile(r"(?:[\d)^*/+\-×÷]|\d\.)\s*$")
_AFTER = re.compile(r"^\s*[(^*/+×÷%]|^\.\d|^\s*-\s*\d")  # c is the head of a longer expression (or a percent)


@dataclass(frozen=True)
class Arithmetic:
    """One written statement ``a op b = c`` and its true value."""

    text: str
    value: float
    stated: float


def wrong_arithmetic(text: str) -> list[Arithmetic]:
    """The ``a op b = c`` statements of ``text`` whose ``c`` is not ``a op b`` (to the decimals ``c`` is written
    with: "10 / 3 = 3.33" is right). Statements inside longer expressions ("1 + 2 * 3 = 7") are not judged."""
    wrong = []
    for m in _ARITH_RE.finditer(text):
        if _BEFORE.search(text[:m.start()]) or _AFTER.search(text[m.end():m.end() + 3]):
            continue
        a, b, c = (_number(m.group(i), m.group(i + 1)) for i in (1, 4, 6))
        op = m.group(3)
        if op in "/÷" and b == 0:
            value = float("inf")
        else:
            value = {"+": a + b, "-": a - b, "*": a * b, "×": a * b}.get(op, a / b if b else 0.0)
        decimals = len(m.group(7).split(".")[1]) if "." in m.group(7) else 0
        if not abs(value - c) < 0.5 * 10 ** -decimals:
            wrong.append(Arithmetic(m.group(0), value, c))
    return wrong


def _number(sign: str, digits: str) -> float:
    return float(sign + digits.replace(",", ""))
