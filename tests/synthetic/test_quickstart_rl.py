"""``quickstart --rl`` at toy size through the CLI: a GRPO stage after SFT, the RL model's columns beside the
SFT ones, the reward curves in report.html and report.png, and a second run that resumes without retraining."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.synthetic import QuickstartConfig
from mammoth_math.synthetic.rl import rl_steps, running_mean

TOY = ["--minutes", "0.02", "--problems", "24", "8", "--threads", "1", "--seed", "3"]  # 20 SFT, 2 GRPO steps


def _png_height(path: Path) -> int:
    return struct.unpack(">I", path.read_bytes()[20:24])[0]  # the IHDR chunk: width, then height


def test_rl_budget_follows_the_minutes() -> None:
    assert QuickstartConfig.for_minutes(10).rl_steps == 0  # no --rl, no RL stage
    assert QuickstartConfig.for_minutes(10, rl=True).rl_steps == rl_steps(10) > rl_steps(1) >= 2


def test_running_mean_of_the_reward_curves() -> None:
    assert running_mean([0.0, 1.0, 1.0, 0.0, 1.0], 2) == [0.0, 0.5, 1.0, 0.5, 0.5]
    assert running_mean([0.25, 0.75], 10) == [0.25, 0.5] and running_mean([], 3) == []


def test_quickstart_rl_adds_columns_and_curves_and_resumes(tmp_path: Path, capsys: pytest.CaptureFixture,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    out = tmp_path / "qs"
    assert main(["quickstart", *TOY, "--out", str(out), "--rl"]) == 0
    printed = capsys.readouterr().out
    assert "tir rl" in printed and "hybrid-tir rl" in printed and "cot rl" in printed
    state = json.loads((out / "rl" / "model" / "trainer_state.json").read_text())
    assert state["global_step"] == 2
    prompts = [json.loads(line) for line in (out / "rl" / "prompts.jsonl").read_text().splitlines()]
    assert {p["rollout"] for p in prompts} == {"tir"} and {p["kind"] for p in prompts} == {"number", "list", "choice"}
    assert len(prompts) == 24  # every training problem, multiple choice among them
    results = json.loads((out / "eval" / "results.json").read_text())
    all_row = results["rl"][-1]
    assert all_row["test set"] == "all" and 0.0 <= all_row["tir rl"] <= 1.0 and "tir" in all_row
    curves = {row["reward"]: row["mean_per_step"] for row in results["rl_rewards"]}
    assert set(curves) == {"correct", "format", "overlong"} and all(len(v) == 2 for v in curves.values())
    page = (out / "eval" / "report.html").read_text()
    assert '<section id="rl">' in page and 'id="rl-curves"' in page and "<th>tir rl</th>" in page
    # report.png holds the accuracy chart with the reward curves drawn below it
    assert _png_height(out / "eval" / "report.png") > _png_height(out / "rl" / "rewards.png") + 200
    model_mtime = (out / "rl" / "model" / "model.safetensors").stat().st_mtime_ns

    assert main(["quickstart", *TOY, "--out", str(out), "--rl"]) == 0
    again = capsys.readouterr().out
    assert "skipped generate, data, train, eval, rl" in again
    assert (out / "rl" / "model" / "model.safetensors").stat().st_mtime_ns == model_mtime
    rows = lambda text: [line for line in text.splitlines() if line.startswith("│")]  # noqa: E731 (rich's rows)
    assert rows(again) == rows(printed) and len(rows(printed)) > 4

    # A folder whose RL stage ran with other settings (here: one from before the prompts took every family)
    # retrains the RL model on fresh prompts and keeps the SFT model.
    settings = json.loads((out / "rl" / "rl.json").read_text())
    (out / "rl" / "rl.json").write_text(json.dumps({k: v for k, v in settings.items() if k != "rl_prompts"}))
    (out / "rl" / "prompts.jsonl").write_text(json.dumps({"question": "stale", "gold": "1"}) + "\n")
    sft_mtime = (out / "model" / "model.safetensors").stat().st_mtime_ns
    assert main(["quickstart", *TOY, "--out", str(out), "--rl"]) == 0
    assert "skipped generate, data, train, eval (already complete)" in capsys.readouterr().out
    assert (out / "model" / "model.safetensors").stat().st_mtime_ns == sft_mtime
    assert (out / "rl" / "model" / "model.safetensors").stat().st_mtime_ns != model_mtime
    assert json.loads((out / "rl" / "rl.json").read_text()) == settings
    assert "stale" not in (out / "rl" / "prompts.jsonl").read_text()
