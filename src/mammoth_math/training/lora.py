"""LoRA adapters: reload one onto a local base model and merge it into the base weights.

The adapter directory is what ``train`` saves with ``lora: true``; ``base`` defaults to the path recorded in
the adapter's config, so a local base needs no hub.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def load_adapter(adapter_dir: str | os.PathLike, base: str | os.PathLike | None = None) -> Any:
    """The base model with the adapter attached (a ``PeftModel``), from local directories."""
    from peft import PeftConfig, PeftModel
    from transformers import AutoModelForCausalLM

    base_path = str(base or PeftConfig.from_pretrained(str(adapter_dir)).base_model_name_or_path)
    model = AutoModelForCausalLM.from_pretrained(base_path)
    return PeftModel.from_pretrained(model, str(adapter_dir))


def merge_adapter(adapter_dir: str | os.PathLike, out_dir: str | os.PathLike,
                  base: str | os.PathLike | None = None) -> Path:
    """Fold the adapter into the base weights and save a plain model (+ tokenizer, if saved) to ``out_dir``."""
    from transformers import AutoTokenizer

    merged = load_adapter(adapter_dir, base).merge_and_unload()
    out = Path(out_dir)
    merged.save_pretrained(str(out))
    if (Path(adapter_dir) / "tokenizer_config.json").exists():
        AutoTokenizer.from_pretrained(str(adapter_dir)).save_pretrained(str(out))
    return out
