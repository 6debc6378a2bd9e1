"""Clever Hans check for PoT: is a correct program's answer computed from the question's numbers?

Perturbing the question and re-running the same program proves nothing (a program hard-codes its
inputs, so it always "ignores" the question text). The rule instead asks whether the program's own
constants are the question's numbers, and whether its output moves when they do. Per correct program:

1. Question numbers: the unsigned numerals of the question stem (multiple-choice options excluded),
   commas dropped (``1,000`` is 1000); ``25%`` counts as 25 and as 0.25.
2. Used numbers: the program's numeric literals (Python tokens, so never strings or comments) whose
   value equals a question number. ``16`` and ``16.0`` are the same value.
3. A question without numbers -> ``n/a``. Question numbers, but none used -> flagged
   ``no-question-numbers`` (the program carries derived constants or the bare answer).
4. Else, for each used value (the first ``MAX_VALUES`` in program order), two variants of the SAME
   program replace every literal of that value (int ``n`` -> ``n+1``, ``2n+3``; float ``x`` -> ``1.5x``,
   ``x+1``) and run in the sandbox. A variant *moves* the output when it prints something else (a
   program that prints nothing: answers something else, through ``ans`` or PAL's ``solution()``), or
   fails (an error or timeout: the number reached the computation).
5. Flagged ``insensitive`` when no variant moves the output; otherwise ``ok``. One used number that
   matters clears the program: a value read only in a condition (``max``, parity) is not flagged.
"""

from __future__ import annotations

import io
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal

from mammoth_math.grading.numbers import NUMBER_RE
from mammoth_math.prompts import CHOICES_LABEL

if TYPE_CHECKING:
    from mammoth_math.sandbox import ExecResult, Sandbox

MAX_VALUES = 4  # used values perturbed per program: 2 sandbox runs each
Status = Literal["ok", "no-question-numbers", "insensitive", "n/a"]


@dataclass
class Variant:
    value: str  # the question number perturbed, as the program wrote it
    replacement: str
    stdout: str
    failed: bool  # error or timeout
    moved: bool


@dataclass
class CleverHans:
    """The verdict for one program, with the evidence."""

    status: Status
    question_numbers: list[str] = field(default_factory=list)
    used: list[str] = field(default_factory=list)
    variants: list[Variant] = field(default_factory=list)

    @property
    def flagged(self) -> bool:
        return self.status in ("no-question-numbers", "insensitive")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CleverHans:
        return cls(**{**data, "variants": [Variant(**v) for v in data.get("variants", [])]})


@dataclass(frozen=True)
class _Literal:
    start: tuple[int, int]  # (row, col) of the token, as tokenize reports it
    end: tuple[int, int]
    text: str
    value: Fraction


def question_numbers(question: str) -> list[Fraction]:
    """The values of the numerals in the question stem, in order, without repeats (rule 1)."""
    stem = question.split(CHOICES_LABEL.strip())[0]
    values: list[Fraction] = []
    for m in NUMBER_RE.finditer(stem):
        value = _value(m.group(0).lstrip("-").replace(",", ""))
        if value is None:
            continue
        found = [value, value / 100] if stem[m.end():m.end() + 1] == "%" else [value]
        values.extend(v for v in found if v not in values)
    return values


def program_literals(program: str) -> list[_Literal]:
    """The numeric literals of ``program`` (empty when it does not tokenize)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(program).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []
    out = []
    for tok in tokens:
        if tok.type == tokenize.NUMBER and (value := _value(tok.string)) is not None:
            out.append(_Literal(tok.start, tok.end, tok.string, value))
    return out


def _value(text: str) -> Fraction | None:
    text = text.replace("_", "")
    if text[-1:] in "jJ":
        return None  # imaginary literals are never a question's number
    try:
        return Fraction(int(text, 0)) if text[:2].lower() in ("0x", "0o", "0b") else Fraction(Decimal(text))
    except (ValueError, InvalidOperation):
        return None


def plan_variants(question: str, program: str) -> tuple[CleverHans, list[tuple[str, str, str]]]:
    """Rules 1-4 up to the sandbox: a verdict when one is already reached, else the variants to run.

    Returns the partial verdict and ``(value, replacement, variant_program)`` triples (none when decided).
    """
    wanted = question_numbers(question)
    shown = [format(float(v), "g") for v in wanted]
    if not wanted:
        return CleverHans("n/a", shown), []
    literals = [lit for lit in program_literals(program) if lit.value in wanted]
    if not literals:
        return CleverHans("no-question-numbers", shown), []
    by_value: dict[Fraction, list[_Literal]] = {}
    for lit in literals:
        by_value.setdefault(lit.value, []).append(lit)
    used = [group[0].text for group in by_value.values()]
    variants = []
    for group in list(by_value.values())[:MAX_VALUES]:
        for replacement in _perturbed(group[0].text, group[0].value):
            variants.append((group[0].text, replacement, _substitute(program, group, replacement)))
    return CleverHans("ok", shown, used), variants


def _perturbed(text: str, value: Fraction) -> tuple[str, str]:
    if re.fullmatch(r"\d+", text.replace("_", "")) or text[:2].lower() in ("0x", "0o", "0b"):
        n = int(value)
        return str(n + 1), str(2 * n + 3)
    x = float(value)
    return repr(x * 1.5), repr(x + 1.0)


def _substitute(program: str, literals: Sequence[_Literal], replacement: str) -> str:
    """``program`` with each of ``literals`` replaced by ``replacement`` (by token position, last first)."""
    lines = program.splitlines(keepends=True)
    for lit in sorted(literals, key=lambda x: x.start, reverse=True):
        (row, start), (_, end) = lit.start, lit.end  # a number token never spans lines
        line = lines[row - 1]
        lines[row - 1] = line[:start] + replacement + line[end:]
    return "".join(lines)


def shown(stdout: str | None, answer: str | None) -> str:
    """What a run shows as its output: what it printed, else the answer it gave without printing."""
    return (stdout or "").strip() or (answer or "")


def decide(partial: CleverHans, original: str, runs: Sequence[tuple[str, str, ExecResult]]) -> CleverHans:
    """Rule 5 from the sandbox results of the variants: ``runs`` are ``(value, replacement, ExecResult)``;
    ``original`` is what the program itself showed (:func:`shown`)."""
    if partial.status != "ok" or not runs:
        return partial
    variants = []
    for value, replacement, result in runs:
        stdout = (result.stdout or "").strip()
        failed = bool(result.error) or bool(result.timed_out)
        moved = failed or shown(stdout, result.answer) != original.strip()
        variants.append(Variant(value, replacement, stdout, failed, moved))
    status: Status = "ok" if any(v.moved for v in variants) else "insensitive"
    return CleverHans(status, partial.question_numbers, partial.used, variants)


def check_programs(items: Sequence[tuple[str, str, str]], sandbox: Sandbox) -> list[CleverHans]:
    """The verdict for each ``(question, program, shown output)``; all variants run in one sandbox batch."""
    plans = [plan_variants(question, program) for question, program, _ in items]
    codes = [code for _, variants in plans for _, _, code in variants]
    results = iter(sandbox.run_many(codes, progress=False) if codes else [])
    verdicts = []
    for (partial, variants), (_, _, original) in zip(plans, items):
        runs = [(value, replacement, next(results)) for value, replacement, _ in variants]
        verdicts.append(decide(partial, original, runs))
    return verdicts
