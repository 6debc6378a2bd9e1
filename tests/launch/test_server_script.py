"""``launch slurm -- train`` with a GRPO config in vLLM server mode (issue 26): the server on a node of its own,
the wait for its /health, the trainer told where it is, the trap that stops it; the refusals; and training
launches without a server written byte for byte as before (``golden/train.sbatch``, rendered by main)."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import pytest
from helpers.cli import fails, usage_error

from mammoth_math.cli import main
from mammoth_math.files import write_json
from mammoth_math.launch import LaunchPlan, SlurmOptions, load, plan_launch, plan_server, render

GOLDEN = Path(__file__).parent / "golden" / "train.sbatch"
GRPO = ["train", "--config", "configs/train/grpo-7b.yaml"]
GPUS = ["--nodes", "2", "--gpus-per-task", "8", "--accelerate-config", "configs/accelerate/fsdp2-8gpu.yaml"]


def _script(capsys, *argv: str) -> str:
    assert main(["launch", "slurm", "--dry-run", *argv]) == 0
    (script,) = capsys.readouterr().out.split("# --- ")[1:]
    return script


def test_server_mode_places_the_server_on_a_node_of_its_own(capsys):
    script = _script(capsys, *GPUS, "--", *GRPO, "vllm_mode=server", "vllm_server_port=8123", "--threads", "2")
    lines = script.splitlines()
    assert "#SBATCH --nodes=3" in lines and "#SBATCH --gpus-per-task=8" in lines  # 2 trainer nodes + the server's
    assert ("# vLLM server: trl vllm-serve on the first node, tensor parallel 1 x data parallel 8 (8 GPU(s)), "
            "port 8123; the trainer waits up to 1200 s for its /health") in lines
    serve = next(line for line in lines if "vllm-serve" in line and line.startswith("srun"))
    assert serve.startswith('srun --nodes=1 --ntasks=1 --nodelist="$VLLM_HOST" --gpus-per-task=8 trl vllm-serve '
                            "--model runs/mammoth-7b --tensor-parallel-size 1 --data-parallel-size 8 --host 0.0.0.0 "
                            '--port "$VLLM_PORT" > ') and serve.endswith("2>&1 &")
    assert 'export VLLM_HOST="${NODES[0]}" VLLM_PORT=8123' in lines and 'export MASTER_ADDR="${NODES[1]}"' in lines
    trainer = next(line for line in lines if "accelerate.commands.launch" in line)
    assert trainer.startswith('srun --kill-on-bad-exit=1 --nodes=2 --ntasks=2 --nodelist="$(IFS=,; echo '
                              '"${NODES[*]:1}")" bash -c ')
    # the host and port follow the command's own key=value words (argparse takes one run of them)
    assert trainer.endswith("-m mammoth_math train --config configs/train/grpo-7b.yaml vllm_mode=server "
                            'vllm_server_port=8123 vllm_server_host="$VLLM_HOST" vllm_server_port="$VLLM_PORT" '
                            "--threads 2'")
    health = 'until curl -sfL -o /dev/null "http://$VLLM_HOST:$VLLM_PORT/health"'
    order = [next(i for i, line in enumerate(lines) if line.startswith(p))
             for p in ("srun --nodes=1", "trap ", health, "srun --kill-on-bad-exit=1", "touch ")]
    assert order == sorted(order), "server, trap, health wait, trainer, done marker: in that order"
    assert ("trap 'echo \"stopping the vLLM server\" >&2; kill \"$VLLM_PID\" 2>/dev/null || true; "
            "wait \"$VLLM_PID\" 2>/dev/null || true' EXIT") in lines
    assert "deadline=$((SECONDS + 1200))" in lines
    assert any("was not healthy within 1200 s; see " in line and "exit 1" in line for line in lines)
    assert any("stopped before it was healthy" in line and "exit 1" in line for line in lines)


def test_server_flags_set_its_gpus_and_tensor_parallel(capsys):
    script = _script(capsys, *GPUS, "--vllm-gpus", "4", "--vllm-tensor-parallel", "2", "--vllm-wait", "60",
                     "--", *GRPO, "vllm_mode=server")
    assert ("--gpus-per-task=4 trl vllm-serve --model runs/mammoth-7b --tensor-parallel-size 2 "
            "--data-parallel-size 2 ") in script
    assert "deadline=$((SECONDS + 60))" in script


def test_the_plan_round_trips_through_launch_json(tmp_path):
    command = ["train", "--config", "c.yaml", "seed=1", "--threads", "2"]
    server = plan_server("m", 2, 8000, SlurmOptions(gpus_per_task=4, tasks_per_node=2), command, ["seed=1"])
    assert (server.tensor_parallel, server.data_parallel, server.gpus, server.overrides_at) == (2, 4, 8, 4)
    plan = plan_launch("train", command, 1, str(tmp_path), accelerate_config="a.yaml", server=server)
    Path(plan.folder).mkdir()
    write_json(Path(plan.folder) / "launch.json", {"plan": asdict(plan), "options": asdict(SlurmOptions()),
                                                   "submissions": []})  # as submit writes it
    assert load(plan.folder)[0] == plan


@pytest.mark.parametrize(("argv", "expected"), [
    ([*GPUS, "--vllm-gpus", "6", "--vllm-tensor-parallel", "4", "--", *GRPO, "vllm_mode=server"],
     "the vLLM server's 6 GPUs (--vllm-gpus, by default a trainer node's) are not a multiple of its tensor "
     "parallel size 4"),
    ([*GPUS, "--", *GRPO, "vllm_mode=server", "vllm_tensor_parallel_size=3"], "server's 8 GPUs"),
    ([*GPUS, "--vllm-gpus", "4", "--", *GRPO], "apply to train with a GRPO config whose use_vllm is true and "
                                               "vllm_mode is server"),
    ([*GPUS, "--vllm-tensor-parallel", "2", "--", "train", "--config", "configs/train/mammoth-7b.yaml"],
     "vllm_mode is server"),

    ([*GPUS, "--", *GRPO, "vllm_mode=server", "vllm_server_base_url=http://h:8000"], "drop it"),
    (["--vllm-wait", "9", "--", "eval", "--model", "m", "--datasets", "gsm8k", "--output-dir", "o"], "--vllm-wait"),
])
def test_server_mode_refusals_are_one_line(argv, expected, capsys):
    fails(capsys, ["launch", "slurm", "--dry-run", *argv], expected)


@pytest.mark.parametrize(("options", "gpus", "wait_s", "expected"), [
    (SlurmOptions(nodes=0), None, None, "needs the trainer's nodes besides the server's own (--nodes 0: give at "
                                        "least 1; the job asks for one node more)"),
    (SlurmOptions(gpus_per_task=8), 0, None, "--vllm-gpus must be at least 1"),
    (SlurmOptions(), None, 0, "--vllm-wait must be at least 1 second"),
])
def test_the_library_refuses_a_server_without_room(options, gpus, wait_s, expected):
    with pytest.raises(ValueError, match=re.escape(expected)):
        plan_server("m", 1, 8000, options, ["train"], [], gpus, wait_s)


def test_zero_nodes_gpus_or_seconds_are_refused_by_the_parser(capsys):
    for flag in ("--nodes", "--vllm-gpus", "--vllm-wait"):
        usage_error(capsys, ["launch", "slurm", "--dry-run", flag, "0", "--", *GRPO, "vllm_mode=server"],
                    flag, "must be >= 1, got 0")


def test_training_without_a_server_is_written_as_before(tmp_path, capsys):
    plan = LaunchPlan("train", ("train", "--config", "configs/train/grpo-7b.yaml", "seed=1"), "/w/runs/grpo-7b/launch",
                      "/w", accelerate_config="configs/accelerate/fsdp2-8gpu.yaml", name="mm-train",
                      env={"MAMMOTH_NO_PROGRESS": "1"})
    options = SlurmOptions(partition="gpu", time="4:00:00", gpus_per_task=8, nodes=2, container_image="img",
                           setup="source .venv/bin/activate", extra=("--qos=high",))
    assert render(plan, options)["train.sbatch"] == GOLDEN.read_text()
    # through the command line: a colocated GRPO config and an SFT config give that same script
    for config in ("configs/train/grpo-7b.yaml", "configs/train/mammoth-7b.yaml"):
        script = _script(capsys, "--partition", "gpu", "--time", "4:00:00", "--sbatch=--qos=high", "--container-image",
                         "img", "--python", "python", "--setup", "source .venv/bin/activate", *GPUS,
                         "--folder", "/w/runs/grpo-7b/launch", "--", "train", "--config", config, "seed=1")
        expected = GOLDEN.read_text().replace("cd /w ", f"cd {Path.cwd()} ").replace(
            "configs/train/grpo-7b.yaml", config)
        assert script.split("\n", 1)[1] == expected + "\n", config
