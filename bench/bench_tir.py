"""Tool-call overhead of a persistent sandbox session vs a stateless executor, one run.

A TIR answer calls the tool several times; each block may use names from earlier blocks. A session runs
each block once in the problem's own process; a stateless executor (one fresh process per program, as
``Sandbox.run``) must run blocks 1..i again at call i. Corpus: four-block trajectories of the kinds
TIR models write (sympy solving, summing and integrating, numpy statistics, number theory), with
random constants. Prints, problems one at a time, the time per call (median, p95, mean) of both and its
overhead: the time per call minus the block's own work (its run time inside the session process, the
same for both); then the wall time of many problems at once. Floor: >= 3x less time per call at 4 calls.

    python bench/bench_tir.py [--problems 40] [--threads 16] [--timeout 10]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from rich.console import Console
from rich.table import Table

from mammoth_math.sandbox import Sandbox

TEMPLATES = [
    ["from sympy import symbols, solve, Eq\nx = symbols('x')\neq = Eq(x**2 - {s}*x + {p}, 0)\nprint(eq)",
     "roots = solve(eq, x)\nprint(roots)",
     "total = sum(roots)\nprint(total, sp.nsimplify(total))",
     "print(max(roots) - min(roots))"],
    ["import numpy as np\ndata = np.array([{data}])\nprint(data.mean())",
     "std = data.std()\nprint(round(float(std), 4))",
     "z = (data - data.mean()) / std\nprint(np.round(z, 3))",
     "print(int((np.abs(z) > 1).sum()))"],
    ["from sympy import factorint, divisors\nn = {n}\nf = factorint(n)\nprint(f)",
     "ds = divisors(n)\nprint(len(ds))",
     "print(sum(ds))",
     "print(sum(d for d in ds if d % 2 == 0))"],
    ["import sympy as sp\nk = sp.symbols('k', integer=True, positive=True)\n"
     "S = sp.summation(1 / (k * (k + {a})), (k, 1, sp.oo))\nprint(S)",
     "print(sp.nsimplify(S))",
     "t = sp.symbols('t')\nI = sp.integrate(t**{a} * sp.exp(-t), (t, 0, sp.oo))\nprint(I)",
     "print(sp.simplify(S * I))"],
]


def corpus(n: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    problems = []
    for i in range(n):
        r1, r2 = rng.randint(1, 20), rng.randint(1, 20)
        values = {"s": r1 + r2, "p": r1 * r2, "n": rng.randint(100, 100_000), "a": rng.randint(1, 6),
                  "data": ", ".join(str(rng.randint(1, 100)) for _ in range(12))}
        problems.append([block.format(**values) for block in TEMPLATES[i % len(TEMPLATES)]])
    return problems


def with_session(sb: Sandbox, blocks: list[str]) -> tuple[list[float], float, list[str], list[float]]:
    """Seconds per call, seconds to open and close, outputs, and each block's own run time."""
    t = time.perf_counter()
    session = sb.session()
    opened = time.perf_counter() - t
    calls, outputs, own = [], [], []
    for block in blocks:
        t = time.perf_counter()
        result = session.run(block)
        calls.append(time.perf_counter() - t)
        outputs.append(result.stdout if result.ok else result.error)
        own.append(result.duration_s)
    t = time.perf_counter()
    session.close()
    return calls, opened + time.perf_counter() - t, outputs, own


def stateless(sb: Sandbox, blocks: list[str]) -> tuple[list[float], list[str]]:
    """Seconds per call when call i runs blocks 1..i from scratch, and the last output of each."""
    calls, outputs = [], []
    for i in range(len(blocks)):
        t = time.perf_counter()
        result = sb.run("\n".join(blocks[: i + 1]))
        calls.append(time.perf_counter() - t)
        outputs.append(result.stdout if result.ok else result.error)
    return calls, outputs


def _last_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[-1]


def _p95(xs: list[float]) -> float:
    return sorted(xs)[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--problems", type=int, default=40)
    parser.add_argument("--threads", type=int, default=16, help="problems at once, for the concurrent rows")
    parser.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    problems = corpus(args.problems)
    workers = len(os.sched_getaffinity(0))
    with Sandbox(timeout=args.timeout, workers=workers) as sb:
        with_session(sb, problems[0])  # session workers started and warm, outside the clock
        stateless(sb, problems[0])
        ours = [with_session(sb, p) for p in problems]
        theirs = [stateless(sb, p) for p in problems]
        with ThreadPoolExecutor(args.threads) as pool:
            t = time.perf_counter()
            list(pool.map(lambda p: with_session(sb, p), problems))
            ours_wall = time.perf_counter() - t
            t = time.perf_counter()
            list(pool.map(lambda p: stateless(sb, p), problems))
            theirs_wall = time.perf_counter() - t
        mode = sb.mode

    # the final answers agree (the last line of the last call: the session prints only the new block's output)
    agree = sum(_last_line(o[-1]) == _last_line(s[-1]) for (_, _, o, _), (_, s) in zip(ours, theirs)) / len(problems)
    own = [t for *_, times in ours for t in times]
    session_calls = [c for calls, *_ in ours for c in calls]
    with_open = [c + setup / len(calls) for calls, setup, *_ in ours for c in calls]
    stateless_calls = [c for calls, _ in theirs for c in calls]
    table = Table("executor", "calls", "median ms", "p95 ms", "mean ms", "overhead median ms", "overhead p95 ms",
                  title=f"TIR tool calls ({mode}, {workers} cores, {len(TEMPLATES[0])} calls per problem)")
    rows = {"session (one process per problem)": session_calls,
            "session, its open + close spread over its calls": with_open,
            "stateless (blocks 1..i again at call i)": stateless_calls}
    for name, xs in rows.items():
        overhead = [x - o for x, o in zip(xs, own)]
        table.add_row(name, str(len(xs)), *(f"{1000 * v:.2f}" for v in (
            statistics.median(xs), _p95(xs), statistics.mean(xs), statistics.median(overhead), _p95(overhead))))
    console = Console()
    console.print(table)
    console.print(f"last printed lines equal: {agree:.0%} of problems")

    def ratio(f: Callable[[list[float]], float], subtract: bool) -> str:
        def value(xs: list[float]) -> float:
            return f([x - o for x, o in zip(xs, own)] if subtract else xs)
        return f"{value(stateless_calls) / value(with_open):.1f}x"

    console.print(f"stateless / session (open + close included; floor >= 3x): time per call median "
                  f"{ratio(statistics.median, False)}, mean {ratio(statistics.mean, False)}; overhead per call "
                  f"median {ratio(statistics.median, True)}, p95 {ratio(_p95, True)}")
    console.print(f"{args.threads} problems at once: session {ours_wall:.2f} s, stateless {theirs_wall:.2f} s "
                  f"for {len(problems)} problems ({theirs_wall / ours_wall:.1f}x)")

if __name__ == "__main__":
    main()
