"""A GRPO run: config -> problems with golds -> tokenizer and model -> TRL ``GRPOTrainer`` with our rewards.

``mammoth-math train --config configs/train/grpo-*.yaml`` (``method: grpo``) calls :func:`train_grpo`. The
rewards (:mod:`.rewards`) grade each rollout as the evaluation does; programs run in the sandbox that
``sandbox.open_sandbox`` gives (in this process, or the ``sandbox serve`` hosts of ``$MAMMOTH_SANDBOX_URL``).
Starts from a base model, an SFT output folder or the tiny recipe; full or LoRA; resumes from the last
checkpoint in ``output_dir``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mammoth_math.training.grpo.config import GRPOTrainConfig
from mammoth_math.training.grpo.prompts import RLProblem, dataset_rows, load_problems
from mammoth_math.training.grpo.rewards import Rewarder, reward_functions

log = logging.getLogger(__name__)


@dataclass
class GRPOResult:
    output_dir: str
    prompts: int
    steps: int
    resumed_from: str | None
    rewards: dict[str, list[float]] = field(default_factory=dict)  # reward name -> its mean per logged step
    seconds_per_step: float = 0.0
    step_times: list[float] = field(default_factory=list)  # TRL's ``step_time`` per logged step (generation included)


def tokenizer_for(config: GRPOTrainConfig, problems: list[RLProblem], resume_dir: str | None = None) -> Any:
    """The tiny recipe trains its BPE on the prompts and golds (or reloads it from a checkpoint); otherwise
    the model's (or ``tokenizer``'s) own."""
    from mammoth_math.training.run import load_tokenizer
    from mammoth_math.training.tiny import train_bpe_tokenizer

    if config.model == "tiny" and not config.tokenizer:
        if resume_dir:
            from transformers import AutoTokenizer

            return AutoTokenizer.from_pretrained(resume_dir)
        return train_bpe_tokenizer((p.question + "\n" + p.gold for p in problems), config.tiny_vocab_size)
    return load_tokenizer(config, [])  # type: ignore[arg-type]


def train_grpo(config: GRPOTrainConfig, rewards: Sequence[Callable[..., list[float]]] | None = None,
               callbacks: Sequence[Any] = ()) -> GRPOResult:
    """Train with TRL's GRPOTrainer; save model, tokenizer, state and the resolved config.

    ``rewards`` replaces our reward functions (``bench/bench_grpo.py`` times steps with constant ones);
    ``callbacks`` are the trainer's (``TrainerCallback``), as for SFT's ``train``.
    """
    import time

    from datasets import Dataset
    from trl import GRPOTrainer

    from mammoth_math.training.config import save_config
    from mammoth_math.training.run import is_main, last_complete_checkpoint, load_model, lora_config, readable_logs

    if (config.lora or config.qlora) and config.model == "tiny":
        raise ValueError("LoRA adapts a trained base: set model=<local dir or hub id>, not 'tiny'")
    problems = load_problems(config.prompts, config.max_prompts)
    rows = dataset_rows(problems, config.rollout)
    out = Path(config.output_dir)
    # a checkpoint a kill cut short is skipped (and removed), as for SFT
    resume = config.resume_from_checkpoint or (last_complete_checkpoint(out) if out.is_dir() else None)
    tokenizer = tokenizer_for(config, problems, resume)
    if is_main():
        out.mkdir(parents=True, exist_ok=True)
        save_config(config, out / "train_config.yaml")
    with ExitStack() as stack:
        sandbox = None
        if any(r["rollout"] != "cot" for r in rows):
            from mammoth_math.sandbox import open_sandbox

            sandbox = stack.enter_context(open_sandbox(config.sandbox_timeout, config.sandbox_memory_mb,
                                                       config.sandbox_workers))
        rewarder = Rewarder(sandbox, config.grading_mode, config.rel_tol, config.max_tool_calls)
        judge = None
        if config.judge:
            from mammoth_math.backends.judge import Judge

            judge = Judge.build(config.judge, config.judge_base_url or "", str(out / "judge_responses"))
            stack.callback(judge.close)
        rollout_func = None
        if any(r["rollout"] == "tir" for r in rows):  # multi-turn: our loop generates, TRL trains on its tokens
            from mammoth_math.training.grpo.tir import rollout_function

            rollout_func = rollout_function(sandbox, {r["prompt"]: r["rollout"] for r in rows}, config.max_tool_calls)
        cache = config.overlong_cache or 0
        trainer = GRPOTrainer(
            model=load_model(config, tokenizer),  # type: ignore[arg-type]
            reward_funcs=list(rewards or reward_functions(rewarder, config.max_completion_length or 256, cache,
                                                                judge)),
            args=config,
            train_dataset=Dataset.from_list(rows),
            processing_class=tokenizer,
            peft_config=lora_config(config) if (config.lora or config.qlora) else None,  # type: ignore[arg-type]
            rollout_func=rollout_func,
            callbacks=list(callbacks),
        )
        readable_logs(trainer)
        start = time.perf_counter()
        trainer.train(resume_from_checkpoint=resume)
        seconds = time.perf_counter() - start
    trainer.save_model(str(out))
    trainer.save_state()
    if is_main():
        tokenizer.save_pretrained(str(out))
    steps = trainer.state.global_step
    history = trainer.state.log_history
    return GRPOResult(str(out), len(problems), steps, resume, reward_curves(history), seconds / max(steps, 1),
                      [h["step_time"] for h in history if "step_time" in h])


def reward_curves(log_history: Sequence[dict[str, Any]]) -> dict[str, list[float]]:
    """Reward function -> its mean per logged step, read from the trainer's log (``rewards/<name>/mean``)."""
    keys = sorted({k for h in log_history for k in h if k.startswith("rewards/") and k.endswith("/mean")})
    return {key.split("/")[1]: [h[key] for h in log_history if key in h] for key in keys}
