"""Benchmark: the whole MathInstruct build from ../shared/data/train, timed stage by stage, and the
verification stage against the naive way (one ``multiprocessing.Process`` per program).

Run: ``python bench/bench_build.py [--config configs/data/mathinstruct.yaml] [--naive-sample 2000]``.
Target: the whole build under 2 minutes on 2 cores. Prints the acceptance numbers and the speed ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing as mp
import tempfile
import time
from dataclasses import dataclass

from mammoth_math.data import build, load_config, read_sources
from mammoth_math.data.verify import VerifyConfig, sandbox_runner


@dataclass
class NaiveResult:
    stdout: str
    error: str | None
    timed_out: bool
    answer: str | None


def _child(code: str, conn) -> None:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code, "<program>", "exec"), {"__name__": "__main__"})  # noqa: S102 - the unisolated baseline
        conn.send((out.getvalue(), None))
    except BaseException as e:  # noqa: BLE001 - the baseline reports every failure as text
        conn.send((out.getvalue(), f"{type(e).__name__}: {e}"))


def naive_runner(codes: list[str], timeout: float = 5.0) -> list[NaiveResult]:
    """The baseline: a fresh process per program, run one after another, no isolation."""
    results = []
    for code in codes:
        parent, child = mp.Pipe(duplex=False)
        proc = mp.Process(target=_child, args=(code, child))
        proc.start()
        if parent.poll(timeout):
            stdout, error = parent.recv()
            proc.join()
            lines = [line for line in stdout.strip().splitlines() if line.strip()]
            results.append(NaiveResult(stdout, error, False, lines[-1].strip() if lines else None))
        else:
            proc.kill()
            proc.join()
            results.append(NaiveResult("", None, True, None))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="configs/data/mathinstruct.yaml")
    parser.add_argument("--naive-sample", type=int, default=1000, help="programs timed with the naive runner")
    args = parser.parse_args()
    config = load_config(args.config)

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        result = build(config, out, progress=False)
        total = time.perf_counter() - start
    print("stage seconds:", result.stage_seconds, f"total {total:.1f}s (target < 120s on 2 cores)")
    for key, v in result.report["verification"].items():
        print(f"  {key:14s} checked {v['checked']:6d} passed {v['passed']:6d} ({v['pass_rate']:.1%}) "
              f"final {result.report['counts'].get(key, 0)}")
    print("rejects:", result.report["rejects_by_reason"])
    print("removed:", result.report["removed_by_reason"])

    examples, _ = read_sources(config)
    codes = [e.output for e in examples if e.rationale_type == "pot"][: args.naive_sample]
    vconfig = VerifyConfig(config.timeout, config.memory_mb, config.workers)
    start = time.perf_counter()
    sandbox_runner(vconfig, progress=False)(codes)
    fast = time.perf_counter() - start
    start = time.perf_counter()
    naive_runner(codes, config.timeout)
    naive = time.perf_counter() - start
    print(f"verification of {len(codes)} programs: sandbox {fast:.2f}s, naive Process-per-program {naive:.2f}s, "
          f"ratio {naive / fast:.1f}x")


if __name__ == "__main__":
    main()
