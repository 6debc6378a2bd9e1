"""Training: MAmmoTH's hybrid instruction tuning on TRL's SFTTrainer, then GRPO against our grader and sandbox
(:mod:`.grpo`), from one CPU to many GPUs.

Imported lazily (TRL and torch are heavy): ``from mammoth_math.training import train, load_config``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "TrainConfig": "config", "load_config": "config", "save_config": "config", "config_method": "config",
    "GRPOTrainConfig": "grpo.config", "load_grpo_config": "grpo.config", "train_grpo": "grpo.run",
    "encode": "examples", "encode_rows": "examples", "load_rows": "examples", "IGNORE": "examples",
    "train": "run", "dry_run": "run", "TrainResult": "run", "DryRunReport": "run", "AdaptiveThreadsCallback": "run",
    "train_bpe_tokenizer": "tiny", "tiny_llama": "tiny",
    "load_adapter": "lora", "merge_adapter": "lora",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"mammoth_math.training.{_EXPORTS[name]}"), name)
