"""Verification: every PoT program runs in the sandbox and its output is graded against the gold; every CoT
rationale's final answer is extracted and graded. Failures become rejects with a reason, never dropped.

MathQA-style PoT (a choice gold, a program printing a number) passes when the option closest in value to the
output is the gold letter and within ``choice_rel_tol`` of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mammoth_math.data.records import Example, Reject
from mammoth_math.grading import extract_answer, is_equivalent
from mammoth_math.progress import track
from mammoth_math.prompts import LETTERS

log = logging.getLogger(__name__)


class RunResult(Protocol):
    """What verification needs from a sandbox run (``mammoth_math.sandbox.ExecResult`` is one)."""

    stdout: str
    error: str | None
    timed_out: bool
    answer: str | None


ProgramRunner = Callable[[list[str]], Sequence[RunResult]]


@dataclass(frozen=True)
class VerifyConfig:
    timeout: float = 5.0  # seconds per program
    memory_mb: int = 1024
    workers: int | None = None  # sandbox workers; None = one per CPU
    choice_rel_tol: float = 0.02  # how near a MathQA program's output must be to the gold option's value


def sandbox_runner(config: VerifyConfig, progress: bool = True) -> ProgramRunner:
    """Run programs through the project's sandbox (bubblewrap, worker pool)."""
    from mammoth_math.sandbox import Sandbox

    def run(codes: list[str]) -> Sequence[RunResult]:
        with Sandbox(timeout=config.timeout, memory_mb=config.memory_mb, workers=config.workers) as sb:
            return sb.run_many(codes, progress=progress)

    return run


def verify(examples: Sequence[Example], run_programs: ProgramRunner, config: VerifyConfig = VerifyConfig(),
           progress: bool = True) -> tuple[list[Example], list[Reject]]:
    """Split ``examples`` into those whose answer equals the gold and rejects saying why not (input order kept)."""
    pot = [e for e in examples if e.rationale_type == "pot"]
    runs = dict(zip((id(e) for e in pot), run_programs([e.output for e in pot]))) if pot else {}
    kept, rejects = [], []
    for example in track(examples, "verifying", enabled=progress):
        reason = _check_pot(example, runs[id(example)], config) if example.rationale_type == "pot" else _check_cot(example)
        if reason is None:
            kept.append(example)
        else:
            rejects.append(Reject(example.source, example.id, example.rationale_type, "verify", reason[0], reason[1]))
    log.info("verified %d of %d examples", len(kept), len(examples))
    return kept, rejects


def _check_cot(example: Example) -> tuple[str, str] | None:
    found = extract_answer(example.output, example.kind, options=example.options)
    if found.answer is None:
        return "no_answer", "no final answer could be extracted"
    if not example.gold:  # re-verifying a published row without its gold: it must at least state an answer
        return None
    if is_equivalent(found, example.gold, example.kind, options=example.options):
        return None
    return "wrong_answer", f"expected {example.gold!r}, got {found.answer!r}"


def _check_pot(example: Example, run: RunResult, config: VerifyConfig) -> tuple[str, str] | None:
    if run.timed_out:
        return "timeout", f"ran past {config.timeout}s"
    if run.error:
        return "program_error", run.error.strip().splitlines()[-1][:200] if run.error.strip() else "error"
    if run.answer is None or not str(run.answer).strip():
        return "no_output", "the program printed nothing"
    if not example.gold:
        return None
    if example.kind == "choice" and example.options and _is_number(run.answer):
        return _check_option_value(example, float(run.answer), config)
    if is_equivalent(str(run.answer), example.gold, example.kind, options=example.options):
        return None
    return "wrong_answer", f"expected {example.gold!r}, got {str(run.answer)[:100]!r}"


def _check_option_value(example: Example, value: float, config: VerifyConfig) -> tuple[str, str] | None:
    from mammoth_math.data.sources.mathqa import option_value

    values = [option_value(text) for text in example.options or ()]
    scored = [(abs(v - value) / max(abs(v), 1e-9), i) for i, v in enumerate(values) if v is not None]
    if not scored:
        return "bad_options", "no option states a number"
    distance, index = min(scored)
    if LETTERS[index] != example.gold:
        return "wrong_answer", f"expected {example.gold}, output {value:g} is closest to option {LETTERS[index]}"
    if distance > config.choice_rel_tol:
        return "wrong_answer", f"output {value:g} is {distance:.1%} away from option {example.gold}"
    return None


def _is_number(text: Any) -> bool:
    try:
        float(str(text).strip())
    except ValueError:
        return False
    return True
