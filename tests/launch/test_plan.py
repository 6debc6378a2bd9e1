"""What a launch plans for each inner command (``launch/plan.py``), without Slurm: the array and the jobs after it,
the one training job, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from mammoth_math.launch import check_launchable, inner_command, plan_launch


def test_sharded_eval_merges_then_reports(tmp_path):
    command = inner_command(["--", "eval", "--model", "m", "--output-dir", str(tmp_path)])
    plan = plan_launch("eval", command, 4, str(tmp_path), str(tmp_path / "hybrid"))
    assert plan.kind == "array" and plan.shards == 4 and plan.command == tuple(command[:])
    assert plan.after == (("merge", str(tmp_path)), ("report", str(tmp_path)))
    assert plan.folder == str((tmp_path / "launch").resolve()) and plan.name == "mm-eval"
    assert plan.env == {"MAMMOTH_NO_PROGRESS": "1"} and plan.run_dir == str(tmp_path / "hybrid")
    assert plan_launch("probe", ["probe"], 1, "out").after == (("report", "out"),)


def test_sharded_synthesis_collects_through_the_cache(tmp_path):
    command = ["data", "synthesize", "--out", "o"]
    plan = plan_launch("data synthesize", command, 2, "o", folder=str(tmp_path / "here"))
    assert plan.after == (tuple(command),) and plan.name == "mm-data-synthesize"
    assert plan.folder == str((tmp_path / "here").resolve())
    assert plan_launch("data synthesize", command, 1, "o").after == ()
    with pytest.raises(ValueError, match="drop --no-cache"):
        plan_launch("data synthesize", [*command, "--no-cache"], 2, "o")


def test_train_is_one_job_with_its_accelerate_config():
    plan = plan_launch("train", ["train", "--config", "c.yaml"], 1, "runs/train", accelerate_config="a.yaml")
    assert (plan.kind, plan.accelerate_config, plan.after) == ("train", "a.yaml", ())
    assert Path(plan.folder) == (Path("runs/train") / "launch").resolve()


@pytest.mark.parametrize("what, command, shards, message", [
    ("grade", ["grade"], 1, "launch runs eval, probe, data synthesize, train; got 'grade'"),
    ("train", ["train"], 2, "sharded, by launch"),
    ("eval", ["eval", "--shard", "0/2"], 1, "not by --shard"),
])
def test_refusals(what, command, shards, message):
    with pytest.raises(ValueError, match=message):
        check_launchable(what, command, shards)
