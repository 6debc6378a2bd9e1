"""The quickstart's cost per stage, and its training before and after issue 24's speed-ups, in one run.

First a reduced quickstart (``--problems``, ``--steps``) gives each stage's wall time. Then its data trains the
quickstart's model (hidden 128, 4 layers, batch 16) for ``--steps`` in fresh processes, alternating:
  before: TRL's fused LM head (every position scored, entropy and accuracy worked out on the way) and
          padding-free attention that slices the row per example (the slices' backward zero-fills the row);
  after:  the model's own cross-entropy on a CPU and a split row (mammoth_math.training.run / .attention).
Printed per setting (fastest of ``--repeats``): steps/s, non-padding tokens/s, CPU seconds per step, and the
ratios; then the default run's training at the measured CPU seconds per step. CPU seconds per step are the
steadiest measure on a shared machine; ``--busy 2`` runs two busy-loop processes during the timing, the issue's
"next to two busy processes".
Run: python bench/bench_quickstart.py [--steps 30] [--repeats 2] [--threads 1] [--busy 0]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

def child(out: str, threads: int, steps: int, before: bool) -> None:
    """Train ``steps`` in this process with the quickstart's settings; print JSON timings of the loop."""
    import torch
    from transformers import TrainerCallback

    from mammoth_math.synthetic import QuickstartConfig
    from mammoth_math.synthetic.quickstart import train_config
    from mammoth_math.training import train

    if before:
        _before()

    class Clock(TrainerCallback):  # from the end of the 2nd step: the first ones warm allocator and caches
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step == 2:
                self.start = (time.perf_counter(), time.process_time(), state.num_input_tokens_seen)

        def on_train_end(self, args, state, control, **kwargs):
            wall, cpu, tokens = self.start
            self.result = {"steps": state.global_step - 2, "wall": time.perf_counter() - wall,
                           "cpu": time.process_time() - cpu, "tokens": state.num_input_tokens_seen - tokens}

    torch.set_num_threads(threads)
    clock = Clock()
    with tempfile.TemporaryDirectory() as tmp:
        config = train_config(QuickstartConfig(progress=False), Path(out), output_dir=tmp, max_steps=steps + 2,
                              save_strategy="no", logging_steps=1000, disable_tqdm=True)
        train(config, callbacks=[clock])
    print(json.dumps(clock.result))


def _before() -> None:
    """The code before issue 24: TRL's loss on every device, and the per-example slices."""
    import torch
    from torch.nn.functional import scaled_dot_product_attention
    from trl import SFTTrainer

    from mammoth_math.training import attention, run

    run._SFTTrainer.compute_loss = SFTTrainer.compute_loss
    plain = attention._sdpa_varlen_forward

    def sliced(module: Any, query: Any, key: Any, value: Any, attention_mask: Any, dropout: float = 0.0,
               scaling: float | None = None, **kwargs: Any) -> tuple[Any, None]:
        bounds = kwargs.get("cu_seq_lens_q")
        if bounds is None or query.shape[0] != 1:
            return plain(module, query, key, value, attention_mask, dropout, scaling, **kwargs)
        edges = bounds.tolist()
        parts = [scaled_dot_product_attention(query[:, :, s:e], key[:, :, s:e], value[:, :, s:e], is_causal=True,
                                              scale=scaling) for s, e in zip(edges[:-1], edges[1:]) if e > s]
        return torch.cat(parts, dim=2).transpose(1, 2).contiguous(), None

    attention._sdpa_varlen_forward = sliced


def _busy_loop() -> None:
    while True:
        pass


@contextmanager
def busy(count: int):
    """``count`` busy-loop processes for the duration (a user's other jobs)."""
    loops = [multiprocessing.Process(target=_busy_loop, daemon=True) for _ in range(count)]
    for p in loops:
        p.start()
    try:
        yield
    finally:
        for p in loops:
            p.terminate()
            p.join()


def measure(out: Path, threads: int, steps: int, before: bool) -> dict:
    args = [sys.executable, __file__, "--child", str(out), "--threads", str(threads), "--steps", str(steps)]
    done = subprocess.run(args + (["--before"] if before else []), capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def reduced_run(out: Path, problems: tuple[int, int], steps: int, threads: int) -> dict[str, float]:
    """A reduced quickstart with the current code; each stage's wall seconds."""
    from mammoth_math.synthetic import QuickstartConfig, run_quickstart

    result = run_quickstart(QuickstartConfig(out_dir=str(out), train_problems=problems[0], test_problems=problems[1],
                                             max_steps=steps, threads=threads, progress=False))
    return result.seconds


def main() -> None:
    from mammoth_math.synthetic import QuickstartConfig

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs per setting; the fastest counts")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 is steadiest on a shared box)")
    parser.add_argument("--problems", type=int, nargs=2, default=(200, 30), metavar=("TRAIN", "TEST"))
    parser.add_argument("--busy", type=int, default=0, help="busy-loop processes during the training timing")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--before", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.threads, args.steps, args.before)
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "quickstart"
        stages = reduced_run(out, tuple(args.problems), args.steps, args.threads)
        print(f"reduced quickstart ({args.problems[0]} train / {args.problems[1]} test problems, {args.steps} steps, "
              f"{args.threads} thread): " + ", ".join(f"{k} {v:.1f} s" for k, v in stages.items()))
        runs: dict[bool, list[dict]] = {True: [], False: []}
        with busy(args.busy):
            for _ in range(args.repeats):  # alternate, so load from other processes hits both settings alike
                for before in (True, False):
                    runs[before].append(measure(out, args.threads, args.steps, before))
    best = {before: min(r, key=lambda m: m["cpu"] / m["steps"]) for before, r in runs.items()}
    print(f"\ntraining, {args.threads} thread{'s' * (args.threads > 1)}, {args.busy} busy processes beside "
          f"(fastest of {args.repeats}):")
    print(f"{'setting':<10}{'steps/s':>9}{'tokens/s':>10}{'CPU s/step':>12}")
    for name, before in (("before", True), ("after", False)):
        m = best[before]
        print(f"{name:<10}{m['steps'] / m['wall']:>9.2f}{m['tokens'] / m['wall']:>10.0f}{m['cpu'] / m['steps']:>12.3f}")
    cpu = {before: m["cpu"] / m["steps"] for before, m in best.items()}
    steps = QuickstartConfig().max_steps
    wall = {before: m["wall"] / m["steps"] for before, m in best.items()}
    print(f"after / before: {cpu[True] / cpu[False]:.2f}x less CPU per step, {wall[True] / wall[False]:.2f}x wall")
    print(f"default run's training on this machine: {steps} steps x {cpu[False]:.3f} CPU s = "
          f"{steps * cpu[False] / 60:.1f} CPU min (before: {steps * cpu[True] / 60:.1f}); the reduced "
          "run's other stages do not scale to it (its barely trained model writes until the token cap)")


if __name__ == "__main__":
    main()
