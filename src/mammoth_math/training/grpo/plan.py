"""A GRPO run's dry run: prompts, batch and steps, what runs where (trainer, vLLM colocated or as a server),
and a per-GPU memory plan, all without loading a model or touching a GPU.

``mammoth-math train --config configs/train/grpo-7b.yaml --dry-run --processes 8`` prints it. Parameters are
counted from the model's ``config.json`` on the meta device (a local folder or the hub cache, never the
network); without one the plan says what it needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from mammoth_math.training.grpo.config import GRPOTrainConfig
from mammoth_math.training.grpo.prompts import dataset_rows, load_problems

GIB = 1024**3


@dataclass
class GRPOPlan:
    prompts: int
    modes: dict[str, int]  # rollout mode -> prompts
    processes: int
    completions_per_step: int  # per-device batch x accumulation x processes
    prompts_per_step: int
    total_steps: int
    placement: list[str]  # what runs where, one line each
    parameters: int | None = None
    memory_gib: dict[str, float] = field(default_factory=dict)  # per training GPU
    needs_hub: list[str] = field(default_factory=list)


def plan_grpo(config: GRPOTrainConfig, processes: int = 1, gpu_memory_gib: float = 80.0) -> GRPOPlan:
    """The plan for ``processes`` training processes (one GPU each) of ``gpu_memory_gib``."""
    problems = load_problems(config.prompts, config.max_prompts)
    rows = dataset_rows(problems, config.rollout)
    modes: dict[str, int] = {}
    for r in rows:
        modes[r["rollout"]] = modes.get(r["rollout"], 0) + 1
    completions = config.per_device_train_batch_size * config.gradient_accumulation_steps * processes
    per_step = completions // (config.num_generations or 8)  # divisible: GRPOConfig checks it per process
    steps = config.max_steps if config.max_steps > 0 else math.ceil(len(rows) / per_step * config.num_train_epochs)
    plan = GRPOPlan(len(rows), modes, processes, completions, per_step, steps, _placement(config, processes, modes))
    plan.parameters = _parameters(config.model, plan.needs_hub)
    if plan.parameters:
        plan.memory_gib = _memory(config, plan.parameters, processes, gpu_memory_gib)
    return plan


def _placement(config: GRPOTrainConfig, processes: int, modes: dict[str, int]) -> list[str]:
    where = [f"trainer: {processes} process(es), one GPU each (FSDP/DeepSpeed per the accelerate config)"]
    if not config.use_vllm:
        where.append("generation: transformers generate on the training GPUs")
    elif config.vllm_mode == "colocate":
        where.append(f"generation: vLLM colocated in each training process, {config.vllm_gpu_memory_utilization:.0%} "
                     f"of each GPU, tensor parallel {config.vllm_tensor_parallel_size}")
    else:
        host = config.vllm_server_base_url or f"{config.vllm_server_host}:{config.vllm_server_port}"
        where.append(f"generation: vLLM server at {host} on its own GPUs, weights synced each step: `launch slurm` "
                     f"starts it on a node of its own (tensor parallel {config.vllm_tensor_parallel_size}, data "
                     "parallel over the node's other GPUs; --vllm-gpus, --vllm-tensor-parallel), waits for its "
                     "/health and sets vllm_server_host/port; by hand: trl vllm-serve --model "
                     f"{config.model} --tensor-parallel-size {config.vllm_tensor_parallel_size}")
    if "tir" in modes:
        where.append("tir rollouts: multi-turn with transformers generate on the training GPUs (this version's "
                     "rollout loop; cot and pot rows of the same run too)")
    where.append("rewards: grader in the trainer process; programs in the sandbox (in-process, or the "
                 "`sandbox serve` hosts of --sandbox-url)")
    return where


def _parameters(model: str, needs: list[str]) -> int | None:
    """Parameters counted on the meta device from the model's config; None (and ``needs``) when it is not here."""
    if model == "tiny":
        return None
    try:
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM

        config = AutoConfig.from_pretrained(model, local_files_only=True)
        with torch.device("meta"):
            return sum(p.numel() for p in AutoModelForCausalLM.from_config(config).parameters())
    except (OSError, ValueError):
        needs.append(f"model config {model} (parameter count, memory plan)")
        return None


def _memory(config: GRPOTrainConfig, params: int, processes: int, gpu: float) -> dict[str, float]:
    """Bytes per parameter, sharded over the processes: bf16 weights (2) and, trained in full, bf16 grads (2),
    fp32 master weights and AdamW moments (12); a reference model (beta > 0) adds its bf16 weights (2). LoRA
    trains a small adapter: the base weights only. vLLM colocated reserves its share of each GPU."""
    adapter = config.lora or config.qlora
    weights = (0.5 if config.qlora else 2.0) * params
    plan = {"policy weights": weights / processes}
    if not adapter:
        plan["grads + optimizer (fp32 master, AdamW)"] = 14.0 * params / processes
    if config.beta > 0:
        plan["reference model"] = 2.0 * params / processes
    plan = {k: v / GIB for k, v in plan.items()}
    if config.use_vllm and config.vllm_mode == "colocate":
        plan["vLLM (weights + KV cache)"] = config.vllm_gpu_memory_utilization * gpu
    plan["total per GPU"] = sum(plan.values())
    plan["GPU"] = gpu
    return {k: round(v, 1) for k, v in plan.items()}
