"""Resume after kill -9, and shards + merge: the final records equal an uninterrupted run's."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mammoth_math.backends import make_backend
from mammoth_math.cli import main
from mammoth_math.evaluation import EvalConfig, evaluate, merge_output
from mammoth_math.files import InputError

LIMIT = 12  # the first 8 are the taught ones; the rest are gibberish programs that fall back to CoT


def comparable(record: dict) -> dict:
    """A record without its wall-clock timings (the only fields two identical runs may differ in)."""
    attempts = [{**a, "execution": a["execution"] and {k: v for k, v in a["execution"].items() if k != "duration_s"}}
                for a in record["attempts"]]
    return {**{k: v for k, v in record.items() if k != "seconds"}, "attempts": attempts}


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _cli(model: Path, eval_dir: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "mammoth_math", "eval", "--model", str(model), "--backend", "hf",
            "--datasets", "gsm8k", "--mode", "hybrid", "--data-dir", str(eval_dir), "--output-dir", str(out),
            "--limit", str(LIMIT), "--max-new-tokens", "24", "--chunk-size", "2", "--batch-size", "2",
            "--timeout", "1", *extra]


def _reference(model_dir: Path, eval_dir: Path, out: Path, sandbox, limit: int = LIMIT, **kw) -> EvalConfig:
    config = EvalConfig(model=str(model_dir), datasets=["gsm8k"], output_dir=str(out), mode="hybrid",
                        data_dir=str(eval_dir), limit=limit, max_new_tokens=24, chunk_size=2, program_timeout=1.0,
                        backend_options={"batch_size": 2}, progress=False, **kw)
    evaluate(config, make_backend("hf", str(model_dir), batch_size=2), sandbox)
    return config


def test_kill_9_then_resume_gives_the_uninterrupted_result(taught_model_dir, eval_dir, sandbox, tmp_path):
    out = tmp_path / "killed"
    records = out / "hybrid" / "gsm8k.jsonl"
    env = {**os.environ, "MAMMOTH_NO_PROGRESS": "1"}
    proc = subprocess.Popen(_cli(taught_model_dir, eval_dir, out), env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while len(_lines(records)) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert proc.poll() is None, f"finished before it could be killed:\n{proc.stdout.read().decode()[-2000:]}"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = _lines(records)
    assert 4 <= len(before) < LIMIT
    assert json.loads((out / "hybrid" / "run.json").read_text())["finished"] is None

    done = subprocess.run(_cli(taught_model_dir, eval_dir, out), env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    after = _lines(records)
    assert after[:len(before)] == before  # resuming appends; it never rewrites what was recorded
    ids = [r["id"] for r in after]
    assert len(ids) == len(set(ids)) == LIMIT  # nothing lost, nothing doubled
    assert json.loads((out / "hybrid" / "run.json").read_text())["finished"]

    _reference(taught_model_dir, eval_dir, tmp_path / "straight", sandbox)
    straight = _lines(tmp_path / "straight" / "hybrid" / "gsm8k.jsonl")
    assert [comparable(r) for r in sorted(after, key=lambda r: r["index"])] == [comparable(r) for r in straight]
    assert sum(r["correct"] for r in straight) >= 6  # the taught problems are really solved


def test_resume_refuses_changed_settings(taught_model_dir, eval_dir, sandbox, tmp_path):
    config = _reference(taught_model_dir, eval_dir, tmp_path, sandbox, limit=2)
    config.max_new_tokens = 32
    with pytest.raises(ValueError, match="max_new_tokens"):
        evaluate(config, make_backend("hf", str(taught_model_dir)), sandbox)


def test_a_run_saved_with_its_sampling_spelled_out_resumes(taught_model_dir, eval_dir, sandbox, tmp_path):
    """Runs saved before per-set sampling defaults wrote samples 1, temperature 0, top_p 1; None now means
    the same for GSM8K, so such a run resumes, while an explicit other temperature is still refused."""
    _reference(taught_model_dir, eval_dir, tmp_path, sandbox, limit=2)
    meta_file = tmp_path / "hybrid" / "run.json"
    meta = json.loads(meta_file.read_text())
    meta["config"] |= {"samples": 1, "temperature": 0.0, "top_p": 1.0}
    meta_file.write_text(json.dumps(meta))
    _reference(taught_model_dir, eval_dir, tmp_path, sandbox, limit=4)
    assert len(_lines(tmp_path / "hybrid" / "gsm8k.jsonl")) == 4
    with pytest.raises(ValueError, match="temperature"):
        _reference(taught_model_dir, eval_dir, tmp_path, sandbox, limit=4, temperature=0.5, samples=1)


def test_a_larger_limit_extends_the_run_in_place(taught_model_dir, eval_dir, sandbox, tmp_path):
    _reference(taught_model_dir, eval_dir, tmp_path / "grown", sandbox, limit=2)
    first = _lines(tmp_path / "grown" / "hybrid" / "gsm8k.jsonl")
    _reference(taught_model_dir, eval_dir, tmp_path / "grown", sandbox, limit=4)
    grown = _lines(tmp_path / "grown" / "hybrid" / "gsm8k.jsonl")
    assert grown[:2] == first and len(grown) == 4  # only the missing problems were generated
    _reference(taught_model_dir, eval_dir, tmp_path / "straight", sandbox, limit=4)
    straight = _lines(tmp_path / "straight" / "hybrid" / "gsm8k.jsonl")
    assert [comparable(r) for r in grown] == [comparable(r) for r in straight]
    with pytest.raises(ValueError, match="field 'limit'"):
        _reference(taught_model_dir, eval_dir, tmp_path / "grown", sandbox, limit=3)


def test_shards_merge_into_the_unsharded_run(taught_model_dir, eval_dir, sandbox, tmp_path):
    _reference(taught_model_dir, eval_dir, tmp_path / "whole", sandbox, limit=8)
    for i in range(3):
        _reference(taught_model_dir, eval_dir, tmp_path / "sharded", sandbox, limit=8, shard=(i, 3))
    run = tmp_path / "sharded" / "hybrid"
    assert [len(_lines(run / f"gsm8k.shard-{i}-of-3.jsonl")) for i in range(3)] == [3, 3, 2]
    (result,) = merge_output(tmp_path / "sharded")
    assert result.shards == 3 and result.problems == {"gsm8k": 8}
    assert main(["merge", str(tmp_path / "sharded")]) == 0  # the CLI does the same, and merging twice is harmless
    merged = [comparable(r) for r in _lines(run / "gsm8k.jsonl")]
    assert merged == [comparable(r) for r in _lines(tmp_path / "whole" / "hybrid" / "gsm8k.jsonl")]
    meta = json.loads((run / "run.json").read_text())
    assert meta["config"]["shard"] == [0, 1] and len(meta["merged_from"]) == 3


def test_merge_refuses_a_missing_or_unfinished_shard(taught_model_dir, eval_dir, sandbox, tmp_path):
    _reference(taught_model_dir, eval_dir, tmp_path, sandbox, shard=(0, 2), limit=4)
    with pytest.raises(InputError, match=r"shard\(s\) \[1\] of 2 missing"):
        merge_output(tmp_path)
    _reference(taught_model_dir, eval_dir, tmp_path, sandbox, shard=(1, 2), limit=4)
    meta = tmp_path / "hybrid" / "run.shard-1-of-2.json"
    meta.write_text(json.dumps(json.loads(meta.read_text()) | {"finished": None}))
    with pytest.raises(InputError, match="not finished"):
        merge_output(tmp_path)
