"""The 7B GRPO config's dry run, offline on CPU: batch and steps, what runs where (vLLM colocated or as a
server), and the per-GPU memory plan from a 7B Llama's config counted on the meta device."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.files import InputError
from mammoth_math.training import load_grpo_config
from mammoth_math.training.grpo.plan import plan_grpo

REPO = Path(__file__).resolve().parents[3]
SEVEN_B = REPO / "configs" / "train" / "grpo-7b.yaml"


@pytest.fixture(scope="module")
def llama_7b(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding only Llama-2-7B's config.json: enough to count its parameters, no weights."""
    from transformers import LlamaConfig

    folder = tmp_path_factory.mktemp("llama-7b")
    LlamaConfig(vocab_size=32000, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
                num_attention_heads=32).save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def prompts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prompts") / "p.jsonl"
    path.write_text("".join(json.dumps({"question": f"What is {i} squared?", "gold": str(i * i)}) + "\n"
                            for i in range(640)))
    return path


def test_colocated_plan_fits_an_80gb_gpu(llama_7b: Path, prompts: Path) -> None:
    config = load_grpo_config(SEVEN_B, [f"model={llama_7b}", f"prompts=[{prompts}]"], cpu_fallback=True)
    plan = plan_grpo(config, processes=8)
    assert 6.7e9 < plan.parameters < 6.8e9  # Llama-2-7B: 6.74B
    assert (plan.completions_per_step, plan.prompts_per_step, plan.total_steps) == (512, 64, 500)
    assert plan.modes == {"cot": 214, "pot": 213, "tir": 213}
    assert any("vLLM colocated" in line and "30%" in line for line in plan.placement)
    memory = plan.memory_gib
    assert memory["vLLM (weights + KV cache)"] == 24.0
    assert memory["grads + optimizer (fp32 master, AdamW)"] == pytest.approx(14 * 6.74e9 / 8 / 1024**3, rel=0.01)
    assert memory["total per GPU"] < memory["GPU"] and "reference model" not in memory  # beta 0: none


def test_server_mode_and_lora_plans(llama_7b: Path, prompts: Path) -> None:
    config = load_grpo_config(SEVEN_B, [f"model={llama_7b}", f"prompts=[{prompts}]", "vllm_mode=server",
                                        "vllm_server_host=gen-node", "lora=true", "beta=0.04"], cpu_fallback=True)
    plan = plan_grpo(config, processes=8)
    (server,) = [line for line in plan.placement if "vLLM server at gen-node:8000" in line]
    assert "`launch slurm` starts it on a node of its own (tensor parallel 1" in server
    assert server.endswith(f"trl vllm-serve --model {llama_7b} --tensor-parallel-size 1")
    assert "vLLM (weights + KV cache)" not in plan.memory_gib  # on its own GPUs
    assert "grads + optimizer (fp32 master, AdamW)" not in plan.memory_gib and "reference model" in plan.memory_gib
    with pytest.raises(InputError, match="grpo-7b.yaml: .*divisible by num_generations"):
        load_grpo_config(SEVEN_B, [f"prompts=[{prompts}]", "num_generations=3"], cpu_fallback=True)


def test_dry_run_through_the_cli_names_what_it_needs(prompts: Path, capsys) -> None:
    assert main(["train", "--config", str(SEVEN_B), "--dry-run", "--processes", "8", f"prompts=[{prompts}]"]) == 0
    out = capsys.readouterr().out
    assert "512 completions = 64 prompts x 8" in out and "needs hub" in out and "runs/mammoth-7b" in out
