"""`data`: a missing or wrong config, folder or source ends in one ``error:`` line (file, line, field), and
nothing is written."""

from __future__ import annotations

from pathlib import Path

from helpers.cli import fails

from mammoth_math.cli import main

REPO = Path(__file__).resolve().parents[2]


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


def test_data_configs_are_checked_with_their_line(capsys, tmp_path):
    build = tmp_path / "build.yaml"
    build.write_text("name: x\nsources:\n  - {name: gsm8k, limit: 0}\neval_dir: null\n")
    fails(capsys, ["data", "build", "--config", str(build), "--out", str(tmp_path / "out")],
          f"{build}:2:", "'sources.limit'", "must be >= 1")
    build.write_text("sources: [gsm8k]\nnear_dup_threshold: 1.5\n")
    fails(capsys, ["data", "build", "--config", str(build), "--out", str(tmp_path / "out")],
          f"{build}:2:", "'near_dup_threshold'", "must be <= 1")
    build.write_text("sources: [gsm8k]\neval_dir: null\ntir_choice_text: -0.1\n")
    fails(capsys, ["data", "build", "--config", str(build), "--out", str(tmp_path / "out")],
          f"{build}:3:", "'tir_choice_text'", "must be >= 0")
    distill = tmp_path / "distill.yaml"
    distill.write_text("sources: [gsm8k]\nmodel: m\nk: two\n")
    fails(capsys, ["data", "distill", "--config", str(distill), "--out", str(tmp_path / "out")],
          f"{distill}:3:", "'k'", "expected an integer")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
