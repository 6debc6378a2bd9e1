"""Submit a launch to Slurm, ask how it stands, resubmit what is unfinished.

A launch folder holds the scripts, ``launch.json`` (plan, options, every submission's job ids) and ``logs/``.
Whether a task is done is read from the folder (each task touches ``done/task-<i>`` once its command succeeded;
an eval shard's records are counted too), never from Slurm's accounting, which many clusters keep for days
only and a local test cluster lacks.
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mammoth_math.evaluation.records import meta_path, records_path
from mammoth_math.files import InputError, read_json, write_json
from mammoth_math.launch.scripts import (
    LaunchPlan,
    SlurmOptions,
    VLLMServer,
    after_script,
    array_script,
    done_marker,
    logs_dir,
    train_script,
)
from mammoth_math.launch.server import server_script

log = logging.getLogger(__name__)


class SlurmError(RuntimeError):
    """A Slurm command failed; the message holds the command and what it printed."""


@dataclass(frozen=True)
class Submission:
    main: str  # the array (or training) job id
    tasks: tuple[int, ...]  # array task ids submitted (empty for training)
    after: str | None  # the dependent merge/report job id
    at: str


@dataclass(frozen=True)
class ShardState:
    index: int
    finished: bool  # the task's command succeeded
    records: int  # records written so far, all datasets together
    slurm: str | None  # PENDING, RUNNING, ... while Slurm still lists the task; None once it left the queue


def render(plan: LaunchPlan, options: SlurmOptions) -> dict[str, str]:
    """File name -> script text, exactly what :func:`submit` writes and submits."""
    if plan.kind == "train":
        return {"train.sbatch": server_script(plan, options) if plan.server else train_script(plan, options)}
    scripts = {"shards.sbatch": array_script(plan, options)}
    if plan.after:
        scripts["after.sbatch"] = after_script(plan, options)
    return scripts


def submit(plan: LaunchPlan, options: SlurmOptions) -> Submission:
    """Write the scripts and ``launch.json``, submit every shard (or the training job) and the dependent job."""
    folder = Path(plan.folder)
    if (folder / "launch.json").exists():
        raise InputError(folder / "launch.json", "a launch already lives here: use `launch resume` or another folder")
    logs_dir(plan).mkdir(parents=True, exist_ok=True)
    done_marker(plan, 0).parent.mkdir(exist_ok=True)
    for name, text in render(plan, options).items():
        (folder / name).write_text(text, encoding="utf-8")
    write_json(folder / "launch.json", {"plan": asdict(plan), "options": asdict(options), "submissions": []})
    return _submit(folder, plan, list(range(plan.shards)) if plan.kind == "array" else [])


def load(folder: str | Path) -> tuple[LaunchPlan, SlurmOptions, list[Submission]]:
    path = Path(folder) / "launch.json"
    if not path.exists():
        raise InputError(path, "no launch here (launch.json missing)")
    data = read_json(path)
    plan = data["plan"]
    server = VLLMServer(**plan["server"]) if plan.get("server") else None  # launches of before have no key
    plan = LaunchPlan(**{**plan, "command": tuple(plan["command"]), "after": tuple(tuple(c) for c in plan["after"]),
                         "server": server})
    options = SlurmOptions(**{**data["options"], "extra": tuple(data["options"]["extra"])})
    subs = [Submission(s["main"], tuple(s["tasks"]), s["after"], s["at"]) for s in data["submissions"]]
    return plan, options, subs


def status(folder: str | Path) -> list[ShardState]:
    """Each shard's progress on disk and, while queued or running, its Slurm state (training: one entry)."""
    plan, _, subs = load(folder)
    queued = _queue([s.main for s in subs])
    latest = _latest(subs)
    if plan.kind == "train":
        return [ShardState(0, done_marker(plan, 0).exists(), 0, queued.get(subs[-1].main) if subs else None)]
    return [ShardState(i, *_shard_progress(plan, i), queued.get(f"{latest.get(i)}_{i}")) for i in range(plan.shards)]


def resume(folder: str | Path) -> Submission | None:
    """Resubmit the shards that are neither finished nor queued, with a new dependent job; None if nothing to do.

    When every shard is finished only the dependent job (merge, report: both idempotent) is submitted again.
    """
    plan, _, subs = load(folder)
    states = status(folder)
    if plan.kind == "train":  # training resumes from its last checkpoint by itself
        return None if states[0].slurm or states[0].finished else _submit(Path(folder), plan, [])
    todo = [s.index for s in states if not s.finished and s.slurm is None]
    if todo or (plan.after and all(s.finished for s in states)):
        # the new dependent job also waits for the tasks of earlier submissions that are still queued or running
        latest = _latest(subs)
        return _submit(Path(folder), plan, todo, [f"{latest[s.index]}_{s.index}" for s in states if s.slurm])
    return None  # the rest is still queued or running, and its dependent job with it


def _latest(subs: list[Submission]) -> dict[int, str]:
    """Task -> the job that last submitted it (a resubmission supersedes the first)."""
    return {task: sub.main for sub in subs for task in sub.tasks}


def _submit(folder: Path, plan: LaunchPlan, tasks: list[int], waiting: list[str] = ()) -> Submission:
    if plan.kind == "train":
        main = _sbatch(["sbatch", "--parsable", str(folder / "train.sbatch")])
        after = None
    else:
        main = _sbatch(["sbatch", "--parsable", f"--array={_ranges(tasks)}", str(folder / "shards.sbatch")]) \
            if tasks else None
        after = None
        if plan.after:
            jobs = [main] if main else []
            jobs += waiting
            depend = [f"--dependency=afterok:{':'.join(jobs)}", "--kill-on-invalid-dep=yes"] if jobs else []
            after = _sbatch(["sbatch", "--parsable", *depend, str(folder / "after.sbatch")])
    sub = Submission(main or "", tuple(tasks), after, datetime.now(timezone.utc).isoformat(timespec="seconds"))
    data = read_json(folder / "launch.json")
    data["submissions"].append(asdict(sub))
    write_json(folder / "launch.json", data)
    log.info("submitted %s: job %s tasks %s, then job %s", folder, sub.main, _ranges(tasks) or "-", sub.after)
    return sub


def _shard_progress(plan: LaunchPlan, index: int) -> tuple[bool, int]:
    finished = done_marker(plan, index).exists()
    if plan.run_dir is None or not Path(plan.run_dir).exists():  # only an eval has records to count
        return finished, 0
    records = sum(_lines(records_path(plan.run_dir, name, (index, plan.shards)))
                  for name in _datasets(plan.run_dir, (index, plan.shards)))
    return finished, records


def _datasets(run_dir: str, shard: tuple[int, int]) -> list[str]:
    meta = meta_path(run_dir, shard)
    names = read_json(meta).get("benchmarks", {}) if meta.exists() else {}
    return [n for n in names if records_path(run_dir, n, shard).exists()]


def _lines(path: Path) -> int:
    with open(path, "rb") as f:
        return f.read().count(b"\n")


def _queue(job_ids: list[str]) -> dict[str, str]:
    """``job_task`` (or ``job``) -> state of what Slurm still lists of ``job_ids``, arrays expanded."""
    ids = {j for j in job_ids if j}
    if not ids:
        return {}
    # all of our jobs, filtered here: squeue fails outright when one asked-for id has left the queue
    out = _run(["squeue", "--noheader", "--array", "--me", "--format=%i %T"])
    states: dict[str, str] = {}
    for line in out.splitlines():
        job, _, state = line.strip().partition(" ")
        if job.split("_")[0] in ids:
            states[job] = state
    return states


def _ranges(tasks: list[int]) -> str:
    return ",".join(str(t) for t in tasks)


def _sbatch(cmd: list[str]) -> str:
    return _run(cmd).strip().split(";")[0]  # --parsable prints "jobid[;cluster]"


def _run(cmd: list[str]) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise SlurmError(f"{cmd[0]} not found: run this on a Slurm login node (or install slurm-wlm)") from None
    if done.returncode:
        raise SlurmError(f"{' '.join(cmd)} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def summary(folder: str | Path) -> dict[str, Any]:
    """What ``launch status`` prints: the plan, the submissions, and each shard's state."""
    plan, _, subs = load(folder)
    return {"folder": str(folder), "kind": plan.kind, "command": list(plan.command), "shards": plan.shards,
            "submissions": [asdict(s) for s in subs], "states": [asdict(s) for s in status(folder)]}
