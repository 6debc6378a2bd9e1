"""Grading under load (issue 12): 4 threads grade pathological answers while a fifth grades ordinary ones.

Prints, for the ordinary calls, the slowest call against its timeout (the acceptance: every one returns
within it), and how many got a real verdict versus "busy" (no worker free in time) or "timeout".

    python bench/bench_grading_load.py [--data-dir ../shared/data/eval] [--n 200] [--timeout 3]
"""

from __future__ import annotations

import argparse
import random
import threading
import time
from collections import Counter
from pathlib import Path

from bench_grading import load_golds, perturb
from rich.console import Console

from mammoth_math.grading import AnswerKind, GradeConfig, rule_verdict, parse_gold

REPO = Path(__file__).resolve().parents[1]
HARD = ["10^{{10^{{{n}}}}}", "\\frac{{" * 300 + "{n}" + "}}{{2}}" * 300, "x^{{" * 150 + "{n}" + "}}" * 150]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data" / "eval")
    ap.add_argument("--n", type=int, default=200, help="ordinary calls")
    ap.add_argument("--timeout", type=float, default=3.0)
    args = ap.parse_args()

    rng = random.Random(0)
    golds = [g for g in load_golds(args.data_dir, None) if g.strip()]
    golds = [parse_gold(g, AnswerKind.EXPRESSION) for g in rng.sample(golds, args.n)]
    pairs = [(g, *perturb(g, rng)) for g in golds]
    config = GradeConfig(AnswerKind.EXPRESSION, timeout=args.timeout)
    rule_verdict("\\sqrt{2}", "\\sqrt{2}+0", config)  # a warm pool, as in a running evaluation

    stop = threading.Event()

    def grade_hard(i: int) -> None:
        n = 11
        while not stop.is_set():
            rule_verdict(HARD[i % len(HARD)].format(n=n + i * 100_000), "7", config)
            n += 1

    hard = [threading.Thread(target=grade_hard, args=(i,), daemon=True) for i in range(4)]
    for t in hard:
        t.start()
    times, methods, agree = [], Counter(), 0
    for gold, pred, label in pairs:
        t = time.perf_counter()
        verdict = rule_verdict(pred, gold, config)
        times.append(time.perf_counter() - t)
        methods[verdict.method] += 1
        agree += verdict.correct == label
    stop.set()
    for t in hard:
        t.join()

    times.sort()
    console = Console()
    console.print(f"{args.n} ordinary calls (timeout {args.timeout}s) while 4 threads graded pathological answers")
    console.print(f"slowest {times[-1]:.2f}s, p99 {times[int(0.99 * (len(times) - 1))]:.2f}s, "
                  f"median {times[len(times) // 2]:.3f}s; over the timeout: {sum(x > args.timeout for x in times)}")
    console.print(f"verdicts by method: {dict(methods)}; agree with the intended label: {agree}/{args.n}")


if __name__ == "__main__":
    main()
