"""Past one process: the same eval over 1 and 2 servers, over 1 and 2 shards, and the Slurm launcher's own overhead.

Run: ``python bench/bench_scale.py [--problems 24] [--max-new-tokens 32]``.
Part 1: CoT over ``transformers serve`` of the tiny model, one server vs two behind one ``--base-url`` list.
Part 2: the ``hf`` backend in one process vs two ``--shard i/2`` processes side by side, then ``merge``.
Part 3 (where Slurm is installed and we are root): a one-node cluster (as the tests start it); the time from
``launch slurm`` to the first record, against the time a plain process takes to its first record.
Each part prints its wall-time ratio; on a 2-core machine shared with others, expect little speed-up:
the point is that the split costs nothing and the numbers stay equal. The cache is off throughout.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the tiny model and the server live with the test helpers

from helpers.servers import serve_model  # noqa: E402
from mammoth_math.launch.local import missing_binaries, slurm_cluster  # noqa: E402
from helpers.tiny_model import save_tiny_model  # noqa: E402

ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MAMMOTH_NO_PROGRESS": "1", "OMP_NUM_THREADS": "1",
       "TOKENIZERS_PARALLELISM": "false"}


def write_problems(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rows = [{"id": f"p{i}", "question": f"Tom has {i} apples and buys {i + 3} more. How many apples?",
             "gold": str(2 * i + 3), "kind": "number"} for i in range(count)]
    (folder / "custom.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def mm(*words: str) -> list[str]:
    return [sys.executable, "-m", "mammoth_math", *words]


def eval_args(model: str, data: Path, out: Path, args: argparse.Namespace, *extra: str) -> list[str]:
    return ["eval", "--model", model, "--datasets", "custom", "--mode", "cot", "--data-dir", str(data),
            "--max-new-tokens", str(args.max_new_tokens), "--output-dir", str(out), "--no-cache", *extra]


def timed(cmds: list[list[str]]) -> float:
    """Wall time of ``cmds`` run side by side."""
    start = time.perf_counter()
    procs = [subprocess.Popen(mm(*cmd), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for cmd in cmds]
    for proc, cmd in zip(procs, cmds):
        if proc.wait():
            raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()[-2000:]}")
    return time.perf_counter() - start


def records(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]


def servers(model: Path, data: Path, tmp: Path, args: argparse.Namespace) -> None:
    with serve_model(model, tmp) as one, serve_model(model, tmp) as two:
        base = ["--backend", "openai", "--concurrency", "4", "--base-url"]
        single = timed([eval_args(str(model), data, tmp / "s1", args, *base, one.base_url)])
        double = timed([eval_args(str(model), data, tmp / "s2", args, *base, one.base_url, two.base_url)])
    served = json.loads((tmp / "s2" / "cot" / "run.json").read_text())["backend"]["servers"]
    same = records(tmp / "s1" / "cot" / "custom.jsonl") == records(tmp / "s2" / "cot" / "custom.jsonl")
    print(f"servers: 1 server {single:.1f} s, 2 servers {double:.1f} s, ratio {single / double:.2f}x; "
          f"requests per server {list(served.values())}; records equal: {same}")


def shards(model: Path, data: Path, tmp: Path, args: argparse.Namespace) -> None:
    single = timed([eval_args(str(model), data, tmp / "h1", args)])
    double = timed([eval_args(str(model), data, tmp / "h2", args, "--shard", f"{i}/2") for i in range(2)])
    subprocess.run(mm("merge", str(tmp / "h2")), env=ENV, check=True, capture_output=True)
    same = records(tmp / "h1" / "cot" / "custom.jsonl") == records(tmp / "h2" / "cot" / "custom.jsonl")
    print(f"shards: 1 process {single:.1f} s, 2 shards {double:.1f} s, ratio {single / double:.2f}x; "
          f"records equal after merge: {same}")


def first_record(records_file: Path, start: float) -> float:
    """Seconds from ``start`` until ``records_file`` holds a record."""
    while not (records_file.exists() and records_file.stat().st_size):
        time.sleep(0.05)
    return time.perf_counter() - start


def launcher(model: Path, data: Path, tmp: Path, args: argparse.Namespace) -> None:
    missing = missing_binaries()
    if missing or os.geteuid() != 0:
        print(f"launcher: skipped ({'no ' + ', '.join(missing) if missing else 'needs root'} for a local cluster)")
        return
    with slurm_cluster(tmp / "slurm") as conf:
        env = {**ENV, "SLURM_CONF": conf}
        start = time.perf_counter()
        proc = subprocess.Popen(mm(*eval_args(str(model), data, tmp / "p", args, "--chunk-size", "1")), env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        direct = first_record(tmp / "p" / "cot" / "custom.jsonl", start)
        proc.wait()
        start = time.perf_counter()
        subprocess.run(mm("launch", "slurm", "--", *eval_args(str(model), data, tmp / "l", args, "--chunk-size", "1")),
                       env=env, check=True, capture_output=True)
        via_slurm = first_record(tmp / "l" / "cot" / "custom.jsonl", start)
    print(f"launcher: first record {direct:.1f} s as a plain process, {via_slurm:.1f} s from `launch slurm`: "
          f"overhead {via_slurm - direct:.1f} s (script writing, sbatch, scheduling, job start)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=24)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        model = save_tiny_model(tmp / "model")
        data = write_problems(tmp / "data", args.problems)
        print(f"{args.problems} CoT problems, tiny Llama on CPU, {args.max_new_tokens} new tokens each")
        servers(model, data, tmp, args)
        shards(model, data, tmp, args)
        launcher(model, data, tmp, args)


if __name__ == "__main__":
    main()
