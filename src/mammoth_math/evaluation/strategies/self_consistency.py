"""Self-consistency (Wang et al. 2023) over any strategy: sample k answers per problem, vote.

The wrapped strategy runs unchanged with k samples per prompt; the harness's vote then picks the answer
most samples agree on (graded-equal), and the record keeps the vote counts.
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
class SelfConsistency:
    inner: Strategy
    samples: int

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def prompts(self) -> tuple[PromptKind, ...]:
        return self.inner.prompts

    @property
    def program_paths(self) -> tuple[str, ...]:
        return self.inner.program_paths

    @property
    def needs_sandbox(self) -> bool:
        return self.inner.needs_sandbox

    def solve(self, problems: Sequence[Problem], sampler: Sampler, sandbox: Sandbox | None,
              grader: Grader) -> list[Solution]:
        return self.inner.solve(problems, sampler.with_samples(self.samples), sandbox, grader)
