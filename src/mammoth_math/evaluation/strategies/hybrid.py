"""Hybrid decoding (MAmmoTH section 2.4): a first strategy, then a second one for the problems it failed.

``Hybrid(PoT(), CoT())`` is the paper's: the program first; a problem whose program (or any sample's
program) failed goes to CoT, as many samples as failed, all in one batched call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.strategies.base import Sampler, Solution, Strategy
from mammoth_math.prompts import PromptKind

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox


@dataclass(frozen=True)
class Hybrid:
    first: Strategy
    then: Strategy
    name: str = "hybrid"

    @property
    def prompts(self) -> tuple[PromptKind, ...]:
        return tuple(dict.fromkeys(self.first.prompts + self.then.prompts))

    @property
    def program_paths(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.first.program_paths + self.then.program_paths))

    @property
    def needs_sandbox(self) -> bool:
        return self.first.needs_sandbox or self.then.needs_sandbox

    def solve(self, problems: Sequence[Problem], sampler: Sampler, sandbox: Sandbox | None,
              grader: Grader) -> list[Solution]:
        solutions = self.first.solve(problems, sampler, sandbox, grader)
        failed = [(k, [a for a in s.attempts if a.failure]) for k, s in enumerate(solutions) if not s.error]
        failed = [(k, attempts) for k, attempts in failed if attempts]
        if not failed:
            return solutions
        retry = [problems[k] for k, _ in failed]
        counts = {problems[k].id: len(attempts) for k, attempts in failed}
        for (k, attempts), again in zip(failed, self.then.solve(retry, sampler.with_counts(counts), sandbox, grader)):
            for attempt, failed_attempt in zip(again.attempts, attempts):
                attempt.sample = failed_attempt.sample  # the fallback answers that sample
            solution = solutions[k]
            solution.fallback_prompt = again.prompt
            solution.fallback_reasons = [a.failure for a in attempts if a.failure]
            solution.attempts.extend(again.attempts)
            solution.prompt_tokens += again.prompt_tokens
            solution.completion_tokens += again.completion_tokens
            solution.seconds += again.seconds
            solution.error = solution.error or again.error
        return solutions
