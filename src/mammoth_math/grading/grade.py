"""The one grading entry: extract the answer (unless one is given), then compare it with the gold (``rule_verdict``).

``grade`` is what the harness, data verification, ``regrade`` and ``mammoth-math grade`` call; ``program_failure``
says, in the :class:`ProgramFailure` words, why a sandboxed program gave no usable answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from mammoth_math.grading.equivalence import grade_config, rule_verdict
from mammoth_math.grading.extract import extract_answer
from mammoth_math.grading.kinds import AnswerKind, Extraction, GradingMode, ProgramFailure


class Grade(NamedTuple):
    """A verdict, how it was reached (exact, numeric, symbolic, empty, ...) and the answer it graded (a named tuple,
    as :class:`Extraction`: built per graded answer)."""

    correct: bool
    method: str
    extraction: Extraction

    @property
    def answer(self) -> str | None:
        return self.extraction.answer


def grade(text_or_answer: str | Extraction | None, gold: str, kind: AnswerKind | str = AnswerKind.NUMBER,
          options: Sequence[str] | None = None, mode: GradingMode | str = GradingMode.STRICT, *,
          rel_tol: float | None = None, from_program: bool = False) -> Grade:
    """Grade model text (extracted first; ``from_program``: a program's output) or an :class:`Extraction`.

    >>> grade("So she makes $18 every day. The answer is 18.", "18").correct
    True
    >>> grade(Extraction("17", "answer field"), "18").method
    'numeric'
    """
    config = grade_config(kind, mode, rel_tol, tuple(options) if options else None)
    extraction = (text_or_answer if isinstance(text_or_answer, Extraction)
                  else extract_answer(text_or_answer, config.kind, config.options, from_program, config.mode))
    verdict = rule_verdict(extraction, gold, config)
    return Grade(verdict.correct, verdict.method, extraction)


class ProgramRun(Protocol):
    """What a failure is read from (``mammoth_math.sandbox.ExecResult`` is one)."""

    stdout: str
    error: str | None
    timed_out: bool
    answer: str | None


def program_output(run: ProgramRun) -> str:
    """The program's answer as the sandbox read it, else everything it printed."""
    return run.answer if run.answer is not None else (run.stdout or "")


def program_failure(run: ProgramRun, found: Extraction | None = None,
                    kind: AnswerKind = AnswerKind.NUMBER) -> ProgramFailure | None:
    """Why ``run`` gave no usable answer, or None; with ``found`` (its extracted answer) a missing one counts."""
    if run.timed_out:
        return ProgramFailure.TIMEOUT
    if run.error:
        return ProgramFailure.ERROR
    if not program_output(run).strip():
        return ProgramFailure.NO_OUTPUT
    if found is not None and found.answer is None:
        return ProgramFailure.NOT_AN_OPTION if kind is AnswerKind.CHOICE else ProgramFailure.NO_ANSWER
    return None
