"""`eval` and `report`: a new user's plain mistakes each end in one ``error:`` line that names what to fix
and exit status 2, never a traceback, and before any model is loaded."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers.cli import fails

REPO = Path(__file__).resolve().parents[2]


def eval_argv(model: Path, data_dir: Path, out: Path, *extra: str) -> list[str]:
    return ["eval", "--model", str(model), "--datasets", "custom", "--data-dir", str(data_dir),
            "--output-dir", str(out), *extra]


def test_bad_shard(capsys, empty_model, custom_dir, tmp_path):
    fails(capsys, eval_argv(empty_model, custom_dir, tmp_path / "out", "--shard", "3/2"), "--shard 3/2", "0 <= i < n")
    fails(capsys, eval_argv(empty_model, custom_dir, tmp_path / "out", "--shard", "half"), "--shard must look like i/n")


def test_unknown_dataset_is_named_before_the_model_loads(capsys, empty_model, custom_dir, tmp_path):
    argv = eval_argv(empty_model, custom_dir, tmp_path / "out")
    argv[argv.index("custom")] = "gsm9k"
    fails(capsys, argv, "unknown benchmark 'gsm9k'", "gsm8k")


def test_missing_model_path(capsys, custom_dir, tmp_path):
    fails(capsys, eval_argv(tmp_path / "runs" / "quickstart" / "modle", custom_dir, tmp_path / "out"),
          "modle", "no such model folder")


def test_malformed_custom_jsonl_names_file_and_line(capsys, empty_model, custom_dir, tmp_path):
    with (custom_dir / "custom.jsonl").open("a") as f:
        f.write('{"id": "b", "question": "2 + 2?", "gold": 4\n')
    fails(capsys, eval_argv(empty_model, custom_dir, tmp_path / "out"), "custom.jsonl:2")


def test_typo_in_data_dir(capsys, empty_model, custom_dir, tmp_path):
    fails(capsys, eval_argv(empty_model, tmp_path / "evl", tmp_path / "out"), "evl", "no such folder", "--data-dir")


def test_few_shot_without_a_source(capsys, empty_model, custom_dir, tmp_path):
    fails(capsys, eval_argv(empty_model, custom_dir, tmp_path / "out", "--few-shot"), "--train-dir", "--exemplars")


def test_eval_without_data_dir_offline(empty_model, tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-m", "mammoth_math", "eval", "--model", str(empty_model), "--datasets",
                           "gsm8k", "--output-dir", str(tmp_path / "out")], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "hub could not be read" in last and "--data-dir" in last


def test_report_on_a_folder_without_runs(capsys, tmp_path):
    fails(capsys, ["report", str(tmp_path)], "no evaluation run here", "--output-dir")


def test_eval_yaml_limit_five_names_file_line_and_field_before_the_model(capsys, empty_model, custom_dir, tmp_path):
    config = tmp_path / "eval.yaml"
    config.write_text(f"model: {empty_model}\ndatasets: [custom]\ndata_dir: {custom_dir}\nlimit: five\n"
                      f"output_dir: {tmp_path / 'out'}\n")
    fails(capsys, ["eval", "--config", str(config)], f"{config}:4:", "'limit'", "expected an integer", "'five'")
    config.write_text(config.read_text().replace("limit: five", "limit: 0"))
    fails(capsys, ["eval", "--config", str(config)], f"{config}:4:", "'limit'", "must be >= 1")
    assert not (tmp_path / "out").exists()
