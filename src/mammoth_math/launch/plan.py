"""What a launch submits for one inner command (``launch slurm -- eval ...``): which commands may be launched,
how they shard, what runs after them, where the scripts go. The command line parses the inner command and
resolves its output folders; this module decides the rest."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from mammoth_math.launch.scripts import LaunchPlan, VLLMServer

LAUNCHABLE = ("eval", "probe", "data synthesize", "train")
SHARDED = ("eval", "probe", "data synthesize")  # the rest run whole, as one job


def inner_command(argv: Sequence[str]) -> list[str]:
    """The inner command's arguments, without the ``--`` that separates them from launch's own."""
    return list(argv[1:] if argv[:1] == ["--"] else argv)


def check_launchable(what: str, command: Sequence[str], shards: int) -> None:
    """Refuse a command launch does not run, and sharding it does not own (before any config is read)."""
    if what not in LAUNCHABLE:
        raise ValueError(f"launch runs {', '.join(LAUNCHABLE)}; got {what!r}")
    if shards > 1 and what not in SHARDED or "--shard" in command:
        raise ValueError("eval, probe and data synthesize are sharded, by launch (--shards N), not by --shard")


def plan_launch(what: str, command: Sequence[str], shards: int, out: str, run_dir: str | None = None,
                folder: str | None = None, accelerate_config: str | None = None,
                server: VLLMServer | None = None) -> LaunchPlan:
    """The plan for ``command`` (a :data:`LAUNCHABLE` ``what``) writing under ``out``: an array of ``shards``
    tasks then a merge and report (eval, probe; ``run_dir`` is the folder status counts), a sharded synthesis
    then one unsharded run that collects the shards from the cache, or one training job (beside GRPO's vLLM
    ``server`` on a node of its own, when given)."""
    check_launchable(what, command, shards)
    if server and what != "train":
        raise ValueError(f"a vLLM server goes beside a GRPO training job, not {what}")
    kind, after, accelerate = "array", (), None
    if what in ("eval", "probe"):
        after = (("merge", out), ("report", out)) if shards > 1 else (("report", out),)
    elif what == "data synthesize":
        if shards > 1:  # synthesis: the unsharded run finds every response in the shared cache
            if "--no-cache" in command:
                raise ValueError("sharded synthesis joins its shards through the cache: drop --no-cache")
            after = (tuple(command),)
    else:
        kind, accelerate = "train", accelerate_config
    resolved = Path(folder or Path(out) / "launch").resolve()
    return LaunchPlan(kind, tuple(command), str(resolved), os.getcwd(), shards, run_dir, after, accelerate,
                      name=f"mm-{what.replace(' ', '-')}", env={"MAMMOTH_NO_PROGRESS": "1"}, server=server)
