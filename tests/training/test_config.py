"""Config loading (YAML keys = fields, overrides win, unknown keys fail) and dry runs of the paper configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mammoth_math.cli import main
from mammoth_math.files import InputError
from mammoth_math.training import dry_run, load_config, save_config, train_bpe_tokenizer

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "train"
PAPER = {"7b": (4, 4), "13b": (2, 8), "34b": (1, 16), "70b": (1, 16)}  # per device, accumulation on 8 GPUs


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model: tiny\nlearnin_rate: 0.1\n")
    with pytest.raises(InputError, match=r"bad.yaml: field 'learnin_rate': unknown config key"):
        load_config(bad)
    with pytest.raises(InputError, match=r"field 'nope'"):
        load_config(CONFIGS / "tiny-cpu.yaml", ["nope=1"])


def test_overrides_win_and_resolved_config_round_trips(tmp_path: Path) -> None:
    config = load_config(CONFIGS / "tiny-cpu.yaml", ["learning_rate=0.01", "save_strategy=no", "data=x.jsonl"])
    assert config.learning_rate == 0.01 and config.data == ["x.jsonl"] and config.model == "tiny"
    assert config.save_strategy == "no"  # YAML's `no` stays the word for string options
    save_config(config, tmp_path / "resolved.yaml")
    saved = yaml.safe_load((tmp_path / "resolved.yaml").read_text())
    assert saved["learning_rate"] == 0.01 and saved["max_train_examples"] == 2000 and saved["padding_free"] is True
    again = load_config(tmp_path / "resolved.yaml")
    assert again.learning_rate == 0.01 and again.save_strategy == "no"


@pytest.mark.parametrize("size", PAPER)
def test_paper_configs_dry_run_offline(size: str, export_file: Path, capsys: pytest.CaptureFixture) -> None:
    per_device, accumulation = PAPER[size]
    path = CONFIGS / f"mammoth-{size}.yaml"
    config = load_config(path, cpu_fallback=True)
    assert (config.learning_rate, config.num_train_epochs, config.global_batch_size) == (2e-5, 3, 128)
    assert config.lr_scheduler_type == "cosine" and config.warmup_steps == 0.03 and config.max_length == 512
    assert main(["train", "--config", str(path), "--dry-run", "--processes", "8", f"data={export_file}"]) == 0
    out = capsys.readouterr().out
    assert f"128 = {per_device} per device x {accumulation} accumulation x 8" in out
    assert "needs hub" in out  # the 7B tokenizer is named, not downloaded


def test_dry_run_with_a_local_tokenizer_counts_tokens(tmp_path: Path, export_file: Path) -> None:
    tokenizer = train_bpe_tokenizer(["### Response: a = 1\nprint(a)"] * 10, 300)
    tokenizer.save_pretrained(tmp_path / "tok")
    config = load_config(CONFIGS / "mammoth-7b.yaml", [f"data={export_file}", f"tokenizer={tmp_path / 'tok'}",
                                                       "max_length=1000"], cpu_fallback=True)
    report = dry_run(config, processes=8)
    assert report.stats is not None and not report.needs_hub
    assert report.stats.rows == 40 and report.stats.kept == 40 and report.stats.longest <= 1000
    assert report.stats.response_tokens > 0 and report.plan.global_batch == 128
    assert report.plan.steps_per_epoch == 1 and report.plan.total_steps == 3
