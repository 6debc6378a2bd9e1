"""``mammoth-math launch slurm|local-slurm|status|resume``: eval, probe, data synthesize or train as Slurm jobs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mammoth_math.commands.common import print_json

if TYPE_CHECKING:
    from mammoth_math.launch import SlurmOptions, VLLMServer


def add_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("launch", help="run eval, probe, data synthesize or train as Slurm jobs (shards, merge, resume)")
    lsub = p.add_subparsers(dest="launch_command", required=True, metavar="ACTION")
    s = lsub.add_parser("slurm", help="write and submit sbatch scripts for `-- <mammoth-math command>`")
    s.add_argument("--shards", type=int, default=1, help="eval, probe, data synthesize: array tasks, each "
                                                          "running --shard i/n")
    s.add_argument("--partition")
    s.add_argument("--account")
    s.add_argument("--time", help="Slurm time limit per task (e.g. 4:00:00)")
    s.add_argument("--gpus-per-task", type=int, default=0)
    s.add_argument("--cpus-per-task", type=int)
    s.add_argument("--nodes", type=int, default=1, help="train: nodes of the one job")
    s.add_argument("--tasks-per-node", type=int, default=1, help="train: accelerate launchers per node")
    s.add_argument("--accelerate-config", help="train: accelerate YAML (configs/accelerate/fsdp2-8gpu.yaml, ...)")
    s.add_argument("--vllm-gpus", type=int, help="train, GRPO with vllm_mode: server: GPUs of the vLLM server's own "
                                                 "node (default: a trainer node's, tasks per node x GPUs per task)")
    s.add_argument("--vllm-tensor-parallel", type=int, help="the server's tensor parallel size (default: the "
                                                            "config's vllm_tensor_parallel_size; data parallel fills "
                                                            "the rest)")
    s.add_argument("--vllm-wait", type=int, help="seconds the job waits for the server's /health before it fails")
    s.add_argument("--container-image", help="run inside this image (pyxis: srun --container-image)")
    s.add_argument("--setup", help="shell line run first in every job, e.g. 'source .venv/bin/activate'")
    s.add_argument("--python", help="interpreter on the compute nodes (default: this one; 'python' in a container)")
    s.add_argument("--sbatch", action="append", default=[], metavar="OPTION", help="extra #SBATCH option (repeatable)")
    s.add_argument("--folder", help="scripts, launch.json and logs/ (default: the command's output folder/launch)")
    s.add_argument("--dry-run", action="store_true", help="print the scripts; submit nothing")
    s.add_argument("command", nargs=argparse.REMAINDER, help="-- then a mammoth-math command (eval, probe, ...)")
    s.set_defaults(handler=_slurm)
    local = lsub.add_parser("local-slurm", help="start a one-node Slurm cluster on this machine (as root) to try "
                                                "`launch slurm` on; Ctrl-C stops it")
    local.add_argument("--folder", default="runs/slurm", help="its config, munge key, state and daemon logs")
    local.add_argument("--nodes", type=int, default=1, choices=(1, 2),
                       help="2: a second node (named localhost) to try GRPO's vLLM server mode on")
    local.set_defaults(handler=_local_slurm)
    for name, handler, text in (("status", _status, "each shard's progress and Slurm state"),
                                ("resume", _resume, "resubmit unfinished shards and the merge job")):
        a = lsub.add_parser(name, help=text)
        a.add_argument("folder", help="a launch folder (holds launch.json)")
        a.set_defaults(handler=handler)


def _slurm(args: argparse.Namespace) -> int:
    from mammoth_math.cli import build_parser  # the inner command is parsed as `mammoth-math` itself would
    from mammoth_math.launch import SlurmOptions, check_launchable, inner_command, plan_launch, render, submit

    command = inner_command(args.command)
    inner = build_parser().parse_args(command)
    what = " ".join(command[:2]) if inner.command == "data" else inner.command
    check_launchable(what, command, args.shards)
    out, run_dir = (inner.output_dir if what == "probe" else getattr(inner, "out", None)), None
    if what == "eval":
        from mammoth_math.commands.eval import eval_config

        config = eval_config(inner)
        out, run_dir = config.output_dir, str(Path(config.output_dir) / config.run_name)
    elif what == "probe":  # status counts the first turn's records, an evaluation run in the probe's folder
        from mammoth_math.commands.probe import probe_config

        probe = probe_config(inner)
        run_dir = str(Path(out) / probe.run_name / probe.mode)
    options = SlurmOptions(args.partition, args.account, args.time, args.gpus_per_task, args.cpus_per_task, args.nodes,
                           args.tasks_per_node, args.container_image, args.setup,
                           args.python or ("python" if args.container_image else sys.executable), tuple(args.sbatch))
    server = None
    if what == "train":
        out, server = _train_launch(args, inner, command, options)
    if server is None and any(v is not None for v in (args.vllm_gpus, args.vllm_tensor_parallel, args.vllm_wait)):
        raise ValueError("--vllm-gpus, --vllm-tensor-parallel and --vllm-wait apply to train with a GRPO config "
                         "whose use_vllm is true and vllm_mode is server")
    plan = plan_launch(what, command, args.shards, out, run_dir, args.folder, args.accelerate_config, server)
    folder = Path(plan.folder)
    if args.dry_run:
        for name, text in render(plan, options).items():
            print(f"# --- {folder / name}\n{text}")
        return 0
    submission = submit(plan, options)
    print(f"submitted job {submission.main}" + (f", then job {submission.after}" if submission.after else "")
          + f"; logs: {folder / 'logs'}; follow with `mammoth-math launch status {folder}`")
    return 0


def _train_launch(args: argparse.Namespace, inner: argparse.Namespace, command: list[str],
                  options: SlurmOptions) -> tuple[str, VLLMServer | None]:
    """The training run's output folder and, for GRPO with ``vllm_mode: server``, its vLLM server's placement."""
    from mammoth_math.launch import plan_server
    from mammoth_math.training import config_method, load_config, load_grpo_config

    grpo = config_method(inner.config, inner.overrides) == "grpo"
    config = (load_grpo_config if grpo else load_config)(inner.config, inner.overrides, cpu_fallback=True)
    if not (grpo and config.use_vllm and config.vllm_mode == "server"):
        return config.output_dir, None
    if config.vllm_server_base_url:
        raise ValueError(f"{inner.config}: vllm_server_base_url points at a server of its own, but launch places "
                         "the server on a node of the job: drop it (launch sets vllm_server_host and port)")
    server = plan_server(config.model, args.vllm_tensor_parallel or config.vllm_tensor_parallel_size,
                         config.vllm_server_port, options, command, inner.overrides, args.vllm_gpus, args.vllm_wait)
    return config.output_dir, server


def _local_slurm(args: argparse.Namespace) -> int:
    from mammoth_math.launch.local import missing_binaries, slurm_cluster, wait_for_stop

    if missing_binaries():
        raise ValueError(f"Slurm is not installed here (no {', '.join(missing_binaries())}): "
                         "apt-get install slurm-wlm munge")
    with slurm_cluster(Path(args.folder).resolve(), nodes=args.nodes) as conf:
        size = "one-node" if args.nodes == 1 else f"{args.nodes}-node"
        print(f"a {size} Slurm cluster is up; in another shell: export SLURM_CONF={conf}\n"
              "then run `mammoth-math launch slurm ...` there; Ctrl-C (or kill) here cancels its jobs and stops it",
              flush=True)
        wait_for_stop()
    print("stopped the cluster")
    return 0


def _status(args: argparse.Namespace) -> int:
    from mammoth_math.launch import summary

    report = summary(args.folder)
    print_json(report)
    return 0 if all(s["finished"] for s in report["states"]) else 1


def _resume(args: argparse.Namespace) -> int:
    from mammoth_math.launch import resume

    submission = resume(args.folder)
    if submission is None:
        print("nothing to resubmit: every shard is finished or still queued")
        return 0
    print(f"resubmitted tasks {list(submission.tasks)} as job {submission.main or '-'}"
          + (f", then job {submission.after}" if submission.after else ""))
    return 0

