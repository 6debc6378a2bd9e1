"""Through a real Slurm cluster: an eval over 3 shards with one task cancelled mid-run and resumed merges into the
results of a one-process run; a probe over 2 shards merges into the one-process probe's summary; a 2-task
training job (gloo, CPU) logs the losses of a one-process run."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.launch import load, status

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _wait(ready, seconds: float, what: str, folder: Path) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    logs = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in sorted(folder.rglob("*.out")))
    pytest.fail(f"{what} within {seconds:.0f} s; job logs:\n{logs}")


def _problems(folder: Path, count: int) -> Path:
    folder.mkdir()
    rows = [{"id": f"p{i}", "question": f"Tom has {i} apples and buys {i + 3} more. How many apples?",
             "gold": str(2 * i + 3), "kind": "number"} for i in range(count)]
    (folder / "custom.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return folder


def _comparable(results: dict) -> dict:
    scores = {run: {d: {k: v for k, v in s.items() if "seconds" not in k} for d, s in info["datasets"].items()}
              for run, info in results["runs"].items()}
    return {"table": results["table"], "datasets": results["datasets"], "scores": scores}


def _records(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    for row in rows:
        row.pop("seconds")
    return rows


def test_eval_shards_cancelled_and_resumed_equal_one_process(slurm, tiny_model_dir, tmp_path):
    data = _problems(tmp_path / "data", 30)
    eval_args = ["eval", "--model", str(tiny_model_dir), "--backend", "hf", "--datasets", "custom", "--mode", "cot",
                 "--data-dir", str(data), "--max-new-tokens", "48", "--chunk-size", "1"]
    sharded = tmp_path / "sharded"
    assert main(["launch", "slurm", "--shards", "3", "--", *eval_args, "--output-dir", str(sharded)]) == 0
    folder = sharded / "launch"
    (first,) = load(folder)[2]
    victim = sharded / "cot" / "custom.shard-1-of-3.jsonl"
    _wait(lambda: victim.exists() and victim.read_bytes().count(b"\n") >= 1, 300, "shard 1 wrote no record", folder)
    subprocess.run(["scancel", f"{first.main}_1"], check=True)
    _wait(lambda: all(s.slurm is None for s in status(folder)), 300, "the first submission did not end", folder)
    states = status(folder)
    assert not states[1].finished, "shard 1 finished before it was cancelled: give it more problems"
    assert 1 <= states[1].records < 10
    assert main(["launch", "status", str(folder)]) == 1  # not everything finished

    assert main(["launch", "resume", str(folder)]) == 0
    again = load(folder)[2][-1]
    assert again.tasks == (1,) and again.after, "only the cancelled shard is resubmitted, with a new merge job"
    _wait(lambda: (sharded / "results.json").exists(), 300, "the merge job wrote no results.json", folder)
    assert main(["launch", "status", str(folder)]) == 0
    assert sorted(p.name.split(".")[0] for p in (folder / "logs").glob("shard-*.out")) == \
        ["shard-0", "shard-1", "shard-1", "shard-2"]

    single = tmp_path / "single"
    assert main([*eval_args, "--output-dir", str(single)]) == 0 and main(["report", str(single)]) == 0
    assert _records(sharded / "cot" / "custom.jsonl") == _records(single / "cot" / "custom.jsonl")
    merged, alone = (json.loads((d / "results.json").read_text()) for d in (sharded, single))
    assert _comparable(merged) == _comparable(alone)


def test_probe_shards_merge_into_the_one_process_probe(slurm, tiny_model_dir, tmp_path):
    from mammoth_math.probe import read_probe_records, score_probe

    data = _problems(tmp_path / "data", 7)
    probe_args = ["probe", "--model", str(tiny_model_dir), "--backend", "hf", "--datasets", "custom", "--mode", "cot",
                  "--data-dir", str(data), "--challenge", "assert-wrong", "--max-new-tokens", "16", "--no-cache"]
    sharded, single = tmp_path / "sharded", tmp_path / "single"
    assert main(["launch", "slurm", "--shards", "2", "--", *probe_args, "--output-dir", str(sharded)]) == 0
    folder = sharded / "launch"
    assert load(folder)[2][0].tasks == (0, 1)  # one array task per shard
    _wait(lambda: (sharded / "results.json").exists(), 300, "the merge job wrote no results.json", folder)
    assert main(["launch", "status", str(folder)]) == 0
    assert main([*probe_args, "--output-dir", str(single)]) == 0 and main(["report", str(single)]) == 0

    run = "probe-assert-wrong-cot"
    assert (sharded / run / "custom.shard-1-of-2.jsonl").exists()  # it really ran in shards
    merged, alone = (read_probe_records(d / run / "custom.jsonl") for d in (sharded, single))
    assert len(merged) == 7 and score_probe(merged) == score_probe(alone)
    assert [(r.id, r.wrong_answer, r.second and r.second.answer) for r in merged] == \
        [(r.id, r.wrong_answer, r.second and r.second.answer) for r in alone]
    robustness = [json.loads((d / "results.json").read_text()).get("robustness") for d in (sharded, single)]
    assert robustness[0] == robustness[1]


def test_two_task_training_job_matches_one_process(slurm, tmp_path):
    from training.conftest import alpaca_rows

    from mammoth_math.training import load_config, train

    data = tmp_path / "export.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in alpaca_rows()))
    config = str(REPO / "configs" / "train" / "tiny-cpu.yaml")
    common = [f"data={data}", "report_to=[]", "disable_tqdm=true", "tiny_vocab_size=300", "tiny_hidden_size=48",
              "logging_steps=1", "max_steps=3", "global_batch_size=8", "per_device_train_batch_size=4",
              "save_strategy=no", "learning_rate=5e-3"]
    two = tmp_path / "two"
    assert main(["launch", "slurm", "--tasks-per-node", "2", "--accelerate-config",
                 str(REPO / "configs" / "accelerate" / "cpu-2proc.yaml"), "--",
                 "train", "--config", config, *common, f"output_dir={two}"]) == 0
    folder = two / "launch"
    _wait(lambda: status(folder)[0].slurm is None and (two / "trainer_state.json").exists(), 400,
          "the training job wrote no trainer_state.json", folder)
    log = next((folder / "logs").glob("train.job-*.out")).read_text()
    assert "global batch 8 = 4 per device x 1 accumulation x 2 processes" in log
    train(load_config(config, [*common, f"output_dir={tmp_path / 'one'}"]))
    one, both = (_losses(d) for d in (tmp_path / "one", two))
    assert len(one) == len(both) == 3 and one == pytest.approx(both, rel=1e-4)


def _losses(out: Path) -> list[float]:
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    return [h["loss"] for h in history if "loss" in h]
