"""``launch status`` and ``launch resume`` against stand-in ``sbatch`` and ``squeue`` (the real cluster runs in
``test_slurm_cluster.py``): what is resubmitted, and what the new merge job waits for."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from mammoth_math.launch import LaunchPlan, SlurmOptions, resume, status, submit

SBATCH = """#!/bin/sh
n=$(($(cat "$FAKE/next" 2>/dev/null || echo 100) + 1)); echo $n > "$FAKE/next"
echo "$*" >> "$FAKE/sbatch.log"; echo "$n;cluster"
"""
SQUEUE = """#!/bin/sh
cat "$FAKE/queue" 2>/dev/null; true
"""


@pytest.fixture
def fake_slurm(tmp_path, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, text in (("sbatch", SBATCH), ("squeue", SQUEUE)):
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE", str(tmp_path))
    return tmp_path


def _plan(tmp_path: Path, shards: int = 3) -> LaunchPlan:
    return LaunchPlan("array", ("eval", "--output-dir", "out"), str(tmp_path / "launch"), str(tmp_path), shards,
                      after=(("merge", "out"),))


def _sbatch_calls(fake: Path) -> list[str]:
    return (fake / "sbatch.log").read_text().splitlines()


def test_resume_resubmits_only_unfinished_unqueued_shards(fake_slurm):
    plan = _plan(fake_slurm)
    first = submit(plan, SlurmOptions())
    assert (first.main, first.tasks, first.after) == ("101", (0, 1, 2), "102")
    assert _sbatch_calls(fake_slurm)[1].startswith("--parsable --dependency=afterok:101 --kill-on-invalid-dep=yes")
    (Path(plan.folder) / "done" / "task-0").touch()  # shard 0 finished; shard 1 was cancelled; 2 still runs
    (fake_slurm / "queue").write_text("101_2 RUNNING\n102 PENDING\n")
    assert [(s.finished, s.slurm) for s in status(plan.folder)] == [(True, None), (False, None), (False, "RUNNING")]
    again = resume(plan.folder)
    assert again.tasks == (1,)
    array, merge = _sbatch_calls(fake_slurm)[2:]
    assert array.startswith("--parsable --array=1 ")
    assert merge.startswith("--parsable --dependency=afterok:103:101_2 ")  # the new shard and the one still running
    saved = json.loads((Path(plan.folder) / "launch.json").read_text())["submissions"]
    assert [s["tasks"] for s in saved] == [[0, 1, 2], [1]]


def test_resume_when_all_shards_are_done_reruns_only_the_merge(fake_slurm):
    plan = _plan(fake_slurm, shards=2)
    submit(plan, SlurmOptions())
    for i in range(2):
        (Path(plan.folder) / "done" / f"task-{i}").touch()
    again = resume(plan.folder)
    assert again.tasks == () and again.main == "" and _sbatch_calls(fake_slurm)[-1] == \
        f"--parsable {plan.folder}/after.sbatch"


def test_nothing_to_resume_while_every_open_shard_is_queued(fake_slurm):
    plan = _plan(fake_slurm, shards=2)
    submit(plan, SlurmOptions())
    (fake_slurm / "queue").write_text("101_0 PENDING\n101_1 RUNNING\n")
    assert resume(plan.folder) is None
