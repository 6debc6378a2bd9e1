"""``eval --config``: YAML keys are EvalConfig fields, given flags win, unknown keys name file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mammoth_math.evaluation import load_config
from mammoth_math.files import InputError

REPO = Path(__file__).resolve().parents[2]


def test_yaml_values_then_flags(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("model: m\ndatasets: gsm8k, aqua\noutput_dir: out\nmode: pot\nlimit: 5\nshard: 1/4\n")
    config = load_config(path, {"limit": 20, "mode": None})  # a flag not given is None: the file's value stays
    assert (config.model, config.datasets, config.mode, config.limit, config.shard) == (
        "m", ["gsm8k", "aqua"], "pot", 20, (1, 4))


def test_unknown_key_and_bad_values_name_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: m\ndatasets: [gsm8k]\noutput_dir: out\nmodes: pot\n")
    with pytest.raises(InputError, match=r"bad.yaml: field 'modes': unknown config key"):
        load_config(path)
    path.write_text("model: m\ndatasets: [gsm8k]\noutput_dir: out\nmode: tot\n")
    with pytest.raises(InputError, match=r"bad.yaml: mode must be one of cot, pot, hybrid"):
        load_config(path)
    with pytest.raises(InputError, match="field 'output_dir': required"):
        load_config(None, {"model": "m", "datasets": ["gsm8k"]})


def test_shipped_eval_configs_load():
    paths = sorted((REPO / "configs" / "eval").glob("*.yaml"))
    assert paths
    for path in paths:
        assert load_config(path).datasets
