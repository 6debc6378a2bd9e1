"""Chain of thought: the model writes a rationale; its final answer is extracted from the text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mammoth_math.backends import Completion
from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.records import Attempt
from mammoth_math.evaluation.strategies.base import SinglePass, texts
from mammoth_math.prompts import Rationale

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox


@dataclass(frozen=True)
class CoT(SinglePass):
    name: str = "cot"
    rationale: Rationale = "cot"
    prompts: tuple[Rationale, ...] = ("cot",)
    needs_sandbox: bool = False

    def read(self, completions: Sequence[Completion], problems: Sequence[Problem], sandbox: Sandbox | None,
             grader: Grader) -> list[list[Attempt]]:
        return [[self.attempt(text, problem, grader, reason) for text, reason in texts(c)]
                for c, problem in zip(completions, problems)]

    def attempt(self, text: str, problem: Problem, grader: Grader, finish_reason: str = "") -> Attempt:
        found = grader.extract(text, problem)
        return Attempt(self.name, text, found.answer, found.rule, finish_reason=finish_reason)
