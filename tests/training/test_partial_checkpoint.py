"""A kill during a checkpoint save (issue 24, item 2): the run resumes from the newest complete checkpoint,
naming the partial one, and a finished run's re-run says so before reading data or building a model.

The kill is made deterministic: the child's ``save_model`` for ``checkpoint-8`` writes what a SIGKILL left in
the report (``config.json`` and ``generation_config.json``, no weights, tokenizer or trainer state), then
SIGKILLs its own process."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.training import load_config, train

from .conftest import alpaca_rows

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow
TINY = REPO / "configs" / "train" / "tiny-cpu.yaml"

CHILD = """
import os, signal, sys
from transformers import Trainer
from mammoth_math.training import load_config, train

save_model = Trainer.save_model

def save_model_killed_at_8(self, output_dir=None, _internal_call=False):
    if output_dir and output_dir.endswith("checkpoint-8"):
        self.model.config.save_pretrained(output_dir)
        self.model.generation_config.save_pretrained(output_dir)
        os.kill(os.getpid(), signal.SIGKILL)
    return save_model(self, output_dir, _internal_call)

Trainer.save_model = save_model_killed_at_8
train(load_config(sys.argv[1], sys.argv[2:]))
"""


def test_kill_during_a_save_resumes_from_the_last_complete_checkpoint(tmp_path, caplog, capsys):
    data = tmp_path / "export.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in alpaca_rows()))
    out = tmp_path / "out"
    overrides = [f"data={data}", f"output_dir={out}", "report_to=[]", "disable_tqdm=true", "tiny_vocab_size=300",
                 "tiny_hidden_size=32", "max_steps=12", "save_strategy=steps", "save_steps=4", "save_total_limit=3"]
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MAMMOTH_NO_PROGRESS": "1", "PYTHONPATH": str(REPO / "src")}
    child = subprocess.run([sys.executable, str(script), str(TINY), *overrides], env=env, capture_output=True,
                           text=True, timeout=600)
    assert child.returncode == -signal.SIGKILL, child.stderr[-3000:]
    assert sorted(p.name for p in (out / "checkpoint-8").iterdir()) == ["config.json", "generation_config.json"]
    assert (out / "checkpoint-4" / "trainer_state.json").exists()

    with caplog.at_level(logging.INFO, logger="mammoth_math"):
        resumed = train(load_config(TINY, overrides))
    assert resumed.resumed_from == str(out / "checkpoint-4")
    assert any("checkpoint-8 is incomplete" in r.getMessage() for r in caplog.records)
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 12 and (out / "model.safetensors").exists()
    assert (out / "checkpoint-8" / "trainer_state.json").exists()  # saved again, whole, on the way to step 12

    # The same command again: one line at once, before the data is read (no batch plan logged) or a model built.
    caplog.clear()
    capsys.readouterr()
    model_bytes = (out / "model.safetensors").read_bytes()
    with caplog.at_level(logging.INFO, logger="mammoth_math"):
        assert main(["train", "--config", str(TINY), "--threads", "1", *overrides]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith(f"nothing to do: {out} holds a finished run") and len(printed.splitlines()) == 1
    logged = [r.getMessage() for r in caplog.records]
    assert any("nothing to train" in m for m in logged) and not any("global batch" in m for m in logged), logged
    assert (out / "model.safetensors").read_bytes() == model_bytes

    # A changed config is not "finished": it trains on from the last checkpoint.
    more = train(load_config(TINY, [*overrides[:-3], "max_steps=14", "save_strategy=no"]))
    assert not more.finished_before and more.resumed_from == str(out / "checkpoint-12")
