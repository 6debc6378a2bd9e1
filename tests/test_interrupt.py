"""Ctrl-C (issue 24, item 5): a real ``mammoth-math eval`` process interrupted by SIGINT mid-run ends with one
line saying what it kept and how to resume, exit status 130, no traceback; the same command then resumes and
finishes with the interrupted run's records kept, none twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers.servers import fault_server

REPO = Path(__file__).resolve().parents[1]
PROBLEMS = 30


def _slow_answer(body: dict) -> str:
    time.sleep(0.3)  # a slow model: the interrupt lands while requests are in flight
    return "The answer is 2."


def test_ctrl_c_keeps_the_records_and_the_rerun_resumes(tmp_path):
    data = tmp_path / "eval"
    data.mkdir()
    (data / "custom.jsonl").write_text("".join(
        json.dumps({"id": f"q{i}", "question": f"What is {i} + 2 - {i}?", "gold": 2, "kind": "number"}) + "\n"
        for i in range(PROBLEMS)))
    out = tmp_path / "out"
    records = out / "cot" / "custom.jsonl"
    env = {**os.environ, "MAMMOTH_NO_PROGRESS": "1", "PYTHONPATH": str(REPO / "src")}
    with fault_server([], text=_slow_answer) as server:
        argv = [sys.executable, "-m", "mammoth_math", "eval", "--model", "m", "--backend", "openai", "--base-url",
                server.base_url, "--endpoint", "completions", "--concurrency", "1", "--chunk-size", "1", "--datasets",
                "custom", "--data-dir", str(data), "--mode", "cot", "--output-dir", str(out)]
        # Its own process group, as a terminal's Ctrl-C reaches every process of the foreground job.
        run = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
        deadline = time.monotonic() + 300
        while not (records.exists() and records.read_text().count("\n") >= 2):
            assert run.poll() is None and time.monotonic() < deadline, run.communicate()
            time.sleep(0.1)
        os.killpg(run.pid, signal.SIGINT)
        _, err = run.communicate(timeout=120)
        assert run.returncode == 130, err[-3000:]
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, err[-3000:]
        last = err.strip().splitlines()[-1]
        assert last == (f"interrupted: the records of finished problems are kept in {out}; "
                        "run the same command again to resume"), err[-3000:]
        kept = records.read_text().splitlines()
        assert 2 <= len(kept) < PROBLEMS

        again = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    lines = records.read_text().splitlines()
    assert lines[:len(kept)] == kept
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(f"custom/q{i}" for i in range(PROBLEMS))
