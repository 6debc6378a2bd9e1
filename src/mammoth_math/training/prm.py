"""Process reward model training: a token-classification head learns, at each step's last token, whether the
step is good (Math-Shepherd's labels: ``data.step_labels``); every other token is ignored (label -100).

``mammoth-math train --method prm --config configs/train/prm-tiny.yaml model=<dir> data=[<step labels>]``.
Rows are TRL's stepwise form, ``{"prompt", "completions": [steps], "labels": [bools]}``, read through
``prompts.prm_tokens``, the encoding ``eval --process-reward-model`` scores with. The installed TRL has no
``PRMTrainer``, so this is transformers' ``Trainer`` on ``AutoModelForTokenClassification`` (two labels: bad,
good). The step separator is saved in the model's config (``step_separator``) so scoring splits steps alike.
Resumes from the last checkpoint in ``output_dir``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from transformers import TrainingArguments

from mammoth_math.files import InputError, iter_jsonl
from mammoth_math.prompts import STEP_SEPARATOR, prm_tokens
from mammoth_math.training.config import load_model_data_config, save_config

log = logging.getLogger(__name__)

IGNORE = -100  # the loss skips every token but a step's last


@dataclass
class PRMConfig(TrainingArguments):
    """TrainingArguments plus ``model`` (a causal LM folder or hub id: a fresh two-label head is put on it),
    ``data`` (step-label files), ``step_separator`` and ``max_length`` (tokens; longer rows are cut, their late
    steps unlabelled)."""

    model: str = ""
    data: list[str] = field(default_factory=list)
    step_separator: str = STEP_SEPARATOR
    max_length: int = 1024


def load_prm_config(path: str | os.PathLike | None, overrides: Sequence[str] = ()) -> PRMConfig:
    return load_model_data_config(PRMConfig, path, overrides, "runs/prm")


@dataclass(frozen=True)
class StepRow:
    prompt: str
    steps: list[str]
    labels: list[bool]


def read_step_labels(path: str | os.PathLike) -> list[StepRow]:
    """The rows of a step-label file, each checked: as many labels as steps, labels true or false."""
    rows = []
    for line, obj in iter_jsonl(path):
        steps, labels = obj.get("completions"), obj.get("labels")
        if not isinstance(obj.get("prompt"), str) or not isinstance(steps, list) or not isinstance(labels, list):
            raise InputError(path, "a step-label row has prompt (text), completions and labels (lists)", line=line)
        if len(steps) != len(labels) or not all(isinstance(x, bool) for x in labels):
            raise InputError(path, f"{len(steps)} steps but labels {labels!r}: one true/false per step", line=line,
                             field="labels")
        rows.append(StepRow(obj["prompt"], [str(s) for s in steps], labels))
    return rows


def encode_row(tokenizer: Any, row: StepRow, separator: str, max_length: int) -> dict[str, list[int]]:
    """Token ids and labels: 1/0 at each step's last token, -100 elsewhere (and past ``max_length``)."""
    ids, ends = prm_tokens(tokenizer, row.prompt, row.steps, separator)
    labels = [IGNORE] * len(ids)
    for end, good in zip(ends, row.labels):
        labels[end] = int(good)
    return {"input_ids": ids[:max_length], "labels": labels[:max_length]}


@dataclass
class PRMResult:
    output_dir: str
    rows: int
    steps: int
    losses: list[float]
    resumed_from: str | None


def train_prm(config: PRMConfig) -> PRMResult:
    """Encode the rows, train, save model (its config naming the separator), tokenizer, state and config."""
    from datasets import Dataset
    from transformers import (AutoModelForTokenClassification, AutoTokenizer, DataCollatorForTokenClassification,
                              Trainer)
    from transformers.trainer_utils import get_last_checkpoint

    rows = [r for path in config.data for r in read_step_labels(path)]
    if not rows:
        raise ValueError(f"no step labels in {', '.join(config.data)} (write them with data step-labels)")
    tokenizer = AutoTokenizer.from_pretrained(config.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    encoded = [encode_row(tokenizer, r, config.step_separator, config.max_length) for r in rows]
    log.info("%d rows, %d labelled steps", len(rows), sum(len(r.steps) for r in rows))
    out = Path(config.output_dir)
    resume = config.resume_from_checkpoint or (get_last_checkpoint(str(out)) if out.is_dir() else None)
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "train_config.yaml")
    model = AutoModelForTokenClassification.from_pretrained(config.model, num_labels=2)
    model.config.pad_token_id = tokenizer.pad_token_id
    model.config.step_separator = config.step_separator  # read back by the scorer
    trainer = Trainer(model=model, args=config, train_dataset=Dataset.from_list(encoded),
                      data_collator=DataCollatorForTokenClassification(tokenizer), processing_class=tokenizer)
    trainer.train(resume_from_checkpoint=resume)
    trainer.save_model(str(out))
    trainer.save_state()
    tokenizer.save_pretrained(str(out))
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return PRMResult(str(out), len(rows), sum(len(r.steps) for r in rows), losses, resume)
