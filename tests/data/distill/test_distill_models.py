"""``data distill`` through real backends with a tiny model built here: hf in-process and in killed
subprocesses, and a real ``transformers serve``. The tiny model writes garbage, so these check the plumbing
(counts at every stage, same seed same rows, kill -9 and rerun same rows); the filters' outcomes are
checked with a scripted teacher in ``test_distill_run.py``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.distill import PROBLEMS, write_config, write_problems

from mammoth_math.data import distill, load_distill_config
from mammoth_math.data.distill.filters import STAGES

pytestmark = pytest.mark.slow
RUNNER = Path(__file__).resolve().parents[2] / "helpers" / "distill_run.py"
# One thread: float sums, hence sampled tokens, depend on the thread count; every process here agrees on one.
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MAMMOTH_NO_PROGRESS": "1",
       "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parents[3] / "src"), os.environ.get("PYTHONPATH", "")])}


def _config(tmp_path: Path, model: Path | str, **values) -> Path:
    values = {"model": str(model), "backend": "hf", "k": 2, "batch_size": 1, "max_new_tokens": 12,
              "temperature": 1.0, "seed": 3} | values
    return write_config(tmp_path / "distill.yaml", write_problems(tmp_path / "train"), **values)


def _run(config: Path, out: Path, sleep_s: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(RUNNER), str(config), str(out), str(sleep_s)], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _check_counts(report: dict) -> None:
    assert report["problems"]["read"] == report["problems"]["sampled"] == len(PROBLEMS)
    for counts in report["samples"].values():
        assert list(counts) == list(STAGES)
        assert counts["sampled"] == len(PROBLEMS) * 2 == sum(counts[s] for s in STAGES[1:])


def test_hf_kill_9_mid_distillation_then_rerun_gives_the_same_rows(tmp_path, tiny_model_dir):
    config = _config(tmp_path, tiny_model_dir)
    reference = _run(config, tmp_path / "ref")
    assert reference.wait(timeout=300) == 0, reference.stdout.read().decode()[-3000:]

    victim = _run(config, tmp_path / "killed", sleep_s=1.5)
    samples = tmp_path / "killed" / "samples.jsonl"
    deadline = time.monotonic() + 300
    while _lines(samples) < 1 and victim.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=60)
    assert 1 <= _lines(samples) < len(PROBLEMS), "the run was not killed mid-distillation"

    resumed = _run(config, tmp_path / "killed")
    assert resumed.wait(timeout=300) == 0, resumed.stdout.read().decode()[-3000:]
    assert _lines(samples) == len(PROBLEMS)  # nothing doubled
    for name in ("samples.jsonl", "distilled.jsonl", "report.json"):
        assert (tmp_path / "killed" / name).read_text() == (tmp_path / "ref" / name).read_text(), name
    import json

    _check_counts(json.loads((tmp_path / "ref" / "report.json").read_text()))


def test_hf_same_seed_same_rows_other_seed_other_samples(tmp_path, tiny_model_dir, runner):
    config = load_distill_config(_config(tmp_path, tiny_model_dir))
    first = distill(config, tmp_path / "a", run_programs=runner, progress=False)
    second = distill(config, tmp_path / "b", run_programs=runner, progress=False)  # its own cache: sampled again
    _check_counts(first.report)
    assert first.report == second.report
    for name in ("samples.jsonl", "distilled.jsonl"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text()
    other = load_distill_config(_config(tmp_path, tiny_model_dir, seed=4))
    distill(other, tmp_path / "c", run_programs=runner, progress=False)
    assert (tmp_path / "c" / "samples.jsonl").read_text() != (tmp_path / "a" / "samples.jsonl").read_text()


def test_transformers_serve_teacher(tmp_path, served_tiny_model, runner):
    config = load_distill_config(_config(tmp_path, served_tiny_model.model, backend="openai",
                                         base_url=served_tiny_model.base_url, teacher="tiny"))
    result = distill(config, tmp_path / "out", run_programs=runner, progress=False)
    _check_counts(result.report)
    assert result.report["teacher"] == "tiny" and result.report["problems"]["backend_errors"] == 0
    again = distill(config, tmp_path / "out", run_programs=runner, progress=False)  # all from samples.jsonl
    assert again.report == result.report
