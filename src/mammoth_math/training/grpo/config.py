"""The GRPO config: TRL's ``GRPOConfig`` plus our few fields, filled from YAML and ``key=value`` flags.

``method: grpo`` in a ``configs/train/`` YAML routes ``mammoth-math train`` here; keys map one to one onto
fields and an unknown key fails naming the file and the key, as for SFT (:mod:`..config`).
"""

from __future__ import annotations

import os
import typing
from dataclasses import dataclass, field

from trl import GRPOConfig

from mammoth_math.files import InputError
from mammoth_math.training.config import ModelChoice, read_config_values
from mammoth_math.training.grpo.rewards import ROLLOUTS

ROLLOUT_CHOICES = (*ROLLOUTS, "mixed")


@dataclass
class GRPOTrainConfig(GRPOConfig, ModelChoice):
    """GRPOConfig plus what our RL stage needs (:class:`ModelChoice`'s fields, and these).

    ``prompts``: problems with golds, each source a JSONL of rows with ``question`` and ``gold`` (optional
    ``kind``, ``options``, ``rollout``: the synthetic families' problem rows, a custom benchmark file) or
    ``<train set>:<path>`` for a file of ``../shared/data/train`` (``gsm8k:../shared/data/train/gsm8k/train.jsonl``).
    ``rollout``: ``cot``, ``pot``, ``tir`` for every prompt, or ``mixed`` (each row's own ``rollout``, else the
    modes in turn). ``grading_mode`` / ``rel_tol``: the evaluation's grading settings, so the reward is its
    verdict. ``overlong_cache``: DAPO's soft punishment interval before ``max_completion_length`` (tokens; 0:
    off). ``sandbox_*``: limits of the programs rewards run (``$MAMMOTH_SANDBOX_URL`` sends them to
    ``sandbox serve`` hosts). ``max_tool_calls``: code blocks a tir rollout may run. ``judge``: a judge model
    served at ``judge_base_url`` (OpenAI-compatible) adds the ``judge`` reward for answers the rules reject
    (:mod:`.judged`; off by default).
    """

    method: str = "grpo"
    prompts: list[str] = field(default_factory=list)
    max_prompts: int | None = None
    rollout: str = "cot"
    grading_mode: str = "strict"
    rel_tol: float | None = None
    overlong_cache: int = 0
    max_tool_calls: int = 4
    sandbox_timeout: float = 5.0
    sandbox_memory_mb: int = 1024
    sandbox_workers: int | None = None
    judge: str | None = None
    judge_base_url: str | None = None


def load_grpo_config(path: str | os.PathLike | None, overrides: typing.Sequence[str] = (),
                     cpu_fallback: bool = False) -> GRPOTrainConfig:
    """Build a :class:`GRPOTrainConfig`; bad values fail naming the file and the field. ``cpu_fallback`` (dry
    runs) turns off bf16/fp16 and vLLM where no GPU is here: the plan still reads the file's values."""
    where = path or "<command line>"
    values = read_config_values(path, overrides, GRPOTrainConfig)
    if cpu_fallback:
        import torch

        if not torch.cuda.is_available():
            values.update(bf16=False, fp16=False)
    values.setdefault("output_dir", "runs/grpo")
    if values.get("rollout", "cot") not in ROLLOUT_CHOICES:
        raise InputError(where, f"must be one of {', '.join(ROLLOUT_CHOICES)}", field="rollout")
    if values.get("judge") and not values.get("judge_base_url"):
        raise InputError(where, "a judge model needs the URL of its OpenAI-compatible server", field="judge_base_url")
    if values.get("method", "grpo") != "grpo":
        raise InputError(where, "a GRPO config has method: grpo", field="method")
    if "generation_batch_size" in values and "steps_per_generation" in values:
        # a resolved train_config.yaml holds both, one derived from the other; TRL takes one
        del values["generation_batch_size"]
    try:
        return GRPOTrainConfig(**values)
    except (TypeError, ValueError) as e:
        raise InputError(where, str(e)) from None
