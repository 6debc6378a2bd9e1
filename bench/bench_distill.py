"""Benchmark: distillation's verification (grading, majority labels, filters, PoT in the sandbox) at k=8,
against verifying each sample's program in a fresh process, and beside a tiny model's generation rate.

Run: ``python bench/bench_distill.py [--problems 40] [--k 8] [--naive-sample 64]``.
Prints samples verified per second for both and the tiny hf model's samples generated per second: the
grading and sandbox stages must not be the bottleneck next to generation.
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tiny-model builder lives with the test helpers

from helpers.tiny_model import save_tiny_model  # noqa: E402

from mammoth_math.data.config import SourceSpec  # noqa: E402
from mammoth_math.data.distill.config import DistillConfig  # noqa: E402
from mammoth_math.data.distill.filters import Sampled, filter_samples  # noqa: E402
from mammoth_math.data.examples import SeedProblem  # noqa: E402
from mammoth_math.data.verify import VerifyConfig, sandbox_runner  # noqa: E402
from mammoth_math.sandbox import ExecResult  # noqa: E402


def scripted(problems: int, k: int, seed: int = 0) -> list[Sampled]:
    """k CoT and k PoT samples per problem, about 60% right, some with wrong arithmetic or no answer; a third
    of the problems without a gold (majority-labelled)."""
    rng = random.Random(seed)
    out = []
    for i in range(problems):
        a, b = rng.randint(2, 999), rng.randint(2, 99)
        gold = str(a * b)
        problem = SeedProblem("bench", f"bench/{i}", f"A crate holds {b} boxes of {a} nails. How many nails?",
                              "" if i % 3 == 0 else gold, "number")
        cot, pot = [], []
        for j in range(k):
            c = a * b + (0 if rng.random() < 0.6 else rng.randint(1, 9))
            stated = c if rng.random() < 0.9 else c + 1
            cot.append(f"Each box has {a} nails and there are {b} boxes. {a} * {b} = {stated}. The answer is {c}."
                       if j % 7 else "I am not sure.")
            pot.append(f"boxes = {b}\nnails = {a}\ntotal = boxes * nails + {c - a * b}\nprint(total)")
        out += [Sampled(problem, "cot", tuple(cot)), Sampled(problem, "pot", tuple(pot))]
    return out


def fresh_process_runner(codes: list[str]) -> list[ExecResult]:
    """The baseline: each program in a new ``python`` process, one after another."""
    results = []
    for code in codes:
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=10)
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        error = done.stderr.strip().splitlines()[-1] if done.returncode else None
        results.append(ExecResult(done.stdout, error, False, lines[-1].strip() if lines and not error else None,
                                  time.perf_counter() - started))
    return results


def generation_rate(k: int, prompts: int, max_new_tokens: int) -> float:
    """Samples per second the tiny hf model generates at k per prompt (what a tiny teacher feeds the filters)."""
    from mammoth_math.backends import GenerationRequest, make_backend

    with tempfile.TemporaryDirectory() as tmp:
        backend = make_backend("hf", str(save_tiny_model(Path(tmp) / "tiny")))
        requests = [GenerationRequest(prompt=f"Problem {i}: how many nails are in {i + 3} boxes of 12?",
                                      max_new_tokens=max_new_tokens, temperature=0.8, n=k, seed=0)
                    for i in range(prompts)]
        started = time.perf_counter()
        backend.generate(requests)
        return prompts * k / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=40)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--naive-sample", type=int, default=8, help="problems verified with the baseline")
    parser.add_argument("--max-new-tokens", type=int, default=128)
    args = parser.parse_args()
    config = DistillConfig(sources=(SourceSpec("gsm8k"),), model="bench", k=args.k, workers=None)
    samples = scripted(args.problems, args.k)
    n = sum(len(s.texts) for s in samples)

    runner = sandbox_runner(VerifyConfig(), progress=False)
    filter_samples(samples[:2], config, runner)  # warm: the first sandbox start and the grader's imports
    started = time.perf_counter()
    result = filter_samples(samples, config, runner)
    ours = n / (time.perf_counter() - started)
    naive_samples = samples[:2 * args.naive_sample]
    started = time.perf_counter()
    naive = filter_samples(naive_samples, config, fresh_process_runner)
    naive_rate = sum(len(s.texts) for s in naive_samples) / (time.perf_counter() - started)
    assert naive.counts == filter_samples(naive_samples, config, runner).counts, "the baseline must agree"
    generated = generation_rate(args.k, 16, args.max_new_tokens)

    print(f"verified {n} samples ({args.problems} problems x k={args.k} x cot+pot): {ours:.0f} samples/s; "
          f"kept {len(result.rows)} rows; stages {result.counts}")
    print(f"fresh process per program: {naive_rate:.0f} samples/s ({ours / naive_rate:.1f}x slower than ours)")
    print(f"tiny hf model generation, k={args.k}, {args.max_new_tokens} new tokens: {generated:.0f} samples/s "
          f"(verification is {ours / generated:.1f}x its rate)")


if __name__ == "__main__":
    main()
