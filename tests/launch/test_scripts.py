"""What ``launch slurm --dry-run`` writes: the shard array, the dependent merge job, the multi-node training job."""

from __future__ import annotations

import sys

import pytest

from mammoth_math.cli import main
from mammoth_math.launch import LaunchPlan, SlurmOptions, render

EVAL = ["eval", "--model", "m", "--backend", "vllm", "--datasets", "gsm8k", "--mode", "pot"]


def test_eval_becomes_an_array_of_shards_and_a_merge_job(tmp_path, capsys):
    assert main(["launch", "slurm", "--shards", "4", "--partition", "gpu", "--account", "math", "--time", "2:00:00",
                 "--gpus-per-task", "1", "--setup", "module load cuda", "--dry-run", "--",
                 *EVAL, "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    shards, after = out.split("# --- ")[1:]
    assert shards.startswith(str(tmp_path / "launch" / "shards.sbatch"))
    for line in ("#SBATCH --partition=gpu", "#SBATCH --account=math", "#SBATCH --time=2:00:00",
                 "#SBATCH --gpus-per-task=1", "#SBATCH --requeue",
                 f"#SBATCH --output={tmp_path}/launch/logs/shard-%a.job-%A.out"):
        assert line in shards
    assert shards.index("module load cuda") < shards.index("set -euo pipefail")
    assert f"--mode pot --output-dir {tmp_path} --shard ${{SLURM_ARRAY_TASK_ID}}/4" in shards
    assert "--gpus-per-task" not in after and f"merge {tmp_path}\n" in after and f"report {tmp_path}\n" in after
    assert not (tmp_path / "launch").exists(), "a dry run writes nothing"


def test_training_is_one_job_meeting_at_the_first_host(capsys):
    assert main(["launch", "slurm", "--nodes", "2", "--gpus-per-task", "8", "--accelerate-config",
                 "configs/accelerate/fsdp2-8gpu.yaml", "--container-image", "nvcr.io/nvidia/pytorch:25.01-py3",
                 "--dry-run", "--", "train", "--config", "configs/train/mammoth-7b.yaml"]) == 0
    out = capsys.readouterr().out
    assert "#SBATCH --nodes=2" in out and "#SBATCH --ntasks-per-node=1" in out and "#SBATCH --gpus-per-task=8" in out
    assert 'MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)"' in out
    assert "srun --kill-on-bad-exit=1 --container-image=nvcr.io/nvidia/pytorch:25.01-py3" in out
    assert ("python -m accelerate.commands.launch --config_file configs/accelerate/fsdp2-8gpu.yaml --num_machines "
            "$SLURM_NTASKS --machine_rank $SLURM_PROCID --num_processes $((SLURM_NTASKS * 8))") in out
    assert "-m mammoth_math train --config configs/train/mammoth-7b.yaml'" in out
    assert "export RANK=$SLURM_PROCID WORLD_SIZE=$SLURM_NTASKS LOCAL_RANK=$SLURM_LOCALID; exec" in out


def test_training_needs_an_accelerate_config():
    plan = LaunchPlan("train", ("train", "--config", "c.yaml"), "/tmp/l", "/tmp")
    with pytest.raises(ValueError, match="accelerate config"):
        render(plan, SlurmOptions())


@pytest.mark.parametrize("command", [["--shards", "2", "--", "train", "--config", "configs/train/tiny-cpu.yaml"],
                                     ["--", *EVAL, "--output-dir", "o", "--shard", "0/2"],
                                     ["--", "grade", "--pred", "1", "--gold", "1"]])
def test_what_cannot_be_launched_is_refused(command, capsys):
    assert main(["launch", "slurm", "--dry-run", *command]) == 2
    assert "error: " in capsys.readouterr().err


def test_a_second_launch_into_one_folder_is_refused(tmp_path, capsys):
    (tmp_path / "launch").mkdir()
    (tmp_path / "launch" / "launch.json").write_text("{}")
    assert main(["launch", "slurm", "--", *EVAL, "--output-dir", str(tmp_path)]) == 2
    assert "a launch already lives here" in capsys.readouterr().err
    assert main(["launch", "status", str(tmp_path / "nowhere")]) == 2
    assert "launch.json missing" in capsys.readouterr().err


def test_every_task_marks_itself_done(tmp_path, capsys):
    assert main(["launch", "slurm", "--shards", "2", "--dry-run", "--", *EVAL, "--output-dir", str(tmp_path)]) == 0
    shards = capsys.readouterr().out.split("# --- ")[1]
    run, touch = shards.strip().splitlines()[-2:]
    assert run.endswith("--shard ${SLURM_ARRAY_TASK_ID}/2")
    assert touch == f"touch {tmp_path}/launch/done/task-$SLURM_ARRAY_TASK_ID"


def test_sharded_synthesis_is_joined_by_the_whole_run(tmp_path, capsys):
    synth = ["data", "synthesize", "--config", "configs/data/M.yaml", "--out", str(tmp_path), "--model", "m"]
    assert main(["launch", "slurm", "--shards", "3", "--dry-run", "--", *synth]) == 0
    shards, after = capsys.readouterr().out.split("# --- ")[1:]
    assert f"synthesize --config configs/data/M.yaml --out {tmp_path} --model m --shard ${{SLURM_ARRAY_TASK_ID}}/3" \
        in shards
    assert after.strip().endswith(f"synthesize --config configs/data/M.yaml --out {tmp_path} --model m")
    assert main(["launch", "slurm", "--shards", "3", "--dry-run", "--", *synth, "--no-cache"]) == 2


def test_a_sharded_probe_is_an_array_then_merge_and_report(tmp_path, capsys):
    probe = ["probe", "--model", "m", "--datasets", "gsm8k", "--mode", "cot", "--challenge", "doubt",
             "--output-dir", str(tmp_path)]
    assert main(["launch", "slurm", "--shards", "3", "--dry-run", "--", *probe]) == 0
    shards, after = capsys.readouterr().out.split("# --- ")[1:]
    assert "--output-dir " + str(tmp_path) + " --shard ${SLURM_ARRAY_TASK_ID}/3" in shards
    assert after.strip().splitlines()[-2:] == [f"{sys.executable} -m mammoth_math merge {tmp_path}",
                                               f"{sys.executable} -m mammoth_math report {tmp_path}"]
