"""Verification: every PoT program runs in the sandbox and its output is graded against the gold; every CoT
rationale's final answer is extracted and graded; every TIR trajectory is replayed in a sandbox session
(``data.tir.replay``). Failures become rejects with a reason, never dropped.

MathQA-style PoT (a choice gold, a program printing a number) passes when the option closest in value to the
output is the gold letter and within ``choice_rel_tol`` of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mammoth_math.data.examples import Example, Reject
from mammoth_math.data.tir import CHOICE_REL_TOL, SessionRunner, check_answer, replay, session_runner
from mammoth_math.grading import Extraction, ProgramFailure, grade, program_failure, program_output
from mammoth_math.grading.grade import ProgramRun
from mammoth_math.progress import track
from mammoth_math.prompts import LETTERS

log = logging.getLogger(__name__)


ProgramRunner = Callable[[list[str]], Sequence[ProgramRun]]


@dataclass(frozen=True)
class VerifyConfig:
    timeout: float = 5.0  # seconds per program
    memory_mb: int = 1024
    workers: int | None = None  # sandbox workers; None = one per CPU
    choice_rel_tol: float = CHOICE_REL_TOL  # how near a MathQA program's output must be to the gold option's value


def sandbox_runner(config: VerifyConfig, progress: bool = True) -> ProgramRunner:
    """Run programs through the project's sandbox (bubblewrap, worker pool)."""
    from mammoth_math.sandbox import open_sandbox

    def run(codes: list[str]) -> Sequence[ProgramRun]:
        with open_sandbox(timeout=config.timeout, memory_mb=config.memory_mb, workers=config.workers) as sb:
            return sb.run_many(codes, progress=progress)

    return run


def sessions(config: VerifyConfig, progress: bool = True) -> SessionRunner:
    """Sandbox sessions (one per problem, blocks in order) with this config's limits."""
    return session_runner(config.timeout, config.memory_mb, config.workers, progress)


def verify(examples: Sequence[Example], run_programs: ProgramRunner, config: VerifyConfig = VerifyConfig(),
           progress: bool = True, run_sessions: SessionRunner | None = None
           ) -> tuple[list[Example], list[Reject]]:
    """Split ``examples`` into those whose answer equals the gold and rejects saying why not (input order kept).

    TIR rows come back with their output blocks as the replay printed them (``run_sessions``: default, sandbox
    sessions with ``config``'s limits).
    """
    pot = [e for e in examples if e.rationale_type == "pot"]
    runs = dict(zip((id(e) for e in pot), run_programs([e.output for e in pot]))) if pot else {}
    tir = [e for e in examples if e.rationale_type == "tir"]
    replayed = dict(zip((id(e) for e in tir), replay(tir, run_sessions or sessions(config, progress),
                                                     progress=progress))) if tir else {}
    kept, rejects = [], []
    for example in track(examples, "verifying", enabled=progress):
        if example.rationale_type == "tir":
            checked = replayed[id(example)]
            (rejects if isinstance(checked, Reject) else kept).append(checked)
            continue
        reason = (_check_pot(example, runs[id(example)], config) if example.rationale_type == "pot"
                  else check_answer(example))
        if reason is None:
            kept.append(example)
        else:
            rejects.append(Reject(example.source, example.id, example.rationale_type, "verify", reason[0], reason[1]))
    log.info("verified %d of %d examples", len(kept), len(examples))
    return kept, rejects


def _check_pot(example: Example, run: ProgramRun, config: VerifyConfig) -> tuple[str, str] | None:
    failure = program_failure(run)
    if failure is ProgramFailure.TIMEOUT:
        return failure.value, f"ran past {config.timeout}s"
    if failure is ProgramFailure.ERROR:
        return failure.value, run.error.strip().splitlines()[-1][:200] if run.error.strip() else "error"
    if failure is not None:
        return failure.value, "the program printed nothing"
    answer = program_output(run)
    if not example.gold:
        return None
    if example.kind == "choice" and example.options and _is_number(answer):
        return _check_option_value(example, float(answer), config)
    if grade(Extraction(answer, "program answer"), example.gold, example.kind, example.options).correct:
        return None
    return "wrong_answer", f"expected {example.gold!r}, got {answer[:100]!r}"


def _check_option_value(example: Example, value: float, config: VerifyConfig) -> tuple[str, str] | None:
    from mammoth_math.data.sources.mathqa import closest_option

    closest = closest_option(value, example.options or ())
    if closest is None:
        return "bad_options", "no option states a number"
    index, distance = closest
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
