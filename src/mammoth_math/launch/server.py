"""GRPO with ``vllm_mode: server`` under ``launch slurm``: the vLLM server on a node of its own, the trainer on
the rest.

One allocation of the trainer's nodes plus one: its first node runs ``trl vllm-serve`` as a background step,
the job waits (up to a deadline) until the server answers ``/health``, then starts the trainer on the other
nodes with the server's host and port as config overrides, so the YAML needs no edit. A trap stops the server
however the script ends; the job's exit status is the trainer's (or the failed wait's).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import replace

from mammoth_math.launch.scripts import (
    LaunchPlan,
    SlurmOptions,
    VLLMServer,
    body,
    container,
    logs_dir,
    touch_done,
    train_header,
    trainer_step,
)

SERVE = ("trl", "vllm-serve")  # on the compute nodes' PATH (--setup activates the environment)


def plan_server(model: str, tensor_parallel: int, port: int, options: SlurmOptions, command: Sequence[str],
                overrides: Sequence[str], gpus: int | None = None, wait_s: int | None = None) -> VLLMServer:
    """The server for a GRPO config (``model``, ``vllm_tensor_parallel_size``, ``vllm_server_port``) beside a
    trainer on ``options.nodes`` nodes: by default it fills a node like the trainer's, tensor parallel as the
    config says, data parallel over the rest. ``overrides`` are the train command's own ``key=value`` words,
    which the server's host and port follow."""
    if options.nodes < 1:
        raise ValueError(f"vLLM server mode needs the trainer's nodes besides the server's own (--nodes "
                         f"{options.nodes}: give at least 1; the job asks for one node more)")
    if gpus is not None and gpus < 1:
        raise ValueError("--vllm-gpus must be at least 1 (leave it out on CPU nodes)")
    gpus = options.gpus_per_task * options.tasks_per_node if gpus is None else gpus
    if gpus and gpus % tensor_parallel:
        raise ValueError(f"the vLLM server's {gpus} GPUs (--vllm-gpus, by default a trainer node's) are not a "
                         f"multiple of its tensor parallel size {tensor_parallel} (vllm_tensor_parallel_size, or "
                         "--vllm-tensor-parallel)")
    if wait_s is not None and wait_s < 1:
        raise ValueError("--vllm-wait must be at least 1 second")
    server = VLLMServer(model, tensor_parallel, max(gpus // tensor_parallel, 1), gpus, port,
                        overrides_at=_overrides_end(command, overrides))
    return server if wait_s is None else replace(server, wait_s=wait_s)


def _overrides_end(command: Sequence[str], overrides: Sequence[str]) -> int:
    """The index just past the command's run of ``key=value`` words (its end when it has none)."""
    count = len(overrides)
    starts = range(len(command) - count, -1, -1) if count else ()
    return next((start + count for start in starts if list(command[start:start + count]) == list(overrides)),
                len(command))


def describe(server: VLLMServer, options: SlurmOptions) -> list[str]:
    """What runs where, one line each: the script's comments and what ``--dry-run`` shows."""
    gpus = f"{server.gpus} GPU(s)" if server.gpus else "no GPU"
    return [f"vLLM server: {' '.join(SERVE)} on the first node, tensor parallel {server.tensor_parallel} x data "
            f"parallel {server.data_parallel} ({gpus}), port {server.port}; the trainer waits up to "
            f"{server.wait_s} s for its /health",
            f"trainer: accelerate on the other {options.nodes} node(s), {options.tasks_per_node} launcher(s) each, "
            "with vllm_server_host/port set to the server's"]


def server_script(plan: LaunchPlan, options: SlurmOptions) -> str:
    """The one job of a server-mode GRPO launch (see the module's docstring)."""
    server = plan.server
    assert server is not None
    log = logs_dir(plan) / "vllm.job-$SLURM_JOB_ID.out"
    serve = [*SERVE, "--model", server.model, "--tensor-parallel-size", str(server.tensor_parallel),
             "--data-parallel-size", str(server.data_parallel), "--host", "0.0.0.0"]
    # per task, as the job's own --gpus-per-task (which every step inherits) says it
    gpus = f"--gpus-per-task={server.gpus} " if server.gpus else ""
    url = '"http://$VLLM_HOST:$VLLM_PORT/health"'
    words = [shlex.quote(w) for w in plan.command]
    words[server.overrides_at:server.overrides_at] = ['vllm_server_host="$VLLM_HOST"', 'vllm_server_port="$VLLM_PORT"']
    trainers = options.nodes * options.tasks_per_node
    lines = [
        'mapfile -t NODES < <(scontrol show hostnames "$SLURM_JOB_NODELIST")',
        f'export VLLM_HOST="${{NODES[0]}}" VLLM_PORT={server.port}',
        f"srun --nodes=1 --ntasks=1 --nodelist=\"$VLLM_HOST\" {gpus}{container(options)}"
        f"{' '.join(shlex.quote(w) for w in serve)} --port \"$VLLM_PORT\" > \"{log}\" 2>&1 &",
        "VLLM_PID=$!",
        # stop the server however this script ends (srun then ends its step, every process of it); the
        # trainer's status stays the job's
        "trap 'echo \"stopping the vLLM server\" >&2; kill \"$VLLM_PID\" 2>/dev/null || true; "
        "wait \"$VLLM_PID\" 2>/dev/null || true' EXIT",
        f"deadline=$((SECONDS + {server.wait_s}))",
        f"until curl -sfL -o /dev/null {url}; do",
        '  kill -0 "$VLLM_PID" 2>/dev/null || { echo "the vLLM server on $VLLM_HOST stopped before it was healthy; '
        f'see {log}" >&2; exit 1; }}',
        '  (( SECONDS < deadline )) || { echo "the vLLM server on $VLLM_HOST:$VLLM_PORT was not healthy within '
        f'{server.wait_s} s; see {log}" >&2; exit 1; }}',
        "  sleep 2",
        "done",
        'export MASTER_ADDR="${NODES[1]}"',
        "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))",
        trainer_step(plan, options, words,
                     f'--nodes={options.nodes} --ntasks={trainers} --nodelist="$(IFS=,; echo "${{NODES[*]:1}}")" '),
        touch_done(plan, "0"),
    ]
    return train_header(plan, options, options.nodes + 1, describe(server, options)) + body(plan, options, lines)
