"""Chain of thought: the model writes a rationale; its final answer is extracted from the text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mammoth_math.backends import Completion
from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import TRUNCATED, Grader
from mammoth_math.evaluation.records import Attempt
from mammoth_math.evaluation.strategies.base import Sample, SinglePass, texts
from mammoth_math.prompts import COT_KIND, PromptKind

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox


@dataclass(frozen=True)
class CoT(SinglePass):
    name: str = "cot"
    kind: PromptKind = COT_KIND
    writes_programs: bool = False

    def read(self, completions: Sequence[Completion], problems: Sequence[Problem], sandbox: Sandbox | None,
             grader: Grader) -> list[list[Attempt]]:
        return [[self.attempt(sample, problem, grader) for sample in texts(c)]
                for c, problem in zip(completions, problems)]

    def attempt(self, sample: Sample, problem: Problem, grader: Grader) -> Attempt:
        """The answer of one sample; a reasoning model's unclosed think block gives none (truncated)."""
        answer_text = grader.answer_text(sample.text, sample.finish_reason)
        if answer_text is None:
            return Attempt(self.name, sample.text, None, TRUNCATED, failure=TRUNCATED,
                           finish_reason=sample.finish_reason, tokens=sample.tokens)
        found = grader.extract(answer_text, problem)
        return Attempt(self.name, sample.text, found.answer, found.rule, finish_reason=sample.finish_reason,
                       tokens=sample.tokens)
