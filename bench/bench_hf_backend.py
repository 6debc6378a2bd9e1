"""Batched ``hf`` backend vs a one-problem-at-a-time ``generate`` loop, on the tiny model, CPU.

Run: ``python bench/bench_hf_backend.py [--problems 64] [--batch-size 16] [--max-new-tokens 64]``.
Prints problems/s for both and the ratio (the issue's target: >= 4x at batch 16). Uses real GSM8K
questions from ``../shared/data/eval`` in MAmmoTH's prompt, and the tiny Llama the tests build.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tiny-model builder lives with the test helpers

from helpers.tiny_model import build_tiny_model  # noqa: E402

from mammoth_math.backends import GenerationRequest, make_backend  # noqa: E402
from mammoth_math.benchmarks import load_problems  # noqa: E402
from mammoth_math.prompts import build_prompt  # noqa: E402


def one_at_a_time(model, tokenizer, prompts: list[str], max_new_tokens: int) -> list[str]:
    """The baseline: what a plain script does, one ``generate`` call per problem."""
    import torch

    texts = []
    for prompt in prompts:
        enc = tokenizer(prompt, return_tensors="pt")
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                                 pad_token_id=tokenizer.pad_token_id)
        texts.append(tokenizer.decode(out[0, enc["input_ids"].shape[1]:], skip_special_tokens=True))
    return texts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=64)
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data" / "eval"))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)  # the same single core for both sides
    model, tokenizer = build_tiny_model()
    prompts = [build_prompt(p) for p in load_problems("gsm8k", args.data_dir, limit=args.problems)]

    start = time.perf_counter()
    one_at_a_time(model, tokenizer, prompts, args.max_new_tokens)
    base_s = time.perf_counter() - start

    backend = make_backend("hf", model, tokenizer=tokenizer, batch_size=args.batch_size)
    requests = [GenerationRequest(p, max_new_tokens=args.max_new_tokens) for p in prompts]
    start = time.perf_counter()
    backend.generate(requests)
    ours_s = time.perf_counter() - start

    n = len(prompts)
    print(f"problems: {n}, max_new_tokens: {args.max_new_tokens}, batch size: {args.batch_size}")
    print(f"one-at-a-time generate loop: {n / base_s:8.1f} problems/s ({base_s:.2f} s)")
    print(f"hf backend, batched        : {n / ours_s:8.1f} problems/s ({ours_s:.2f} s)")
    print(f"ratio (batched / loop)     : {base_s / ours_s:.1f}x")


if __name__ == "__main__":
    main()
