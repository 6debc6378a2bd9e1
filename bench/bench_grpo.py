"""GRPO's reward stage against the step it feeds, one run: is the reward what a step waits for?

1. Rollouts rewarded per second (``Rewarder.read``, k=8 rollouts per prompt, cot/pot/tir mixed, right and
   wrong), in this process and through a ``sandbox serve`` started here on loopback.
2. Seconds per GRPO step on the tiny model with the real rewards (grader + sandbox, pot rollouts, k=8) against
   constant rewards; the issue's goal is a ratio of at most 1.2x. Both runs keep the policy fixed (learning rate
   1e-12: updates below float32 resolution), so they generate the same completions and differ only in the reward
   stage; both run on ``--workers`` sandbox workers, and the median step after two warm-up steps is compared.

    python bench/bench_grpo.py [--prompts 32] [--steps 12]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from bench_sandbox_service import _serve
from mammoth_math.prompts import code_block, output_block
from mammoth_math.sandbox import RemoteSandbox, Sandbox
from mammoth_math.training.grpo.rewards import Rewarder, Target

K = 8
REPO = Path(__file__).resolve().parents[1]


def batch(prompts: int, seed: int = 0) -> tuple[list[str], list[Target], list[str]]:
    """``prompts`` x K rollouts, a third of each mode, about half right."""
    rng = random.Random(seed)
    texts, targets, modes = [], [], []
    for p in range(prompts):
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        target = Target(str(a * b), "number", None, f"What is {a} times {b}?")
        for k in range(K):
            value = a * b + (0 if k % 2 else rng.randint(1, 9))
            mode = ("cot", "pot", "tir")[(p + k) % 3]
            text = {"cot": f"{a} times {b} is {value}. The answer is {value}.",
                    "pot": f"x = {a}\ny = {b}\nprint(x * y + {value - a * b})",
                    "tir": "We compute.\n" + code_block(f"print({a} * {b} + {value - a * b})") + output_block(str(value))
                    + f"The answer is {value}."}[mode]
            texts.append(text)
            targets.append(target)
            modes.append(mode)
    return texts, targets, modes


def rewards_per_second(sandbox, texts, targets, modes) -> float:
    rewarder = Rewarder(sandbox)
    rewarder.read(texts[:K], targets[:K], modes[:K])  # warm
    start = time.perf_counter()
    readings = rewarder.read(texts, targets, modes)
    seconds = time.perf_counter() - start
    assert sum(r.reward for r in readings) == len(texts) // 2, "half the batch is right"
    return len(texts) / seconds


def step_seconds(steps: int, constant: bool, workers: int) -> float:
    from mammoth_math.training import load_grpo_config, train_grpo

    with tempfile.TemporaryDirectory() as tmp:
        problems = Path(tmp) / "p.jsonl"
        problems.write_text("".join(json.dumps({"question": f"What is {a} plus {b}?", "gold": str(a + b)}) + "\n"
                                    for a in range(1, 9) for b in range(1, 5)))
        config = load_grpo_config(REPO / "configs" / "train" / "grpo-tiny-cpu.yaml", [
            f"prompts=[{problems}]", f"output_dir={tmp}/out", "report_to=[]", "disable_tqdm=true", "rollout=pot",
            f"max_steps={steps}", "save_strategy=no", f"num_generations={K}", f"per_device_train_batch_size={K}",
            "max_completion_length=32", "overlong_cache=8", "tiny_vocab_size=300", "learning_rate=1e-12",
            f"sandbox_workers={workers}",
            "logging_steps=1"])
        fixed = [lambda completions, **_: [1.0] * len(completions)] if constant else None
        return statistics.median(train_grpo(config, fixed).step_times[2:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--steps", type=int, default=12)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    texts, targets, modes = batch(args.prompts)
    with Sandbox(timeout=5.0, workers=args.workers) as sb:
        local = rewards_per_second(sb, texts, targets, modes)
    proc, url = _serve(args.workers, 5.0)
    try:
        with RemoteSandbox(url, timeout=5.0) as rs:
            remote = rewards_per_second(rs, texts, targets, modes)
    finally:
        proc.terminate()
        proc.wait(60)
    print(f"rollouts rewarded/s ({len(texts)} = {args.prompts} prompts x k={K}, cot/pot/tir mixed, {args.workers} "
          f"workers): in-process {local:.1f}, sandbox service {remote:.1f}")
    real, constant = step_seconds(args.steps, False, args.workers), step_seconds(args.steps, True, args.workers)
    print(f"tiny GRPO step, pot rollouts, k={K}: real rewards {real:.3f} s, constant rewards {constant:.3f} s "
          f"(median step after 2 warm-up steps, policy fixed), "
          f"ratio {real / constant:.2f}x (goal <= 1.2x)")


if __name__ == "__main__":
    main()
