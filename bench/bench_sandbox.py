"""Sandbox speed: our isolated fork-server pool vs MAmmoTH's and Qwen2.5-Math's executors, one run.

Corpus: GSM8K train calculator notes turned into straight-line programs (``notes_to_program``), with
about 3% replaced by programs that import sympy and solve an equation, and 0.5% that never end.
Baselines: (a) MAmmoTH's ``CodeExecutor``: a ``multiprocessing.Manager`` and ``Process`` per program,
one at a time (run on a subset and reported per program); (b) Qwen2.5-Math's ``PythonExecutor``: a
``pebble.ProcessPool`` (one process per core) mapping ``exec`` with a per-task timeout, no isolation.
Prints programs/s, ratios (floor: >= 3x (a); goal >= 1.0x (b), which isolates nothing and reuses its
processes, where ours forks a fresh, filtered process for every program; ours runs its default number of
workers, pebble one process per core as Qwen2.5-Math does) and the median per-program
overhead of a light program (standard library) and a heavy one (numpy, the heavy worker). ``--repeat N``
runs ours and (b) N times in turn (a busy machine's load moves between runs) and prints each ratio, their
median and the load average.

    python bench/bench_sandbox.py [--programs 1000] [--timeout 1.0] [--a-programs 100] [--repeat 1]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import os
import random
import statistics
import time
from contextlib import redirect_stdout
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mammoth_math.data.sources.gsm8k import notes_to_program
from mammoth_math.files import iter_jsonl
from mammoth_math.sandbox import Sandbox

REPO = Path(__file__).resolve().parents[1]
SYMPY = "from sympy import symbols, solve, Eq\nx = symbols('x')\nprint(solve(Eq({a} * x + {b}, {c}), x)[0])\n"
LOOP = "total = 0\nwhile True:\n    total += 1\n"


def corpus(path: Path, n: int, seed: int = 0) -> list[str]:
    programs = []
    for _, row in iter_jsonl(path):
        program = notes_to_program(str(row.get("answer", "")))
        if program:
            programs.append(program)
        if len(programs) >= n:
            break
    rng = random.Random(seed)
    for i in rng.sample(range(len(programs)), max(1, len(programs) * 3 // 100)):
        programs[i] = SYMPY.format(a=rng.randint(2, 9), b=rng.randint(1, 50), c=rng.randint(51, 200))
    for i in rng.sample(range(len(programs)), max(1, len(programs) // 200)):
        programs[i] = LOOP
    return programs


ROUND_TRIPS = {"light program (print(1))": "print(1)", "heavy program (print(np.int64(1)))": "print(np.int64(1))"}


def _timed_run(sb: Sandbox, codes: list[str]) -> tuple[list, float]:
    sb.run("print(1)")  # workers warm, outside the clock
    t = time.perf_counter()
    results = sb.run_many(codes, progress=True)
    return results, time.perf_counter() - t


def _round_trips(sb: Sandbox, code: str) -> tuple[list[float], list[float]]:
    """Seconds per run of ``code``: after a short pause (the spare is ready), and back to back."""
    idle, back_to_back = [], []
    for _ in range(200):
        t = time.perf_counter()
        sb.run(code)
        back_to_back.append(time.perf_counter() - t)
    for _ in range(100):
        time.sleep(0.005)
        t = time.perf_counter()
        sb.run(code)
        idle.append(time.perf_counter() - t)
    return idle, back_to_back


def _last_line(text: str) -> str | None:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else None


# (a) MAmmoTH's executor: math_eval/utils.py, CodeExecutor.run with use_process=True.
def _mammoth_exec(code: str, return_val: dict) -> None:
    try:
        f = io.StringIO()
        with redirect_stdout(f):
            exec(code, {})
        return_val["result"] = f.getvalue().strip("\n")
    except Exception:
        pass


def run_mammoth(codes: list[str], timeout: float) -> list[str | None]:
    out = []
    for code in codes:
        manager = multiprocessing.Manager()
        return_val = manager.dict()
        process = multiprocessing.Process(target=_mammoth_exec, args=(code, return_val))
        process.start()
        process.join(timeout=timeout)
        process.terminate()
        out.append(_last_line(return_val.get("result", "")))
        manager.shutdown()
    return out


# (b) Qwen2.5-Math's executor: evaluation/python_executor.py, PythonExecutor.batch_apply.
def _qwen_exec(code: str) -> str:
    program_io = io.StringIO()
    try:
        with redirect_stdout(program_io):
            exec(code, {})
        return program_io.getvalue()
    except Exception as e:
        return f"error: {e}"


def run_pebble(codes: list[str], timeout: float, workers: int) -> list[str | None]:
    from concurrent.futures import TimeoutError as FutureTimeout

    from pebble import ProcessPool

    out: list[str | None] = []
    with ProcessPool(max_workers=workers) as pool:
        iterator = pool.map(_qwen_exec, codes, timeout=timeout).result()
        while True:
            try:
                out.append(_last_line(next(iterator)))
            except StopIteration:
                break
            except FutureTimeout:
                out.append(None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "train" / "gsm8k" / "train.jsonl"))
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--a-programs", type=int, default=100, help="subset for baseline (a), which is slow")
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs of ours and (b), in turn")
    args = parser.parse_args()
    workers = len(os.sched_getaffinity(0))
    codes = corpus(Path(args.data), args.programs)
    import numpy  # noqa: F401 - the baselines fork from this process: give them the preloaded modules too
    import sympy  # noqa: F401

    ratios, loads = [], []
    # ours: its default number of workers (four per core, see ``pool``), all started before the clock
    with Sandbox(timeout=args.timeout).start(every=True) as sb:
        for _ in range(args.repeat):
            loads.append(os.getloadavg()[0])
            ours, ours_s = _timed_run(sb, codes)
            t = time.perf_counter()
            pebble = run_pebble(codes, args.timeout, workers)
            pebble_s = time.perf_counter() - t
            ratios.append(pebble_s / ours_s)
        overhead = {name: _round_trips(sb, code) for name, code in ROUND_TRIPS.items()}
        mode, slots = sb.mode, sb.workers
    # (a) runs programs one at a time, so its time for the whole corpus is its time per finishing
    # program times their count, plus the full timeout for each endless one: measured on a subset.
    finishing = [c for c in codes if c != LOOP]
    subset = finishing[:: max(1, len(finishing) // args.a_programs)][: args.a_programs]
    t = time.perf_counter()
    run_mammoth(subset, args.timeout)
    per_program = (time.perf_counter() - t) / len(subset)
    mammoth_s = per_program * len(codes) + (len(codes) - len(finishing)) * args.timeout

    agree = sum((r.answer if r.ok else None) == p for r, p in zip(ours, pebble)) / len(codes)
    rates = {"ours": len(codes) / ours_s, "pebble": len(codes) / pebble_s, "mammoth": len(codes) / mammoth_s}
    table = Table("executor", "programs", "seconds", "programs/s", "ours / this", title=f"sandbox ({mode}, {workers} cores; ours {slots} workers, pebble {workers} processes)")
    for name, n, s in (("ours: isolated fork server", len(codes), ours_s),
                       ("(b) pebble ProcessPool (Qwen2.5-Math)", len(codes), pebble_s),
                       (f"(a) Process per program (MAmmoTH), from {len(subset)}", len(codes), mammoth_s)):
        rate = n / s
        table.add_row(name, str(n), f"{s:.2f}", f"{rate:.1f}", f"{rates['ours'] / rate:.2f}x")
    console = Console()
    console.print(table)
    timeouts = sum(r.timed_out for r in ours)
    console.print(f"corpus: {len(codes)} programs, {sum('sympy' in c for c in codes)} with sympy, "
                  f"{sum(c == LOOP for c in codes)} endless ({timeouts} timed out in ours); answers equal to pebble's: {agree:.1%}")
    console.print(f"ratios: ours/pebble {rates['ours'] / rates['pebble']:.2f}x (goal >= 1.0), "
                  f"ours/mammoth {rates['ours'] / rates['mammoth']:.1f}x (floor >= 3)")
    if args.repeat > 1:
        console.print(f"ours/pebble over {args.repeat} runs: " + ", ".join(f"{r:.2f}x" for r in ratios)
                      + f"; median {statistics.median(ratios):.2f}x; 1-minute load average at each run: "
                      + ", ".join(f"{load:.1f}" for load in loads) + f" on {os.cpu_count()} cores")
    for name, (idle, back_to_back) in overhead.items():
        console.print(f"per-program overhead, {name}: median {1000 * statistics.median(idle):.2f} ms from idle, "
                      f"{1000 * statistics.median(back_to_back):.2f} ms back to back")


if __name__ == "__main__":
    main()
