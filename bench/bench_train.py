"""Training throughput on CPU: padding-free batches against plain padded batches, one run, same examples.

The tiny recipe (configs/train/tiny-cpu.yaml) trains on MathInstruct-shaped rows: real GSM8K and MATH
solutions from ../shared/data/train when present (CoT lengths), plus PoT-length programs; a byte-level BPE
of 2,000 tokens gives realistic token counts. Prints non-padding tokens/s for each mode and the ratio
(target >= 1.5x), best of alternating repeats. Run: python bench/bench_train.py [--steps 10] [--batch 16]
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import torch

from transformers import TrainerCallback

from mammoth_math.training import load_config, train

REPO = Path(__file__).resolve().parents[1]
SHARED_TRAIN = REPO.parent / "shared" / "data" / "train"


def mathinstruct_like_rows(n: int, seed: int = 0) -> list[dict]:
    """CoT rows from GSM8K/MATH when the shared data is here, else synthetic; a third are PoT programs."""
    rng = random.Random(seed)
    cot: list[tuple[str, str]] = []
    gsm = SHARED_TRAIN / "gsm8k" / "train.jsonl"
    if gsm.exists():
        for line in gsm.read_text(encoding="utf-8").splitlines()[:2000]:
            obj = json.loads(line)
            cot.append((obj["question"], obj["answer"]))
    for path in sorted((SHARED_TRAIN / "math").glob("*/*.json"))[:2000]:
        obj = json.loads(path.read_text(encoding="utf-8"))
        cot.append((obj["problem"], obj["solution"]))
    if not cot:  # no shared data: lognormal word counts like MathInstruct's CoT rationales
        words = "the total number of apples is so we add and then divide by two to get answer".split()
        cot = [(" ".join(rng.choices(words, k=int(rng.lognormvariate(3.8, 0.5)))),
                " ".join(rng.choices(words, k=int(rng.lognormvariate(4.6, 0.6))))) for _ in range(n)]
    rows = []
    for i in range(n):
        question, answer = rng.choice(cot)
        if i % 3 == 0:  # PoT: a short program, as MathInstruct's PoT half
            lines = [f"x{j} = {rng.randint(1, 99)}" for j in range(rng.randint(2, 12))]
            answer = "\n".join([*lines, f"print({' + '.join(f'x{j}' for j in range(len(lines)))})"])
            question += " Let's write a program."
        rows.append({"instruction": question, "input": "", "output": answer})
    return rows


class Clock(TrainerCallback):
    """Wall time and non-padding tokens of the training loop only (tokenizer and data prep excluded)."""

    def on_train_begin(self, args, state, control, **kwargs):
        self.start, self.tokens0 = time.perf_counter(), state.num_input_tokens_seen

    def on_train_end(self, args, state, control, **kwargs):
        self.seconds = time.perf_counter() - self.start
        self.tokens = state.num_input_tokens_seen - self.tokens0


def run(data: Path, out: Path, padding_free: bool, steps: int, batch: int) -> tuple[float, int, float]:
    clock = Clock()
    overrides = [f"data={data}", f"output_dir={out}", f"max_steps={steps}", f"per_device_train_batch_size={batch}",
                 "report_to=[]", "save_strategy=no", "disable_tqdm=true", "tiny_vocab_size=2000", "max_length=512",
                 f"padding_free={str(padding_free).lower()}"]
    train(load_config(REPO / "configs" / "train" / "tiny-cpu.yaml", overrides), callbacks=[clock])
    return clock.tokens / clock.seconds, clock.tokens, clock.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--rows", type=int, default=320)
    parser.add_argument("--repeats", type=int, default=3, help="alternating runs per mode; the fastest counts")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is steadiest on a shared box)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results: dict[bool, list[tuple[float, int, float]]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "rows.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in mathinstruct_like_rows(args.rows)), encoding="utf-8")
        for i in range(args.repeats):  # alternate, so load from other processes hits both modes alike
            for padding_free in (False, True):
                results[padding_free].append(run(data, Path(tmp) / f"{padding_free}{i}", padding_free, args.steps,
                                                 args.batch))
    padded, free = max(results[False]), max(results[True])
    print(f"{'mode':<14}{'tokens':>10}{'seconds':>10}{'tokens/s':>12}")
    for name, (rate, tokens, seconds) in (("padded", padded), ("padding-free", free)):
        print(f"{name:<14}{tokens:>10}{seconds:>10.2f}{rate:>12.0f}")
    print(f"padding-free / padded throughput: {free[0] / padded[0]:.2f}x (target >= 1.5x)")


if __name__ == "__main__":
    main()
