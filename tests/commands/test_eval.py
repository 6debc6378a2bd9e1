"""A new user's plain mistakes, driven through the command line: each ends in one ``error:`` line that names
what to fix and exit status 2, never a traceback (``--debug`` shows it), and before any model is loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.files import InputError

REPO = Path(__file__).resolve().parents[1]


def fails(capsys: pytest.CaptureFixture, argv: list[str], *expected: str) -> str:
    """Run ``argv``; assert exit 2, no traceback and exactly one ``error:`` line holding ``expected``."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, err
    for text in expected:
        assert text in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def empty_model(tmp_path: Path) -> Path:
    """A model folder with nothing in it: any error that names something else came before the model load."""
    path = tmp_path / "model"
    path.mkdir()
    return path


@pytest.fixture
def custom_dir(tmp_path: Path) -> Path:
    path = tmp_path / "eval"
    path.mkdir()
    (path / "custom.jsonl").write_text(json.dumps({"id": "a", "question": "1 + 1?", "gold": 2, "kind": "number"})
                                       + "\n")
    return path


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


def test_missing_data_config(capsys, tmp_path):
    fails(capsys, ["data", "build", "--config", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")],
          "nope.yaml", "No such file")


def test_wrong_train_dir_is_refused_before_building(capsys, tmp_path):
    fails(capsys, ["data", "build", "--config", str(REPO / "configs" / "data" / "G.yaml"), "--train-dir",
                   str(tmp_path / "trian"), "--out", str(tmp_path / "out")], "trian", "no such folder", "--train-dir")
    assert not (tmp_path / "out").exists()


def test_a_build_of_zero_rows_exits_2(capsys, tmp_path):
    config = tmp_path / "empty.yaml"
    config.write_text(f"sources: [{{name: rationales, path: {tmp_path / 'missing.jsonl'}}}]\neval_dir: null\n")
    assert main(["data", "build", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "error: no rows were built; 1 source(s) not found" in err and "Traceback" not in err


def test_data_stats_on_missing_and_unfinished_folders(capsys, tmp_path):
    fails(capsys, ["data", "stats", str(tmp_path / "built")], "built", "no such folder")
    (tmp_path / "built.partial").mkdir()
    fails(capsys, ["data", "stats", str(tmp_path / "built")], "built.partial is an unfinished build")
    fails(capsys, ["data", "stats", str(tmp_path / "built.partial")], "unfinished build")
    (tmp_path / "other").mkdir()
    fails(capsys, ["data", "stats", str(tmp_path / "other")], "no report.json")


def test_unknown_train_key(capsys):
    fails(capsys, ["train", "--config", str(REPO / "configs" / "train" / "tiny-cpu.yaml"), "lerning_rate=1e-3"],
          "lerning_rate", "unknown config key")


def test_missing_train_config(capsys, tmp_path):
    fails(capsys, ["train", "--config", str(tmp_path / "tiny.yaml")], "tiny.yaml", "No such file")


def test_report_on_a_folder_without_runs(capsys, tmp_path):
    fails(capsys, ["report", str(tmp_path)], "no evaluation run here", "--output-dir")


def test_sandbox_run_of_a_missing_file(capsys, tmp_path):
    fails(capsys, ["sandbox", "run", str(tmp_path / "prog.py")], "prog.py", "No such file")


def test_bad_flag_is_argparse_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "--modle", "x"])
    assert exit_.value.code == 2 and "error:" in capsys.readouterr().err


def test_debug_shows_the_exception(tmp_path):
    with pytest.raises(InputError, match="no such folder"):
        main(["--debug", "data", "stats", str(tmp_path / "built")])


def test_help_shows_defaults(capsys):
    with pytest.raises(SystemExit):
        main(["quickstart", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: 10.0)" in text and "(default: runs/quickstart)" in text and "default: 0" in text


def test_launch_refusals_are_one_line(capsys, tmp_path):
    fails(capsys, ["launch", "slurm", "--dry-run", "--", "grade", "--pred", "1", "--gold", "1"], "launch runs", "'grade'")
    fails(capsys, ["launch", "status", str(tmp_path / "nowhere")], "nowhere")
