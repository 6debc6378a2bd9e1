"""The harness's speed: batched evaluation vs a one-problem-at-a-time ``generate`` loop, and hybrid's cost vs PoT.

Run: ``python bench/bench_eval.py [--problems 64] [--batch-size 16] [--max-new-tokens 64]``.
Part 1 runs the whole CoT harness (prompts, batched ``hf`` backend, grading, JSONL writes) against a
plain loop that only calls ``generate`` per problem; target >= 4x at batch 16. Part 2 runs PoT and
hybrid on the same problems with the real sandbox; target: hybrid / PoT <= 1 + fallback fraction + 10%.
Part 3 draws ``--samples`` n CoT samples per problem in one batched pass (``--samples n``: one request of n
per problem) against n separate sampled passes over the problems; target >= 2x.
Tiny Llama (as the tests build it) on CPU, real GSM8K questions from ``../shared/data/eval``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tiny-model builder lives with the test helpers

from bench_hf_backend import one_at_a_time  # noqa: E402  (the same baseline as the backend's benchmark)
from helpers.tiny_model import build_tiny_model  # noqa: E402

from mammoth_math.backends import make_backend  # noqa: E402
from mammoth_math.benchmarks import load_problems  # noqa: E402
from mammoth_math.evaluation import EvalConfig, evaluate  # noqa: E402
from mammoth_math.prompts import build_prompt  # noqa: E402


def timed_run(backend, out: str, mode: str, args: argparse.Namespace, **sampling) -> tuple[float, dict]:
    config = EvalConfig(model="tiny", datasets=["gsm8k"], output_dir=out, mode=mode, data_dir=args.data_dir,
                        limit=args.problems, max_new_tokens=args.max_new_tokens, chunk_size=args.problems,
                        progress=False, **sampling)
    start = time.perf_counter()
    scores = evaluate(config, backend)
    return time.perf_counter() - start, scores["gsm8k"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--samples", type=int, default=8, help="part 3: samples per problem")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "eval"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)  # the same single core for both sides
    model, tokenizer = build_tiny_model()
    problems = load_problems("gsm8k", args.data_dir, limit=args.problems)
    backend = make_backend("hf", model, tokenizer=tokenizer, batch_size=args.batch_size)
    n = len(problems)

    start = time.perf_counter()
    one_at_a_time(model, tokenizer, [build_prompt(p) for p in problems], args.max_new_tokens)
    loop_s = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as out:
        cot_s, _ = timed_run(backend, out, "cot", args)
        pot_s, _ = timed_run(backend, out, "pot", args)
        hybrid_s, hybrid = timed_run(backend, out, "hybrid", args)
        sampled_s, _ = timed_run(backend, out, "cot", args, samples=args.samples, temperature=0.7)
        passes_s = sum(timed_run(backend, f"{out}/pass-{seed}", "cot", args, temperature=0.7, seed=seed)[0]
                       for seed in range(args.samples))
    fallback = hybrid.fallbacks / hybrid.problems

    print(f"problems: {n}, max_new_tokens: {args.max_new_tokens}, batch size: {args.batch_size}")
    print(f"one-at-a-time generate loop : {n / loop_s:8.1f} problems/s ({loop_s:.2f} s)")
    print(f"harness, CoT, batched       : {n / cot_s:8.1f} problems/s ({cot_s:.2f} s)")
    print(f"ratio (harness / loop)      : {loop_s / cot_s:.1f}x   (target >= 4x)")
    print(f"PoT run                     : {pot_s:.2f} s")
    print(f"hybrid run                  : {hybrid_s:.2f} s, fallback fraction {fallback:.2f}")
    print(f"ratio (hybrid / PoT)        : {hybrid_s / pot_s:.2f}   (target <= {1 + fallback + 0.1:.2f})")
    print(f"{args.samples} samples, one batched pass: {sampled_s:.2f} s")
    print(f"{args.samples} separate sampled passes : {passes_s:.2f} s")
    print(f"ratio (passes / one pass)   : {passes_s / sampled_s:.1f}x   (target >= 2x)")


if __name__ == "__main__":
    main()
