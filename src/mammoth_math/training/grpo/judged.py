"""GRPO's optional judge reward: an LLM judge's word on answers the rules reject (``judge`` in the GRPO YAML).

The same hack guards as the correctness reward: the judge is asked only about a rollout whose reading found
exactly one final answer, with no hack (:class:`.rewards.Reading`'s ``why`` empty), that the rules graded wrong;
several boxed answers, a list of candidates, a restated question, a fabricated output block or no answer at all
earn 0 without a question. The judge's "equivalent" gives 1, so ``correct + judge`` is at most 1 per rollout.

A judge failure (server unreachable after the backend's retries, a malformed reply) counts 0 and is logged:
``judge/failures`` beside ``judge/asked`` in the trainer's metrics and a warning with the run's total. A 0 is
what the rules alone say, so a failing judge can only withhold credit, never grant it, and a long run is not
lost to a judge outage; the count shows when it happened. Requests are batched per step (the ``openai`` backend
sends them concurrently) and cached in ``<output_dir>/judge_responses``, so a repeated answer is asked once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mammoth_math.backends.judge import Judge, JudgeCase

if TYPE_CHECKING:
    from mammoth_math.training.grpo.rewards import Reading

log = logging.getLogger(__name__)


def asks_judge(reading: Reading) -> bool:
    """One clean final answer that the rules rejected: the only rollouts the judge sees."""
    return reading.answer is not None and not reading.correct and not reading.why


def judge_reward(judge: Judge, readings: Callable[..., list[Reading]],
                 texts: Callable[[Sequence[Any]], list[str]]) -> Callable[..., list[float]]:
    """A TRL reward function named ``judge`` over the batch's shared ``readings`` (one reading per step)."""
    failed_total = 0

    def judge_(completions: Sequence[Any], log_metric: Callable[[str, float], None] | None = None,
               **columns: Any) -> list[float]:
        nonlocal failed_total
        found = readings(completions, **columns)
        asked = [i for i, r in enumerate(found) if asks_judge(r)]
        responses = texts(completions)
        cases = [JudgeCase(str(columns["question"][i] or ""), str(columns["gold"][i]), found[i].answer, responses[i])
                 for i in asked]
        rewards = [0.0] * len(found)
        failed = 0
        for i, verdict in zip(asked, judge.ask(cases) if cases else []):
            failed += verdict.equivalent is None
            rewards[i] = float(verdict.equivalent is True)
        failed_total += failed
        if failed:
            log.warning("judge: %d of %d questions failed this step (%d in this run), counted 0", failed,
                        len(asked), failed_total)
        if log_metric is not None:
            log_metric("judge/asked", float(len(asked)))
            log_metric("judge/failures", float(failed))
        return rewards

    judge_.__name__ = "judge"  # logged as rewards/judge/mean
    return judge_
