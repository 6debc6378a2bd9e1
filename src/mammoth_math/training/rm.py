"""Outcome reward model training: a correct and a wrong solution to one problem make a pair for TRL's
``RewardTrainer`` (a one-label sequence classifier on top of ``model``, Bradley-Terry loss).

``mammoth-math train --method rm --config configs/train/rm-tiny.yaml model=<dir> data=[<graded samples>]``.
Graded samples on disk, one problem a line, are either evaluation records (``eval --samples n``: each attempt
keeps its own verdict; read as JSON, so training never imports evaluation) or ``data distill``'s
``samples.jsonl`` (CoT samples graded here against the gold; PoT samples would need the sandbox and are left
out). Each problem gives at most ``pairs_per_problem`` pairs of distinct texts, correct against wrong, taken
round-robin so each text is used before any is reused. Both texts are ``prompts.reward_input``: what
``eval --reward-model`` scores. Resumes from the last checkpoint in ``output_dir``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trl import RewardConfig

from mammoth_math.files import InputError, iter_jsonl
from mammoth_math.prompts import reward_input
from mammoth_math.training.config import load_model_data_config, save_config

log = logging.getLogger(__name__)


@dataclass
class RMConfig(RewardConfig):
    """RewardConfig plus ``model`` (a causal LM folder or hub id: TRL puts a one-label head on it), ``data``
    (files of graded samples) and ``pairs_per_problem``."""

    model: str = ""
    data: list[str] = field(default_factory=list)
    pairs_per_problem: int = 4


def load_rm_config(path: str | os.PathLike | None, overrides: Sequence[str] = ()) -> RMConfig:
    return load_model_data_config(RMConfig, path, overrides, "runs/rm")


@dataclass(frozen=True)
class GradedProblem:
    question: str
    samples: list[tuple[str, bool]]  # (text, correct)


def read_graded(path: str | os.PathLike) -> list[GradedProblem]:
    """The graded samples of one file, evaluation records or distill samples, told apart line by line."""
    problems = []
    for line, obj in iter_jsonl(path):
        if "attempts" in obj and "question" in obj:
            samples = [(str(a["text"]), bool(a["correct"])) for a in obj["attempts"] if a.get("correct") is not None]
            if len(obj["attempts"]) == 1 and not samples and obj.get("correct") is not None:
                samples = [(str(obj["attempts"][0]["text"]), bool(obj["correct"]))]  # a single-sample record
            problems.append(GradedProblem(str(obj["question"]), samples))
        elif "problem" in obj and "texts" in obj:
            problems.append(_graded_distill(obj))
        else:
            raise InputError(path, "neither an evaluation record (question, attempts) nor a distill sample "
                                   "(problem, texts)", line=line)
    return problems


def _graded_distill(obj: dict[str, Any]) -> GradedProblem:
    """CoT samples graded by the data builder's own answer check (the one its verification applies)."""
    from mammoth_math.data.examples import Example
    from mammoth_math.data.tir import check_answer

    problem = obj["problem"]
    if not problem.get("gold"):  # labelled by a majority later, if at all: no verdicts to learn from
        return GradedProblem(str(problem["question"]), [])
    options = tuple(problem["options"]) if problem.get("options") else None
    samples = [(text, check_answer(Example(str(problem.get("source", "")), str(problem.get("id", "")), "cot",
                                           str(problem["question"]), text, str(problem["gold"]), problem["kind"],
                                           options)) is None)
               for text in obj["texts"].get("cot", [])]
    return GradedProblem(str(problem["question"]), samples)


def build_pairs(problems: Sequence[GradedProblem], per_problem: int) -> list[dict[str, str]]:
    """TRL's implicit-prompt preference rows: ``chosen`` (a correct solution) and ``rejected`` (a wrong one)."""
    rows = []
    for problem in problems:
        right = list(dict.fromkeys(text for text, ok in problem.samples if ok))
        wrong = list(dict.fromkeys(text for text, ok in problem.samples if not ok))
        if not right or not wrong:
            continue
        for i in range(min(per_problem, max(len(right), len(wrong)))):
            rows.append({"chosen": reward_input(problem.question, right[i % len(right)]),
                         "rejected": reward_input(problem.question, wrong[i % len(wrong)])})
    return rows


@dataclass
class RMResult:
    output_dir: str
    problems: int
    pairs: int
    losses: list[float]
    resumed_from: str | None


def train_rm(config: RMConfig) -> RMResult:
    """Build the pairs, train, save model, tokenizer, trainer state and the resolved config into ``output_dir``."""
    from datasets import Dataset
    from transformers import AutoTokenizer
    from transformers.trainer_utils import get_last_checkpoint
    from trl import RewardTrainer

    problems = [p for path in config.data for p in read_graded(path)]
    pairs = build_pairs(problems, config.pairs_per_problem)
    if not pairs:
        raise ValueError(f"no pairs: none of the {len(problems)} problems in {', '.join(config.data)} has both a "
                         "correct and a wrong sample (sample more: eval --samples n)")
    log.info("%d pairs from %d problems", len(pairs), len(problems))
    out = Path(config.output_dir)
    resume = config.resume_from_checkpoint or (get_last_checkpoint(str(out)) if out.is_dir() else None)
    tokenizer = AutoTokenizer.from_pretrained(config.model)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    out.mkdir(parents=True, exist_ok=True)
    save_config(config, out / "train_config.yaml")
    trainer = RewardTrainer(model=config.model, args=config, train_dataset=Dataset.from_list(pairs),
                            processing_class=tokenizer)
    trainer.model.config.pad_token_id = tokenizer.pad_token_id  # the head reads the last non-pad token
    trainer.train(resume_from_checkpoint=resume)
    trainer.save_model(str(out))
    trainer.save_state()
    tokenizer.save_pretrained(str(out))
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    return RMResult(str(out), len(problems), len(pairs), losses, resume)
