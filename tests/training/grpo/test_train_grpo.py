"""GRPO through the CLI on CPU: a tiny Llama built from config, SFT'd a little so its rollouts vary, then a few
GRPO steps per rollout mode with the real rewards (grader, bubblewrap sandbox): weights move; LoRA trains an
adapter; config errors name file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from mammoth_math.cli import main
from mammoth_math.files import InputError
from mammoth_math.training import load_config, load_grpo_config, train

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[3]
GRPO = REPO / "configs" / "train" / "grpo-tiny-cpu.yaml"
FAST = ["report_to=[]", "disable_tqdm=true", "max_steps=1", "num_generations=4", "per_device_train_batch_size=8",
        "max_completion_length=24", "overlong_cache=16", "learning_rate=1e-3", "save_strategy=no",
        "sandbox_workers=2", "sandbox_timeout=3"]


def tensors(path: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(path))


@pytest.fixture(scope="module")
def sft(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model built from config and SFT'd on CoT and PoT rows: it writes answers and programs that are
    sometimes right, so a group's rewards differ and GRPO has a gradient."""
    from ..conftest import alpaca_rows

    tmp = tmp_path_factory.mktemp("sft")
    data = tmp / "export.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in alpaca_rows()))
    overrides = [f"data={data}", f"output_dir={tmp / 'out'}", "report_to=[]", "disable_tqdm=true",
                 "tiny_vocab_size=300", "tiny_hidden_size=48", "max_steps=24", "learning_rate=5e-3", "save_strategy=no"]
    train(load_config(REPO / "configs" / "train" / "tiny-cpu.yaml", overrides))
    return tmp / "out"


@pytest.fixture(scope="module")
def problems(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prompts") / "problems.jsonl"
    rows = []
    for i in range(8):
        a, b = i % 9 + 1, (i * 7) % 13 + 2
        rows.append({"question": f"What is {a} plus {b}?", "gold": str(a + b), "kind": "number", "rollout": "pot"})
        rows.append({"question": f"Tom has {a} apples and buys {b} more. How many apples does he have?",
                     "gold": str(a + b), "kind": "number", "rollout": "cot"})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def run_cli(out: Path, problems: Path, *overrides: str) -> dict:
    assert main(["train", "--config", str(GRPO), "--threads", "1", f"prompts=[{problems}]", f"output_dir={out}",
                 *FAST, *overrides]) == 0
    return json.loads((out / "trainer_state.json").read_text())


def changed(before: dict[str, torch.Tensor], after: dict[str, torch.Tensor]) -> list[str]:
    return [k for k in before if k in after and not torch.equal(before[k], after[k])]


@pytest.mark.parametrize("rollout", ["cot", "pot", "tir"])
def test_grpo_steps_move_the_weights(sft: Path, problems: Path, tmp_path: Path, rollout: str) -> None:
    state = run_cli(tmp_path / "out", problems, f"model={sft}", f"rollout={rollout}")
    assert state["global_step"] == 1
    logged = [h for h in state["log_history"] if "rewards/correct/mean" in h]
    assert logged and all({"rewards/format/mean", "rewards/overlong/mean"} <= h.keys() for h in logged)
    moved = changed(tensors(sft / "model.safetensors"), tensors(tmp_path / "out" / "model.safetensors"))
    assert len(moved) > 5, "GRPO steps left the weights where SFT put them"
    saved = tmp_path / "out" / "train_config.yaml"
    assert "method: grpo" in saved.read_text() and load_grpo_config(saved).rollout == rollout


def test_grpo_from_a_tiny_model_built_from_config(problems: Path, tmp_path: Path) -> None:
    state = run_cli(tmp_path / "out", problems, "model=tiny", "tiny_vocab_size=300", "tiny_hidden_size=32",
                    "rollout=mixed")
    assert state["global_step"] == 1 and (tmp_path / "out" / "model.safetensors").exists()


def test_grpo_lora_trains_an_adapter(sft: Path, problems: Path, tmp_path: Path) -> None:
    run_cli(tmp_path / "out", problems, f"model={sft}", "rollout=cot", "lora=true", "lora_r=4", "learning_rate=1e-2")
    adapter = tensors(tmp_path / "out" / "adapter_model.safetensors")
    lora_b = [v for k, v in adapter.items() if "lora_B" in k]
    assert lora_b and any(v.abs().sum() > 0 for v in lora_b), "lora_B starts at zero: a trained adapter moved it"
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_grpo_config_rejects_unknown_keys_and_modes(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("method: grpo\nnum_generatoins: 8\n")
    with pytest.raises(InputError, match="num_generatoins"):
        load_grpo_config(bad)
    with pytest.raises(InputError, match="rollout"):
        load_grpo_config(GRPO, ["rollout=sometimes"])
    config = load_grpo_config(GRPO, ["num_generations=4", "epsilon_high=0.28"])  # TRL's own fields, from YAML
    assert (config.num_generations, config.epsilon_high, config.loss_type, config.rollout) == (4, 0.28, "dapo", "mixed")


def test_the_judge_reward_is_logged_apart(sft: Path, problems: Path, tmp_path: Path) -> None:
    from helpers.servers import fault_server

    with fault_server([], text="Judgement: equivalent") as judge:
        state = run_cli(tmp_path / "out", problems, f"model={sft}", "rollout=cot", "judge=judge",
                        f"judge_base_url={judge.base_url}")
    logged = [h for h in state["log_history"] if "rewards/judge/mean" in h]
    assert logged and all({"judge/asked", "judge/failures"} <= h.keys() for h in logged)
    # the judge calls every answer it is asked about equivalent: each of the 8 rollouts it saw earned 1
    assert logged[0]["rewards/judge/mean"] == pytest.approx(logged[0]["judge/asked"] / 8)
    assert logged[0]["judge/failures"] == 0
