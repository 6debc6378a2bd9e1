"""A run's grading settings applied per problem, and the self-consistency vote that picks a final answer.

Everything goes through ``grading.grade``; a problem's own kind and options win over the run's defaults.
Self-consistency votes over answers that grade as equal; a sample with no answer casts no vote.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.metrics import group_answers, majority_index
from mammoth_math.evaluation.records import Attempt
from mammoth_math.grading import Extraction, Grade, GradingMode, extract_answer, grade
from mammoth_math.grading.reasoning import ThinkTags, split_thinking

TRUNCATED = "truncated"  # an attempt's failure when its think block never closed: no answer at all


@dataclass(frozen=True)
class Grader:
    """Grading settings of a run: the mode (strict, mammoth), the benchmark's tolerance, and for reasoning
    models the think tags whose block is dropped before extraction."""

    mode: str = "strict"
    rel_tol: float | None = None
    think: ThinkTags | None = None

    def answer_text(self, text: str, finish_reason: str = "") -> str | None:
        """The part of a generation extraction may read: after the think block; None when it never closed.

        An output cut by the token limit with no closing tag is truncated even when it shows no opening tag:
        templates such as DeepSeek-R1's open the block in the prompt.
        """
        if self.think is None:
            return text
        return split_thinking(text, self.think, starts_open=finish_reason == "length").answer_text

    def extract(self, text: str, problem: Problem, from_program: bool = False) -> Extraction:
        return extract_answer(text, problem.kind, problem.options, from_program=from_program, mode=self.mode)

    def equal(self, answer: str | None, other: str, problem: Problem) -> bool:
        """Whether two answers to ``problem`` grade as the same (``other`` plays the gold)."""
        return self.grade_against(answer, other, problem).correct

    def verdict(self, answer: str | None, problem: Problem) -> Grade:
        """``answer`` against the problem's gold, with the method that decided it.

        ``mammoth`` mode compares with the raw gold string as the paper's grader did (DeepMind's
        ``1363.0`` stays ``1363.0``), so its published misses are reproduced.
        """
        mammoth = self.mode == GradingMode.MAMMOTH.value
        gold = problem.meta.get("raw_gold", problem.gold) if mammoth else problem.gold
        return self.grade_against(answer, gold, problem)

    def attempt_correct(self, attempt: Attempt, problem: Problem) -> bool:
        """One sample's own verdict (what the sampled metrics count): a failed or empty attempt is wrong."""
        return bool(not attempt.failure and attempt.answer and self.verdict(attempt.answer, problem).correct)

    def grade_against(self, answer: str | None, gold: str, problem: Problem) -> Grade:
        """``answer`` against a given gold by the rules (``grading.grade``), with the run's settings."""
        return grade(Extraction(answer, "answer"), gold, problem.kind, problem.options, self.mode,
                     rel_tol=self.rel_tol)


def vote(attempts: Sequence[Attempt], problem: Problem, grader: Grader) -> tuple[Attempt | None, dict[str, int]]:
    """The attempt whose answer most attempts agree with (graded-equal), and the vote counts.

    Failed programs and empty answers cast no vote; ties go to the answer seen first (``metrics``'s grouping,
    the same one maj@k counts with).
    """
    answers = [None if a.failure else a.answer for a in attempts]

    def equal(answer: str, other: str) -> bool:
        return grader.equal(answer, other, problem)

    ids = group_answers(answers, equal)
    votes = {answers[ids.index(j)]: ids.count(j) for j in sorted({i for i in ids if i is not None})}
    winner = majority_index(answers, equal)
    return (None if winner is None else attempts[winner]), votes
