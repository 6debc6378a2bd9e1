"""Decoding rules: turn generations into attempts, decide when hybrid falls back, vote over samples.

Hybrid (MAmmoTH section 2.4): a program that fails, times out, prints nothing or prints no usable answer
(for multiple choice: no answer that is one of the options) sends the problem to CoT. Self-consistency
votes over answers that grade as equal; a sample with no answer casts no vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.records import Attempt, Execution
from mammoth_math.grading import AnswerKind, GradeConfig, GradingMode, Verdict, extract_answer, is_equivalent, judge
from mammoth_math.sandbox.program import unwrap_fences


@dataclass(frozen=True)
class Grader:
    """Grading settings of a run, applied per problem (a problem's own kind and options win)."""

    mode: str = "strict"
    rel_tol: float | None = None

    def extract(self, text: str, problem: Problem, from_program: bool = False):
        return extract_answer(text, problem.kind, problem.options, from_program=from_program, mode=self.mode)

    def equal(self, answer: str | None, gold: str, problem: Problem) -> bool:
        return is_equivalent(answer, gold, problem.kind, self.mode, self.rel_tol, problem.options)

    def verdict(self, answer: str | None, problem: Problem) -> Verdict:
        """``answer`` against the problem's gold, with the method that decided it.

        ``mammoth`` mode compares with the raw gold string as the paper's grader did (DeepMind's
        ``1363.0`` stays ``1363.0``), so its published misses are reproduced.
        """
        gold = problem.meta.get("raw_gold", problem.gold) if self.mode == GradingMode.MAMMOTH.value else problem.gold
        return judge(answer, gold, GradeConfig(problem.kind, GradingMode(self.mode), self.rel_tol,
                                                       options=problem.options))


def program_of(text: str) -> str:
    """The program in a PoT generation, exactly as the sandbox will run it (Markdown fences unwrapped)."""
    return unwrap_fences(text)


def cot_attempt(text: str, problem: Problem, grader: Grader, finish_reason: str = "") -> Attempt:
    found = grader.extract(text, problem)
    return Attempt("cot", text, found.answer, found.rule, finish_reason=finish_reason)


def pot_attempt(text: str, program: str, execution: Execution, problem: Problem, grader: Grader,
                finish_reason: str = "") -> Attempt:
    """A program's attempt; ``failure`` says why it gave no usable answer (None when it did)."""
    printed = execution.answer if execution.answer is not None else execution.stdout
    found = grader.extract(printed, problem, from_program=True)
    if execution.timed_out:
        failure = "timeout"
    elif execution.error:
        failure = "error"
    elif not printed.strip():
        failure = "no output"
    elif found.answer is None:
        failure = "not an option" if problem.kind is AnswerKind.CHOICE else "no answer"
    else:
        failure = None
    return Attempt("pot", text, None if failure else found.answer, found.rule, program, execution, failure,
                   finish_reason)


def vote(attempts: Sequence[Attempt], problem: Problem, grader: Grader) -> tuple[Attempt | None, dict[str, int]]:
    """The attempt whose answer most attempts agree with (graded-equal), and the vote counts.

    Failed programs and empty answers cast no vote; ties go to the answer seen first.
    """
    clusters: list[tuple[str, list[Attempt]]] = []
    for attempt in attempts:
        if attempt.failure or attempt.answer is None or not attempt.answer.strip():
            continue
        for representative, members in clusters:
            if attempt.answer == representative or grader.equal(attempt.answer, representative, problem):
                members.append(attempt)
                break
        else:
            clusters.append((attempt.answer, [attempt]))
    votes = {rep: len(members) for rep, members in clusters}
    if not clusters:
        return None, votes
    best = max(clusters, key=lambda c: len(c[1]))  # max keeps the first of equal counts
    return best[1][0], votes
