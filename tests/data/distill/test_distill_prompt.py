"""``data distill`` picks its prompt from the teacher (issue 24, item 8): a model folder without a chat
template (what ``train`` writes) is asked with MAmmoTH's Alpaca prompt, saying so; ``prompt: instruct`` for
such a folder is refused at once, naming file, line and what to set; a folder with a template is chatted to."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from helpers.distill import PROBLEMS, TEXTS, ScriptedTeacher, write_config, write_problems

from mammoth_math.cli import main
from mammoth_math.data import distill, load_distill_config
from mammoth_math.training import train_bpe_tokenizer


@pytest.fixture
def trained_here(tmp_path: Path) -> Path:
    """A model folder as ``train`` leaves it: its own BPE tokenizer, no chat template."""
    folder = tmp_path / "model"
    train_bpe_tokenizer([q for q, _ in PROBLEMS] * 4, 300).save_pretrained(str(folder))
    return folder


def test_a_model_trained_here_gets_the_alpaca_prompt_and_a_log_line(tmp_path, trained_here, runner, caplog):
    with caplog.at_level(logging.INFO, logger="mammoth_math"):
        config = load_distill_config(write_config(tmp_path / "d.yaml", write_problems(tmp_path / "train"),
                                                  model=str(trained_here)))
    assert config.prompt == "mammoth"
    assert any("has no chat template" in r.getMessage() and "prompt: mammoth" in r.getMessage()
               for r in caplog.records)
    teacher = ScriptedTeacher(TEXTS)
    distill(config, tmp_path / "out", backend=teacher, run_programs=runner, progress=False)
    assert teacher.prompts and all(isinstance(p, str) and p.startswith("Below is an instruction")
                                   for p in teacher.prompts)


def test_instruct_for_a_folder_without_template_fails_at_once(tmp_path, trained_here, capsys):
    config = write_config(tmp_path / "d.yaml", write_problems(tmp_path / "train"), model=str(trained_here),
                          prompt="instruct")
    line = next(i for i, text in enumerate(config.read_text().splitlines(), 1) if text.startswith("prompt:"))
    assert main(["data", "distill", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {config}:{line}: field 'prompt': the teacher {trained_here} has no chat template")
    assert "set prompt: mammoth" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_a_folder_with_a_template_or_a_served_name_keeps_the_chat_prompt(tmp_path, trained_here):
    problems = write_problems(tmp_path / "train")
    (trained_here / "chat_template.jinja").write_text("{% for m in messages %}{{ m['content'] }}{% endfor %}")
    for name, model in (("a", str(trained_here)), ("b", "Qwen/Qwen2.5-Math-7B")):
        assert load_distill_config(write_config(tmp_path / f"{name}.yaml", problems, model=model)).prompt == "instruct"
