"""GRPO prompts with golds: the training sets of ../shared/data/train, JSONL rows (the synthetic families'),
modes per row, and bad rows named by file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.files import InputError
from mammoth_math.prompts import build_prompt
from mammoth_math.synthetic.generate import generate, write_rationales
from mammoth_math.training.grpo.prompts import dataset_rows, load_problems


def test_train_sets_by_name(shared_data: Path) -> None:
    train = shared_data / "train"
    if not (train / "gsm8k" / "train.jsonl").exists():
        pytest.skip(f"GSM8K train not found under {train}")
    problems = load_problems([f"gsm8k:{train / 'gsm8k' / 'train.jsonl'}", f"aqua:{train / 'aqua' / 'dev.json'}"])
    gsm8k, aqua = problems[0], problems[-1]
    assert gsm8k.gold == "72" and gsm8k.question.startswith("Natalia sold clips")
    assert aqua.kind == "choice" and aqua.options and aqua.gold in "ABCDE" and "Answer Choices" in aqua.question
    assert len(load_problems([f"gsm8k:{train / 'gsm8k' / 'train.jsonl'}"], limit=5)) == 5


def test_synthetic_rows_and_mixed_modes(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    write_rationales(generate(9, seed=3), path)
    problems = load_problems([str(path)])
    rows = dataset_rows(problems, "mixed")
    assert [r["rollout"] for r in rows[:3]] == ["cot", "pot", "tir"]
    assert rows[1]["prompt"] == build_prompt(problems[1], "pot") and rows[1]["gold"] == problems[1].gold
    assert any(r["options"] for r in rows) and all(r["question"] and r["gold"] for r in rows)


def test_bad_rows_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"question": "q", "gold": "1"}) + "\n" + json.dumps({"question": "q"}) + "\n")
    with pytest.raises(InputError, match=r"p.jsonl.*2.*gold"):
        load_problems([str(path)])
    path.write_text(json.dumps({"question": "q", "gold": "1", "rollout": "guess"}) + "\n")
    with pytest.raises(InputError, match="rollout"):
        load_problems([str(path)])
    with pytest.raises(InputError, match="no such prompt file"):
        load_problems([str(tmp_path / "missing.jsonl")])
