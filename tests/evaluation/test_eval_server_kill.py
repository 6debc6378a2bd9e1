"""``eval --backend openai`` against a slow server: progress per request, and each finished response kept.

A real loopback server answers the first requests and then holds the rest (a slow ``transformers serve``).
The CLI, in its own process on a terminal (a pty), must show the requests done so far and keep each finished
response in the cache as it arrives; killed with SIGKILL mid-batch, a re-run asks only for the missing ones.
"""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers.servers import fault_server

from mammoth_math.evaluation import read_problem_records
from mammoth_math.files import iter_jsonl

N, ANSWERED = 6, 2  # problems; requests the slow server finishes before the kill


def _custom(root: Path) -> None:
    rows = [{"id": str(i), "question": f"What is {i} + 1?", "gold": str(i + 1), "kind": "number"} for i in range(N)]
    (root / "custom.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _eval(base_url: str, data: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "mammoth_math", "eval", "--model", "served", "--backend", "openai",
            "--base-url", base_url, "--datasets", "custom", "--data-dir", str(data), "--mode", "cot",
            "--output-dir", str(out), "--max-new-tokens", "8", "--concurrency", "2"]


def _cached(out: Path) -> int:
    return sum(1 for path in (out / "cache").glob("*.jsonl") for _ in iter_jsonl(path, skip_torn_tail=True))


def test_a_killed_run_keeps_each_finished_response_and_shows_progress(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    _custom(data)
    env = {k: v for k, v in os.environ.items() if k != "MAMMOTH_NO_PROGRESS"} | {"COLUMNS": "160"}
    script = ["ok"] * ANSWERED + ["hang"] * (N - ANSWERED)
    with fault_server(script, hang_s=120, text="The answer is 1.") as slow:
        main, child = pty.openpty()  # a terminal, so the progress bars draw as they would for a user
        proc = subprocess.Popen(_eval(slow.base_url, data, out), stdin=subprocess.DEVNULL, stdout=child,
                                stderr=child, env=env, start_new_session=True)
        os.close(child)
        shown, deadline = b"", time.monotonic() + 120
        try:
            while time.monotonic() < deadline and not (_cached(out) == ANSWERED and b"2/6" in shown):
                if select.select([main], [], [], 0.2)[0]:
                    try:
                        shown += os.read(main, 65536)
                    except OSError:  # the child closed the terminal
                        break
            assert proc.poll() is None, shown.decode(errors="replace")[-2000:]
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            os.close(main)
    text = shown.decode(errors="replace")
    assert "generating (openai)" in text and "2/6" in text, text[-2000:]  # per request, not per chunk
    assert _cached(out) == ANSWERED  # kept as each finished; the two in flight are lost, nothing else
    assert not list(read_problem_records(out / "cot" / "custom.jsonl"))  # the chunk was never written

    with fault_server([], text="The answer is 1.") as fast:
        done = subprocess.run(_eval(fast.base_url, data, out), capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        assert len(fast.requests) == N - ANSWERED  # only the missing calls
    assert len(read_problem_records(out / "cot" / "custom.jsonl")) == N and _cached(out) == N
    assert json.loads((out / "cot" / "run.json").read_text())["backend"]["cache"]["hits"] == ANSWERED
