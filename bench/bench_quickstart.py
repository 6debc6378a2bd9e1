"""The quickstart's training under a competing CPU-bound process, before and after issue 13's thread default.

Before: torch was fixed at 2 threads; on a shared 2-core machine one thread waits for a busy core at every
parallel op and training fell from ~5 to ~0.2 steps/s. After: ``--threads`` defaults to the cores free now
(:func:`mammoth_math.cpu.free_threads`). Each setting trains the quickstart's model (hidden 128, 4 layers,
batch 16) for a few steps in a fresh process, alone and next to one busy-loop process; printed: steps/s,
the threads used, and the slowdown factor (alone / with the competitor; target <= 2.5x after).
Run: python bench/bench_quickstart.py [--steps 40]. The numbers mean most on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "configs" / "train" / "tiny-cpu.yaml"
# The quickstart's model and batch (mammoth_math.synthetic.quickstart.QuickstartConfig defaults).
MODEL = ["tiny_hidden_size=128", "tiny_layers=4", "tiny_heads=4", "tiny_vocab_size=600",
         "per_device_train_batch_size=16", "max_length=512", "save_strategy=no", "report_to=[]",
         "disable_tqdm=true", "logging_steps=1000", "learning_rate=3e-3"]


def child(threads: int | None, steps: int) -> None:
    """One training run in this process; prints JSON with the threads used and steps/s of the loop."""
    from transformers import TrainerCallback

    from mammoth_math.cpu import set_threads
    from mammoth_math.synthetic.generate import generate
    from mammoth_math.training import load_config, train

    class Clock(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            self.start = time.perf_counter()

        def on_train_end(self, args, state, control, **kwargs):
            self.seconds = time.perf_counter() - self.start

    used = set_threads(threads)
    rows = [{"instruction": p.question, "input": "", "output": out}
            for p in generate(200, seed=0) for out in (p.cot, p.pot)]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        clock = Clock()
        train(load_config(TINY, [f"data={data}", f"output_dir={tmp}/out", f"max_steps={steps}", *MODEL]),
              callbacks=[clock])
    print(json.dumps({"threads": used, "steps_per_s": steps / clock.seconds}))


def _busy_loop() -> None:
    while True:
        pass


def measure(threads: int | None, steps: int, competitor: bool) -> dict:
    busy = multiprocessing.Process(target=_busy_loop, daemon=True) if competitor else None
    if busy:
        busy.start()
        time.sleep(1.0)  # running before the run picks its thread count, as a user's other job would be
    try:
        args = [sys.executable, __file__, "--child", "--steps", str(steps)] + (["--threads", str(threads)] if threads else [])
        done = subprocess.run(args, capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        if busy:
            busy.terminate()
            busy.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.threads, args.steps)
        return
    print(f"{'setting':<28} {'alone':>16} {'with competitor':>18} {'slowdown':>9}")
    for label, threads in (("before: 2 fixed threads", 2), ("after: default (free cores)", None)):
        alone = measure(threads, args.steps, competitor=False)
        shared = measure(threads, args.steps, competitor=True)
        print(f"{label:<28} {alone['steps_per_s']:7.2f} steps/s ({alone['threads']}) "
              f"{shared['steps_per_s']:9.2f} steps/s ({shared['threads']}) "
              f"{alone['steps_per_s'] / shared['steps_per_s']:8.1f}x")


if __name__ == "__main__":
    main()
