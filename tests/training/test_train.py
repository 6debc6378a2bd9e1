"""The tiny CPU recipe end to end: loss falls, the model reloads and answers in the trained format, LoRA
round-trips, two gloo processes match one, and a SIGKILLed run resumes to where an unbroken run ends."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

from mammoth_math.prompts import alpaca_prompt
from mammoth_math.training import load_adapter, load_config, merge_adapter, tiny_llama, train

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
TINY = REPO / "configs" / "train" / "tiny-cpu.yaml"
FAST = ["report_to=[]", "disable_tqdm=true", "tiny_vocab_size=300", "tiny_hidden_size=48", "logging_steps=1"]
POT_QUESTION = "What is 4 plus 6? Let's write a program."


def config(out: Path, data: Path, *overrides: str):
    return load_config(TINY, [f"data={data}", f"output_dir={out}", *FAST, *overrides])


def weights(directory: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(directory / "model.safetensors"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env() -> dict[str, str]:
    return {**os.environ, "OMP_NUM_THREADS": "1", "MAMMOTH_NO_PROGRESS": "1", "PYTHONPATH": str(REPO / "src")}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory):
    from .conftest import alpaca_rows

    tmp = tmp_path_factory.mktemp("tiny")
    data = tmp / "export.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in alpaca_rows()))
    result = train(config(tmp / "out", data, "max_steps=60", "learning_rate=5e-3", "save_strategy=no"))
    return result, tmp / "out", data


def test_loss_falls_and_weights_change(trained) -> None:
    from transformers import AutoTokenizer

    result, out, _ = trained
    first, last = sum(result.losses[:3]) / 3, sum(result.losses[-3:]) / 3
    assert last < 0.5 * first, result.losses
    initial = tiny_llama(AutoTokenizer.from_pretrained(out), hidden_size=48, seed=42).state_dict()
    moved = [name for name, w in weights(out).items() if not torch.allclose(w, initial[name])]
    assert len(moved) == len(initial)
    assert (out / "train_config.yaml").exists() and (out / "trainer_state.json").exists()


def test_reloaded_model_answers_in_the_trained_format(trained) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _, out, _ = trained
    model, tok = AutoModelForCausalLM.from_pretrained(out), AutoTokenizer.from_pretrained(out)
    inputs = tok(alpaca_prompt(POT_QUESTION), return_tensors="pt")
    generated = model.generate(**inputs, max_new_tokens=30, do_sample=False)[0, inputs["input_ids"].shape[1]:]
    text = tok.decode(generated, skip_special_tokens=True)
    assert text.startswith("a = "), text  # a program, as the PoT rows taught
    assert "print(" in text or generated[-1] == tok.eos_token_id, text


def test_lora_save_reload_merge_round_trip(trained, tmp_path: Path) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _, base, data = trained
    adapter = tmp_path / "lora"
    train(config(adapter, data, f"model={base}", "lora=true", "max_steps=4", "learning_rate=1e-2",
                 "save_strategy=no", "lora_target_modules=[q_proj,v_proj]"))
    assert (adapter / "adapter_model.safetensors").exists()
    ids = AutoTokenizer.from_pretrained(base)(alpaca_prompt(POT_QUESTION), return_tensors="pt")["input_ids"]
    with torch.no_grad():
        with_adapter = load_adapter(adapter, base).eval()(ids).logits
        merged = AutoModelForCausalLM.from_pretrained(merge_adapter(adapter, tmp_path / "merged", base)).eval()(ids)
        plain = AutoModelForCausalLM.from_pretrained(base).eval()(ids).logits
    assert torch.allclose(with_adapter, merged.logits, atol=1e-4)
    assert not torch.allclose(with_adapter, plain, atol=1e-4)  # the adapter learned something


def _losses(out: Path) -> list[float]:
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    return [h["loss"] for h in history if "loss" in h]


def test_two_gloo_processes_match_one(trained, tmp_path: Path) -> None:
    _, _, data = trained
    common = [f"data={data}", *FAST, "max_steps=3", "global_batch_size=8", "per_device_train_batch_size=4",
              "save_strategy=no", "learning_rate=5e-3"]
    train(load_config(TINY, [*common, f"output_dir={tmp_path / 'one'}"]))  # 4 per device x 2 accumulation
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", f"--master_port={free_port()}", "-m",
           "mammoth_math", "train", "--config", str(TINY), *common, f"output_dir={tmp_path / 'two'}"]
    run = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    one, two = _losses(tmp_path / "one"), _losses(tmp_path / "two")
    assert len(one) == len(two) == 3
    assert one == pytest.approx(two, rel=1e-4)
    w1, w2 = weights(tmp_path / "one"), weights(tmp_path / "two")
    assert all(torch.allclose(w1[k], w2[k], atol=1e-5) for k in w1)


CHILD = """
import sys, time
from transformers import TrainerCallback
from mammoth_math.training import load_config, train

class Slow(TrainerCallback):
    def on_step_end(self, *args, **kwargs):
        time.sleep(0.4)

train(load_config(sys.argv[1], sys.argv[2:]), callbacks=[Slow()])
"""


def test_killed_run_resumes_to_the_same_end(trained, tmp_path: Path) -> None:
    _, _, data = trained
    common = [f"data={data}", *FAST, "max_steps=12", "save_strategy=steps", "save_steps=4", "learning_rate=5e-3"]
    broken = tmp_path / "broken"
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD))
    child = subprocess.Popen([sys.executable, str(script), str(TINY), *common, f"output_dir={broken}"], env=env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not (broken / "checkpoint-4" / "trainer_state.json").exists():
        assert child.poll() is None and time.monotonic() < deadline, "child ended before its first checkpoint"
        time.sleep(0.05)
    time.sleep(0.5)  # mid-way between checkpoints
    child.send_signal(signal.SIGKILL)
    assert child.wait() == -signal.SIGKILL
    assert not (broken / "checkpoint-12").exists()

    resumed = train(load_config(TINY, [*common, f"output_dir={broken}"]))
    assert resumed.resumed_from is not None and "checkpoint-" in resumed.resumed_from
    whole = train(load_config(TINY, [*common, f"output_dir={tmp_path / 'whole'}"]))
    assert _losses(broken)[-1] == pytest.approx(_losses(tmp_path / "whole")[-1], rel=1e-4)
    w1, w2 = weights(broken), weights(tmp_path / "whole")
    assert all(torch.allclose(w1[k], w2[k], atol=1e-5) for k in w1)
    assert whole.resumed_from is None

    # The same command again: the run is finished, so nothing trains and no checkpoint-13 appears.
    model_bytes = (tmp_path / "whole" / "model.safetensors").read_bytes()
    checkpoints = sorted(p.name for p in (tmp_path / "whole").glob("checkpoint-*"))
    again = train(load_config(TINY, [*common, f"output_dir={tmp_path / 'whole'}"]))
    assert again.finished_before and again.losses == whole.losses
    assert again.final_loss == pytest.approx(whole.final_loss)
    assert sorted(p.name for p in (tmp_path / "whole").glob("checkpoint-*")) == checkpoints
    assert (tmp_path / "whole" / "model.safetensors").read_bytes() == model_bytes
