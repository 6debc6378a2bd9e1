"""The sandbox service over loopback against the in-process sandbox, on bench_sandbox.py's corpus, one run.

Both run the same programs with the same workers (one per core): first ``Sandbox.run_many`` in this process,
then ``RemoteSandbox.run_many`` against a ``mammoth-math sandbox serve`` started here on a free port (its start
is outside the clock). Prints programs/s, the ratio service / in-process (goal >= 0.8x) and how many results
are equal field for field (all but ``duration_s``; must be all).

    python bench/bench_sandbox_service.py [--programs 1000] [--timeout 1.0]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import httpx

from bench_sandbox import REPO, _timed_run, corpus
from mammoth_math.sandbox import RemoteSandbox, Sandbox


def _serve(workers: int, timeout: float) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "mammoth_math.cli", "sandbox", "serve", "--port", str(port),
                             "--workers", str(workers), "--timeout", str(timeout)], stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the sandbox service did not start")


def _fields(result) -> dict:
    d = asdict(result)
    d.pop("duration_s")
    return d


def compare(codes: list[str], workers: int, timeout: float) -> None:
    """Time ``codes`` in this process, then on a service started here; print rates, ratio and agreement."""
    with Sandbox(timeout=timeout, workers=workers) as sb:
        local, local_s = _timed_run(sb, codes)
    proc, url = _serve(workers, timeout)
    try:
        with RemoteSandbox(url, timeout=timeout) as rs:
            remote, remote_s = _timed_run(rs, codes)
    finally:
        proc.terminate()
        proc.wait(60)
    equal = sum(_fields(a) == _fields(b) for a, b in zip(local, remote))
    n = len(codes)
    print(f"corpus: {n} programs, {workers} workers each")
    print(f"in-process Sandbox:        {local_s:7.2f} s  {n / local_s:7.1f} programs/s")
    print(f"service over loopback:     {remote_s:7.2f} s  {n / remote_s:7.1f} programs/s")
    print(f"ratio service / in-process: {local_s / remote_s:.2f}x (goal >= 0.8x)")
    print(f"results equal field for field (all but duration_s): {equal} / {n}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--programs", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "train" / "gsm8k" / "train.jsonl"))
    args = parser.parse_args()
    compare(corpus(Path(args.data), args.programs), len(os.sched_getaffinity(0)), args.timeout)


if __name__ == "__main__":
    main()
