"""Program of thought: the model writes a Python program; the sandbox runs it and its printed answer counts.

A program that fails, times out, prints nothing or prints no usable answer (for multiple choice: none of
the options) gives no answer, and its attempt says why (``grading.ProgramFailure``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mammoth_math.backends import Completion
from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation.grader import TRUNCATED, Grader
from mammoth_math.evaluation.records import Attempt, Execution
from mammoth_math.evaluation.strategies.base import Sample, SinglePass, texts
from mammoth_math.grading import program_failure, program_output
from mammoth_math.prompts import POT_KIND, PromptKind
from mammoth_math.sandbox.program import unwrap_fences

if TYPE_CHECKING:
    from mammoth_math.sandbox import ExecResult, Sandbox


@dataclass(frozen=True)
class PoT(SinglePass):
    name: str = "pot"
    kind: PromptKind = POT_KIND
    writes_programs: bool = True

    def read(self, completions: Sequence[Completion], problems: Sequence[Problem], sandbox: Sandbox | None,
             grader: Grader) -> list[list[Attempt]]:
        """Every sample's program, run in one sandbox batch; a failed backend call has none, nor does a
        reasoning model's sample whose think block never closed (truncated: nothing to run)."""
        jobs = [(k, sample, None if text is None else unwrap_fences(text))
                for k, c in enumerate(completions) if not c.error
                for sample in texts(c) for text in (grader.answer_text(sample.text, sample.finish_reason),)]
        codes = [code for *_, code in jobs if code is not None]
        if codes and sandbox is None:
            raise ValueError(f"strategy {self.name!r} runs programs: it needs a sandbox")
        results = iter(sandbox.run_many(codes, progress=False) if codes else [])
        attempts: list[list[Attempt]] = [[] for _ in completions]
        for k, sample, code in jobs:
            if code is None:
                attempts[k].append(Attempt(self.name, sample.text, None, TRUNCATED, failure=TRUNCATED,
                                           finish_reason=sample.finish_reason, tokens=sample.tokens))
            else:
                attempts[k].append(self.attempt(sample, code, execution(next(results)), problems[k], grader))
        return attempts

    def attempt(self, sample: Sample, program: str, run: Execution, problem: Problem, grader: Grader) -> Attempt:
        found = grader.extract(program_output(run), problem, from_program=True)
        failure = program_failure(run, found, problem.kind)
        return Attempt(self.name, sample.text, None if failure else found.answer, found.rule, program, run,
                       failure.value if failure else None, sample.finish_reason, tokens=sample.tokens)


def execution(result: ExecResult) -> Execution:
    """What a record keeps of a sandbox run (its answer included: ``ans = 6*7`` answers 42 without a print)."""
    return Execution(result.stdout or "", str(result.error) if result.error else None, bool(result.timed_out),
                     float(result.duration_s), result.answer)
