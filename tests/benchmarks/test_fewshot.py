"""Few-shot exemplars come from train splits (never the test set) or from a user's file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.benchmarks import get_benchmark, load_problems, read_exemplars, train_exemplars
from mammoth_math.benchmarks.scan import Record
from mammoth_math.files import InputError
from mammoth_math.prompts import Exemplar, build_prompt


def test_gsm8k_exemplars_are_seeded_clean_and_not_from_the_test_set(train_dir: Path, eval_dir: Path) -> None:
    test_questions = {p.question for p in load_problems("gsm8k", eval_dir)}
    shots = train_exemplars("gsm8k", train_dir, k=4, seed=1, exclude_questions=test_questions)
    assert len(shots) == 4 and shots == train_exemplars("gsm8k", train_dir, k=4, seed=1)
    assert shots != train_exemplars("gsm8k", train_dir, k=4, seed=2)
    for shot in shots:
        assert shot.question not in test_questions
        assert "<<" not in shot.answer and "####" not in shot.answer
        assert shot.answer.splitlines()[-1].startswith("The answer is ")


def test_excluded_questions_are_never_drawn(train_dir: Path) -> None:
    everything = train_exemplars("aqua", train_dir, k=10_000)
    assert len(everything) == 254  # AQuA-RAT dev split
    kept = train_exemplars("aqua", train_dir, k=10_000, exclude_questions={everything[0].question})
    assert len(kept) == 253 and everything[0].question not in {s.question for s in kept}
    assert "\nAnswer Choices: (A)" in everything[0].question  # laid out as the training rows are


def test_a_test_question_spaced_otherwise_is_still_excluded(tmp_path: Path) -> None:
    """AQuA's test layout spaces options as MAmmoTH did ("(A) 1  (2)  (B) 3"); the row's differs only in spaces."""
    row = {"question": "Pick.", "options": ["A)1 (2)", "B)3"], "rationale": "It is A.", "correct": "A"}
    (tmp_path / "aqua").mkdir()
    (tmp_path / "aqua" / "dev.json").write_text(json.dumps(row) + "\n", encoding="utf-8")
    test_layout = get_benchmark("aqua").convert(Record(row, "test.json", 1, 0)).question
    (shot,) = train_exemplars("aqua", tmp_path, k=1)
    assert shot.question != test_layout and shot.answer == "It is A.\nThe answer is A."
    assert train_exemplars("aqua", tmp_path, k=1, exclude_questions=[test_layout]) == []


def test_math_and_numglue_have_train_exemplars_others_ask_for_a_file(train_dir: Path) -> None:
    (math,) = train_exemplars("math", train_dir, k=1)
    assert "\\boxed" in math.answer and "\nThe answer is " in math.answer
    assert train_exemplars("numglue", train_dir, k=2)[0].answer.startswith("The answer is ")
    with pytest.raises(ValueError, match="no train split"):
        train_exemplars("sat", train_dir)


def test_user_written_exemplars(tmp_path: Path) -> None:
    path = tmp_path / "shots.jsonl"
    path.write_text('{"question": "1+1?", "answer": "print(1 + 1)"}\n{"question": "2+2?"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="shots.jsonl:2: field 'answer': missing"):
        read_exemplars(path)
    path.write_text('{"question": "1+1?", "answer": "print(1 + 1)"}\n', encoding="utf-8")
    assert read_exemplars(path) == [Exemplar("1+1?", "print(1 + 1)")]
    assert "1+1? Let's write a program.\n\n### Response: print(1 + 1)\n" in build_prompt("3+3?", "pot", read_exemplars(path))
