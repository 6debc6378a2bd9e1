"""`train`: unknown keys and bad values of a config or an override end in one ``error:`` line with the file
and line."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.cli import fails

REPO = Path(__file__).resolve().parents[2]


def test_unknown_train_key(capsys):
    fails(capsys, ["train", "--config", str(REPO / "configs" / "train" / "tiny-cpu.yaml"), "lerning_rate=1e-3"],
          "lerning_rate", "unknown config key")


def test_missing_train_config(capsys, tmp_path):
    fails(capsys, ["train", "--config", str(tmp_path / "tiny.yaml")], "tiny.yaml", "No such file")


@pytest.mark.parametrize("line, expected", [
    ("max_length: -3", ("must be >= 1",)),
    ("learning_rate: fast", ("expected a number", "'fast'")),
    ("num_train_epochs: 0", ("must be > 0",)),
    ("per_device_train_batch_size: 2.5", ("expected an integer",)),
])
def test_train_yaml_fields_are_checked_with_their_line(capsys, tmp_path, line, expected):
    config = tmp_path / "train.yaml"
    config.write_text(f"model: tiny\ndata: [{tmp_path / 'missing.jsonl'}]\n{line}\n")
    fails(capsys, ["train", "--config", str(config)], f"{config}:3:", f"'{line.split(':')[0]}'", *expected)
    config.write_text(f"model: tiny\ndata: [{tmp_path / 'missing.jsonl'}]\n")
    fails(capsys, ["train", "--config", str(config), line.replace(": ", "=")], "<command line>", *expected)
