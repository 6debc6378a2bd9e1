"""A GRPO run killed with SIGKILL mid-run resumes from its last checkpoint and ends exactly where an
uninterrupted run ends: same steps, same prompts in the same order, same rewards and losses (the checkpoint
restores the sampler position and the RNG that samples the rollouts)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .test_train_grpo import GRPO, REPO

pytestmark = pytest.mark.slow
ARGS = ["report_to=[]", "disable_tqdm=true", "model=tiny", "tiny_vocab_size=300", "tiny_hidden_size=32",
        "rollout=pot", "max_steps=6", "save_steps=1", "save_total_limit=7", "num_generations=4",
        "per_device_train_batch_size=4", "max_completion_length=12", "overlong_cache=12", "learning_rate=1e-2",
        "sandbox_workers=1"]


def command(problems: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "mammoth_math", "train", "--config", str(GRPO), "--threads", "1",
            f"prompts=[{problems}]", f"output_dir={out}", *ARGS]


def env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MAMMOTH_NO_PROGRESS": "1", "PYTHONPATH": str(REPO / "src")}


def history(out: Path) -> list[tuple]:
    state = json.loads((out / "trainer_state.json").read_text())
    return [(h["step"], h["loss"], h["rewards/correct/mean"], h["rewards/overlong/mean"])
            for h in state["log_history"] if "loss" in h]


def test_killed_grpo_run_resumes_to_the_same_end(tmp_path: Path) -> None:
    problems = tmp_path / "problems.jsonl"
    problems.write_text("".join(json.dumps({"question": f"What is {a} plus {b}?", "gold": str(a + b)}) + "\n"
                                for a in range(1, 5) for b in range(1, 4)))
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    subprocess.run(command(problems, whole), env=env(), check=True, capture_output=True, timeout=600)
    proc = subprocess.Popen(command(problems, killed), env=env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        # six steps, killed once the second is saved: a loaded machine may run a step or two past it before the
        # kill lands, and the kill must still come mid-run (a kill between the last checkpoint and the final save
        # was seen to train one step more on resume: left open, see the closing note of issue 26's first stop)
        while not (killed / "checkpoint-2" / "trainer_state.json").exists():
            assert proc.poll() is None, "the run ended before its second checkpoint"
            assert time.monotonic() < deadline
            time.sleep(0.2)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert not (killed / "trainer_state.json").exists(), "killed after it finished: nothing was resumed"
    done = subprocess.run(command(problems, killed), env=env(), check=True, capture_output=True, text=True,
                          timeout=600)
    assert "checkpoint-" in done.stdout  # the table's "resumed from"
    assert history(killed)[-2:] == history(whole)[-2:]
    assert json.loads((killed / "trainer_state.json").read_text())["global_step"] == 6
