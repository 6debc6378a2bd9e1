"""Training run: config -> tokenizer, rows, masked examples -> TRL ``SFTTrainer`` (+ PEFT) -> saved model.

``mammoth-math train --config configs/train/X.yaml`` calls :func:`train`; ``--dry-run`` calls
:func:`dry_run`, which stops before the model is loaded. Works unchanged under ``accelerate launch`` /
``torchrun`` (the world size comes from the environment) and resumes from the last checkpoint it finds.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import Trainer
from transformers.trainer_callback import PrinterCallback, ProgressCallback, TrainerCallback
from trl import SFTTrainer

from mammoth_math.cpu import AdaptiveThreads
from mammoth_math.hub import check_model
from mammoth_math.training.config import TrainConfig, save_config
from mammoth_math.training.examples import EncodeStats, encode_rows, load_rows
from mammoth_math.training.tiny import tiny_llama, train_bpe_tokenizer

log = logging.getLogger(__name__)


@dataclass
class BatchPlan:
    """How the global batch is made and how many optimizer steps the data gives (before any ``packing``,
    which changes the number of rows; padding-free batches keep it)."""

    world_size: int
    per_device: int
    accumulation: int
    examples: int
    epochs: float
    max_steps: int = -1  # TrainingArguments' max_steps: when > 0 it wins over epochs

    @property
    def global_batch(self) -> int:
        return self.per_device * self.accumulation * self.world_size

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(self.examples / self.global_batch)

    @property
    def total_steps(self) -> int:
        return self.max_steps if self.max_steps > 0 else math.ceil(self.steps_per_epoch * self.epochs)


@dataclass
class DryRunReport:
    config: TrainConfig
    plan: BatchPlan
    stats: EncodeStats | None  # None when the tokenizer could not be loaded here
    needs_hub: list[str] = field(default_factory=list)


@dataclass
class TrainResult:
    output_dir: str
    plan: BatchPlan | None  # None when the run had finished before: no data was read
    stats: EncodeStats | None
    losses: list[float]
    final_loss: float
    resumed_from: str | None
    finished_before: bool = False  # the output held a finished run of these steps: nothing was trained


def world_size() -> int:
    return int(os.environ.get("WORLD_SIZE", "1"))


def plan_batches(config: TrainConfig, examples: int, processes: int | None = None) -> BatchPlan:
    """Fix gradient accumulation from ``global_batch_size`` (if set) and the world size; log the product."""
    world = processes or world_size()
    per_device = config.per_device_train_batch_size
    _resolve_accumulation(config, world)
    plan = BatchPlan(world, per_device, config.gradient_accumulation_steps, examples, config.num_train_epochs,
                     config.max_steps)
    log.info("global batch %d = %d per device x %d accumulation x %d processes; %d steps/epoch, %d steps",
             plan.global_batch, per_device, plan.accumulation, world, plan.steps_per_epoch, plan.total_steps)
    return plan


def _resolve_accumulation(config: TrainConfig, world: int) -> None:
    per_device = config.per_device_train_batch_size
    if config.global_batch_size:
        if config.global_batch_size % (per_device * world):
            raise ValueError(f"global_batch_size {config.global_batch_size} is not divisible by per-device batch "
                             f"{per_device} x {world} processes")
        config.gradient_accumulation_steps = config.global_batch_size // (per_device * world)


def load_tokenizer(config: TrainConfig, rows: list, resume_dir: str | None = None, local_only: bool = False) -> Any:
    """The tiny recipe trains its BPE on the rows (or reloads it from a checkpoint); otherwise AutoTokenizer
    (``local_only``: from a folder or the hub cache, never the network)."""
    from transformers import AutoTokenizer

    if config.model == "tiny" and not config.tokenizer:
        if resume_dir:
            return AutoTokenizer.from_pretrained(resume_dir)
        texts = (r.instruction + "\n" + r.input + "\n" + r.output for r in rows)
        return train_bpe_tokenizer(texts, config.tiny_vocab_size)
    tokenizer = AutoTokenizer.from_pretrained(config.tokenizer or config.model, local_files_only=local_only)
    if tokenizer.pad_token is None:  # Llama/Mistral ship none; padded label positions are -100 anyway
        tokenizer.pad_token = tokenizer.unk_token or tokenizer.eos_token
    return tokenizer


def _rows(config: TrainConfig) -> list:
    rows = load_rows(config.data)
    return rows[: config.max_train_examples] if config.max_train_examples else rows


def prepare(config: TrainConfig, resume_dir: str | None = None, processes: int | None = None,
            tokenizer: Any = None) -> tuple[Any, list[dict], EncodeStats, BatchPlan]:
    """Tokenizer, masked examples, stats and batch plan: everything before the model."""
    rows = _rows(config)
    tokenizer = tokenizer or load_tokenizer(config, rows, resume_dir)
    examples, stats = encode_rows(tokenizer, rows, config.max_length, config.overlong)  # type: ignore[arg-type]
    if not examples:
        raise ValueError(f"no training examples left ({stats.rows} rows, {stats.dropped_overlong} over-long)")
    return tokenizer, examples, stats, plan_batches(config, len(examples), processes)


def dry_run(config: TrainConfig, processes: int | None = None) -> DryRunReport:
    """Load config, tokenizer and data and report counts and steps without training.

    Nothing is downloaded: a tokenizer that is neither a folder nor in the hub cache leaves ``stats`` None,
    the batch/steps math is reported from the row count and ``needs_hub`` says what a real run would fetch
    (pass ``tokenizer=<local dir>`` for token counts). ``processes`` plans the batch for that many GPUs
    instead of this launch's world size.
    """
    rows = _rows(config)  # a missing data file fails here, before any tokenizer
    tokenizer = None  # the tiny recipe trains its own on the rows
    if config.model != "tiny" or config.tokenizer:
        try:
            tokenizer = load_tokenizer(config, rows, local_only=True)
        except (OSError, ValueError):  # neither a folder nor in the hub cache
            needs = [f"tokenizer {config.tokenizer or config.model} (token counts, length overflow)",
                     f"model weights {config.model}"]
            return DryRunReport(config, plan_batches(config, len(rows), processes), None, needs)
    _, _, stats, plan = prepare(config, processes=processes, tokenizer=tokenizer)
    return DryRunReport(config, plan, stats)


def train(config: TrainConfig, callbacks: Sequence[TrainerCallback] = ()) -> TrainResult:
    """Train (full, LoRA or QLoRA) with TRL's SFTTrainer; save model, tokenizer, state and resolved config.

    Resumes from ``resume_from_checkpoint`` or, when unset, the newest complete ``checkpoint-*`` in
    ``output_dir`` (:func:`last_complete_checkpoint`). A finished run of the same config and data is reported
    at once, before any data, tokenizer or model is loaded.
    """
    for key, name in (("model", config.model if config.model != "tiny" else None), ("tokenizer", config.tokenizer)):
        if name:
            check_model(name, key)  # a missing folder or an uncached hub id offline: said now, not after retries
    from datasets import Dataset

    if (config.lora or config.qlora) and config.model == "tiny":
        raise ValueError("LoRA adapts a trained base: set model=<local dir or hub id>, not 'tiny'")
    out = Path(config.output_dir)
    _resolve_accumulation(config, world_size())
    finished = _finished_run(out, config)
    if finished is not None:
        log.info("%s already holds a finished run of this config (%d steps): nothing to train", out,
                 finished["global_step"])
        losses = [h["loss"] for h in finished["log_history"] if "loss" in h]
        final = next((h["train_loss"] for h in reversed(finished["log_history"]) if "train_loss" in h), float("nan"))
        return TrainResult(str(out), None, None, losses, float(final), None, finished_before=True)
    resume = config.resume_from_checkpoint or (last_complete_checkpoint(out) if out.is_dir() else None)
    tokenizer, examples, stats, plan = prepare(config, resume)
    if resume:
        log.info("resuming from %s", resume)
    if is_main():
        out.mkdir(parents=True, exist_ok=True)
        save_config(config, out / "train_config.yaml")
    if config.padding_free and not config.packing:
        config.max_length = None  # over-long rows are already dropped; TRL refuses a max_length it would not apply
    trainer = _SFTTrainer(
        model=load_model(config, tokenizer),
        args=config,
        train_dataset=Dataset.from_list(examples),
        processing_class=tokenizer,
        peft_config=lora_config(config) if (config.lora or config.qlora) else None,
        callbacks=list(callbacks),
    )
    readable_logs(trainer)
    output = trainer.train(resume_from_checkpoint=resume)
    trainer.save_model(str(out))
    trainer.save_state()  # trainer_state.json: the loss history beside the model
    if is_main():
        tokenizer.save_pretrained(str(out))
    if config.merge_lora and (config.lora or config.qlora) and is_main():
        from mammoth_math.training.lora import merge_adapter

        merge_adapter(out, out / "merged", base=config.model)
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return TrainResult(str(out), plan, stats, losses, float(output.training_loss), resume)


class _SFTTrainer(SFTTrainer):
    """TRL's trainer, whose loss on a CPU is the model's own cross-entropy over the logits.

    TRL's fused LM head scores only the labelled positions with Triton on a GPU; elsewhere it scores every
    position (prompts included) in tiles and works out entropy and token accuracy for its logs on the way:
    a quarter of each step of the quickstart's model (bench/bench_quickstart.py). The loss is the same: the
    sum over labelled tokens divided by their count.
    """

    def compute_loss(self, model: Any, inputs: dict, return_outputs: bool = False,
                     num_items_in_batch: Any = None) -> Any:
        if self.args.device.type != "cpu" or self.aux_loss_enabled or return_outputs:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        return Trainer.compute_loss(self, model, {**inputs, "use_cache": False}, num_items_in_batch=num_items_in_batch)


# What a checkpoint holds once its save finished: the trainer writes trainer_state.json last (after the
# weights, the tokenizer, optimizer, scheduler and RNG states), and resuming reads the weights and tokenizer.
# Weights are one of these files, or (sharded FSDP, DeepSpeed ZeRO) a folder matching _SHARDED_WEIGHTS.
_WEIGHTS = ("model.safetensors", "model.safetensors.index.json", "adapter_model.safetensors", "pytorch_model.bin",
            "pytorch_model.bin.index.json")
_SHARDED_WEIGHTS = ("pytorch_model_fsdp_*", "global_step*")


def last_complete_checkpoint(out: Path) -> str | None:
    """The newest ``checkpoint-N`` whose save finished. A newer one that a kill cut short (only
    ``config.json`` and ``generation_config.json``, say) is named in the log and removed, so that neither this
    run nor a later one resumes from it and the trainer's own rotation does not count it."""
    import shutil

    from transformers.trainer_utils import PREFIX_CHECKPOINT_DIR

    found = [p for p in out.glob(f"{PREFIX_CHECKPOINT_DIR}-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    for checkpoint in sorted(found, key=lambda p: int(p.name.split("-")[-1]), reverse=True):
        missing = _missing_from_checkpoint(checkpoint)
        if not missing:
            return str(checkpoint)
        log.warning("%s is incomplete (killed while it was saved: %s): skipped%s", checkpoint, missing,
                    " and removed" if is_main() else "")
        if is_main():
            shutil.rmtree(checkpoint, ignore_errors=True)
    return None


def _missing_from_checkpoint(checkpoint: Path) -> str | None:
    """What a finished save would have written and ``checkpoint`` lacks, or None when it is complete."""
    from mammoth_math.files import read_json

    state = checkpoint / "trainer_state.json"
    try:
        if read_json(state).get("global_step") != int(checkpoint.name.split("-")[-1]):
            return "trainer_state.json of another step"
    except (OSError, ValueError):
        return "no readable trainer_state.json"
    if not any((checkpoint / name).exists() for name in _WEIGHTS) \
            and not any(p.is_dir() for pattern in _SHARDED_WEIGHTS for p in checkpoint.glob(pattern)):
        return "no weights"
    if not (checkpoint / "tokenizer_config.json").exists():
        return "no tokenizer"
    return None


def _finished_run(out: Path, config: TrainConfig) -> dict | None:
    """The trainer state that a completed run of ``config`` saved beside its model (``save_state`` runs last),
    if it reached its last step and the data files are no newer than it: re-running a finished command must
    say so at once, not after reading the data and building the model."""
    import yaml

    from mammoth_math.files import read_json
    from mammoth_math.training.config import resolved_config

    state_file, saved_config = out / "trainer_state.json", out / "train_config.yaml"
    if not (state_file.exists() and saved_config.exists() and any((out / name).exists() for name in _WEIGHTS)):
        return None
    ignore = ("resume_from_checkpoint",)  # where to resume from is not what the run is
    same = {k: v for k, v in resolved_config(config).items() if k not in ignore}
    if {k: v for k, v in (yaml.safe_load(saved_config.read_text(encoding="utf-8")) or {}).items()
            if k not in ignore} != same:
        return None
    state = read_json(state_file)
    newer = [d for d in config.data if Path(d).exists() and Path(d).stat().st_mtime > state_file.stat().st_mtime]
    if newer or state.get("global_step", 0) < state.get("max_steps", 1) or state.get("max_steps", 0) <= 0:
        return None
    return state


def readable_logs(trainer: Any) -> None:
    """One plain line per logging interval (our callback) instead of transformers' printed dicts."""
    trainer.remove_callback(PrinterCallback)
    if trainer.pop_callback(ProgressCallback) is not None:
        trainer.add_callback(_QuietProgressCallback)
    trainer.callback_handler.callbacks.insert(0, ThroughputCallback())


def load_model(config: TrainConfig, tokenizer: Any) -> Any:
    """The model SFT and GRPO train: the tiny recipe built from config, or a folder or hub id (4-bit for QLoRA)."""
    if config.model == "tiny":
        return tiny_llama(tokenizer, config.tiny_hidden_size, config.tiny_layers, config.tiny_heads,
                          max_positions=max(getattr(config, "max_length", None) or 1024, 1024), seed=config.seed,
                          attn_implementation=config.attn_implementation or "sdpa")
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"dtype": torch.bfloat16 if config.bf16 else "auto"}
    if config.attn_implementation:
        if config.attn_implementation == "sdpa_varlen":
            from mammoth_math.training.attention import register_varlen_attention

            register_varlen_attention()
        kwargs["attn_implementation"] = config.attn_implementation
    if config.qlora:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16,
            bnb_4bit_use_double_quant=True)
    return AutoModelForCausalLM.from_pretrained(config.model, **kwargs)


def lora_config(config: TrainConfig) -> Any:
    """PEFT's LoraConfig from our lora_* fields (SFT and GRPO share it)."""
    from peft import LoraConfig

    return LoraConfig(r=config.lora_r, lora_alpha=config.lora_alpha, lora_dropout=config.lora_dropout,
                      target_modules=list(config.lora_target_modules), task_type="CAUSAL_LM")


def is_main() -> bool:
    """Rank 0 of a launch (or a single process): the one that writes shared files."""
    return int(os.environ.get("RANK", "0")) == 0


class ThroughputCallback(TrainerCallback):
    """Adds ``tokens_per_second`` (non-padding tokens, all processes) over each logging interval and logs
    the interval as one line."""

    def __init__(self) -> None:
        self._last: tuple[float, int] | None = None

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._last = (time.perf_counter(), state.num_input_tokens_seen)

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        now, seen = time.perf_counter(), state.num_input_tokens_seen
        if logs is not None and self._last is not None and now > self._last[0] and "loss" in logs:
            logs["tokens_per_second"] = round((seen - self._last[1]) / (now - self._last[0]), 1)
            log.info("step %d/%d: loss %.4f, learning rate %.3g, %.0f tokens/s", state.global_step, state.max_steps,
                     logs["loss"], logs.get("learning_rate", float("nan")), logs["tokens_per_second"])
        self._last = (now, seen)


class AdaptiveThreadsCallback(TrainerCallback):
    """Follows the free CPU cores between optimizer steps (:class:`mammoth_math.cpu.AdaptiveThreads`): a CPU run
    started next to a job that then ends takes the core it leaves, and gives one back when a job starts."""

    def __init__(self, threads: AdaptiveThreads | None = None) -> None:
        self.threads = threads or AdaptiveThreads()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.threads.update()


class _QuietProgressCallback(ProgressCallback):
    """transformers' progress bar without the dict it prints at every log."""

    def on_log(self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any) -> None:
        pass
