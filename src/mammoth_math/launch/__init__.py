"""Launch any mammoth-math command on a Slurm cluster: ``mammoth-math launch slurm -- eval ...``.

Inference becomes a job array (one resumable shard per task) and a dependent job that merges and reports;
training becomes one multi-node ``srun`` + ``accelerate launch`` job (GRPO in vLLM server mode: with
``trl vllm-serve`` on a node of its own, :mod:`.server`). The top layer beside ``cli.py``: it may read
evaluation's shard files, and nothing but ``cli.py`` (its ``commands/launch.py``) imports it.
"""

from mammoth_math.launch.jobs import ShardState, SlurmError, Submission, load, render, resume, status, submit, summary
from mammoth_math.launch.plan import LAUNCHABLE, check_launchable, inner_command, plan_launch
from mammoth_math.launch.scripts import LaunchPlan, SlurmOptions, VLLMServer
from mammoth_math.launch.server import plan_server

__all__ = ["LAUNCHABLE", "LaunchPlan", "ShardState", "SlurmError", "SlurmOptions", "Submission", "VLLMServer",
           "check_launchable", "inner_command", "load", "plan_launch", "plan_server", "render", "resume", "status",
           "submit", "summary"]
