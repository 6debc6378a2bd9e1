"""The sbatch scripts of a launch: a job array of shards, the dependent merge job, and a multi-node training job.

Rendering is pure (plan and options in, script text out) so ``--dry-run`` prints exactly what would be submitted.
Inference shards are array tasks: task i runs the command with ``--shard i/n`` and, being a resumable run,
continues where it stopped when it is requeued, preempted or resubmitted by ``launch resume``. Training is one
job: ``srun`` starts one ``accelerate launch`` per task, each an accelerate "machine" whose rank and rendezvous
come from Slurm's environment (first host of the allocation, a port derived from the job id). GRPO's vLLM
server mode adds a node for the server (:mod:`.server` writes that job from the pieces here).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Kind = Literal["array", "train"]


@dataclass(frozen=True)
class SlurmOptions:
    """What a cluster needs to accept a job; ``None`` leaves Slurm's (or the site's) default."""

    partition: str | None = None
    account: str | None = None
    time: str | None = None  # Slurm's format: minutes, MM:SS, HH:MM:SS, D-HH
    gpus_per_task: int = 0
    cpus_per_task: int | None = None
    nodes: int = 1  # train only: inference tasks take one node each
    tasks_per_node: int = 1  # train only: accelerate "machines" per node (1 on GPU nodes; more to test on CPU)
    container_image: str | None = None  # run the command in this image (pyxis: srun --container-image); it
    # mounts the working directory only, so keep data and outputs under it
    setup: str | None = None  # a shell line run first in every job (module load ..., source venv/bin/activate)
    python: str = "python"  # the interpreter that has mammoth-math installed, on the compute nodes
    extra: tuple[str, ...] = ()  # further raw #SBATCH options, e.g. "--qos=high"


@dataclass(frozen=True)
class VLLMServer:
    """GRPO's vLLM server mode under a launch: ``trl vllm-serve`` on a node of its own beside the trainer's."""

    model: str
    tensor_parallel: int = 1
    data_parallel: int = 1
    gpus: int = 0  # GPUs the server's step asks for: tensor x data parallel (0: a CPU test cluster)
    port: int = 8000
    wait_s: int = 1200  # how long the job waits for the server's /health before it fails
    overrides_at: int = 0  # where in the train command its host and port go (argparse takes one run of key=value)


@dataclass(frozen=True)
class LaunchPlan:
    """One command to launch: an array of ``shards`` (eval, probe, synthesis) or one training job."""

    kind: Kind
    command: tuple[str, ...]  # mammoth-math arguments, without --shard
    folder: str  # scripts, launch.json and logs/ go here (under the command's output folder)
    workdir: str  # jobs start here, so relative paths in ``command`` mean what they meant at submission
    shards: int = 1
    run_dir: str | None = None  # eval: the run folder whose shard records `launch status` counts
    after: tuple[tuple[str, ...], ...] = ()  # commands of the dependent job (merge, report), in order
    accelerate_config: str | None = None  # train: the accelerate YAML (FSDP2, ZeRO-3, CPU)
    name: str = "mammoth"
    env: dict[str, str] = field(default_factory=dict)  # exported in every job before the command
    server: VLLMServer | None = None  # train: GRPO's vLLM server, on its own node


def logs_dir(plan: LaunchPlan) -> Path:
    return Path(plan.folder) / "logs"


def done_marker(plan: LaunchPlan, task: int) -> Path:
    """Touched by task ``task`` once its command succeeded: how ``launch status`` knows any command finished."""
    return Path(plan.folder) / "done" / f"task-{task}"


def touch_done(plan: LaunchPlan, task: str) -> str:
    return f"touch {shlex.quote(str(done_marker(plan, 0).parent))}/task-{task}"


def array_script(plan: LaunchPlan, options: SlurmOptions) -> str:
    """Task ``$SLURM_ARRAY_TASK_ID`` runs shard i of n; the task list is given at submission (``--array``)."""
    shard = ["--shard", f"${{SLURM_ARRAY_TASK_ID}}/{plan.shards}"] if plan.shards > 1 else []
    logs = logs_dir(plan) / "shard-%a.job-%A.out"
    head = _header(f"{plan.name}-shards", logs, options, ["--ntasks=1", "--requeue", "--open-mode=append"]
                   + ([f"--gpus-per-task={options.gpus_per_task}"] if options.gpus_per_task else []))
    return head + body(plan, options, [_run(options, plan.command, shard), touch_done(plan, "$SLURM_ARRAY_TASK_ID")])


def after_script(plan: LaunchPlan, options: SlurmOptions) -> str:
    """The job that runs once every shard succeeded: merge the shards, write the report."""
    logs = logs_dir(plan) / "after.job-%j.out"
    no_gpu = replace(options, gpus_per_task=0)
    return _header(f"{plan.name}-merge", logs, no_gpu, ["--ntasks=1"]) + body(
        plan, no_gpu, [_run(no_gpu, cmd) for cmd in plan.after])


def train_script(plan: LaunchPlan, options: SlurmOptions) -> str:
    """One multi-node job: ``srun`` starts ``nodes x tasks_per_node`` accelerate launchers that meet at the first host."""
    head = train_header(plan, options, options.nodes)
    lines = ['export MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"',
             "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))",
             trainer_step(plan, options, [shlex.quote(w) for w in plan.command]),
             touch_done(plan, "0")]
    return head + body(plan, options, lines)


def train_header(plan: LaunchPlan, options: SlurmOptions, nodes: int, comments: list[str] = ()) -> str:
    """The training job's ``#SBATCH`` lines for ``nodes`` nodes (then ``comments`` as ``#`` lines)."""
    if not plan.accelerate_config:
        raise ValueError("launching train needs an accelerate config (--accelerate-config configs/accelerate/...)")
    logs = logs_dir(plan) / "train.job-%j.out"
    sbatch = [f"--nodes={nodes}", f"--ntasks-per-node={options.tasks_per_node}"]
    if options.gpus_per_task:
        sbatch.append(f"--gpus-per-task={options.gpus_per_task}")
    return _header(plan.name, logs, options, sbatch) + "".join(f"# {line}\n" for line in comments)


def trainer_step(plan: LaunchPlan, options: SlurmOptions, command: list[str], where: str = "") -> str:
    """The ``srun`` line starting one accelerate launcher per task (``where``: srun's node flags) that runs
    ``command``, mammoth-math's arguments as shell words (quoted, or ``"$VAR"`` each task expands)."""
    per_task = max(options.gpus_per_task, 1)
    launcher = [options.python, "-m", "accelerate.commands.launch", "--config_file", plan.accelerate_config,
                "--num_machines", "$SLURM_NTASKS", "--machine_rank", "$SLURM_PROCID",
                "--num_processes", f"$((SLURM_NTASKS * {per_task}))",
                "--main_process_ip", "$MASTER_ADDR", "--main_process_port", "$MASTER_PORT", "-m", "mammoth_math"]
    # single quotes: each task expands SLURM_PROCID itself, inside srun. The torch ranks are exported too:
    # accelerate's CPU launcher starts one process and leaves its rank to the environment (on GPUs its torchrun
    # overrides them per child).
    task = "export RANK=$SLURM_PROCID WORLD_SIZE=$SLURM_NTASKS LOCAL_RANK=$SLURM_LOCALID; exec " + " ".join(
        [a if a.startswith("$") else shlex.quote(a) for a in launcher] + command)
    return f"srun --kill-on-bad-exit=1 {where}{container(options)}bash -c {shlex.quote(task)}"


def _header(name: str, log: Path, options: SlurmOptions, more: list[str]) -> str:
    sbatch = [f"--job-name={name}", f"--output={log}"]
    sbatch += [f"--{flag}={value}" for flag, value in (("partition", options.partition), ("account", options.account),
                                                        ("time", options.time), ("cpus-per-task", options.cpus_per_task))
               if value is not None]
    sbatch += [*more, *options.extra]
    return "#!/bin/bash\n" + "".join(f"#SBATCH {line}\n" for line in sbatch)


def body(plan: LaunchPlan, options: SlurmOptions, lines: list[str]) -> str:
    head = [f"cd {shlex.quote(plan.workdir)} || exit 1"]
    head += [options.setup] if options.setup else []  # before `set -u`: many module/activate scripts break under it
    head += ["set -euo pipefail"]
    head += [f"export {key}={shlex.quote(value)}" for key, value in plan.env.items()]
    return "\n".join(head + lines) + "\n"


def _run(options: SlurmOptions, command: tuple[str, ...], tail: list[str] = ()) -> str:
    words = [shlex.quote(w) for w in (options.python, "-m", "mammoth_math", *command)] + list(tail)
    prefix = f"srun {container(options)}" if options.container_image else ""
    return prefix + " ".join(words)


def container(options: SlurmOptions) -> str:
    if not options.container_image:
        return ""
    return f"--container-image={shlex.quote(options.container_image)} --container-workdir=\"$PWD\" " \
           f"--container-mounts=\"$PWD\" "
