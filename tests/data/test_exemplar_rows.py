"""Few-shot exemplars drawn from a train split are the data builder's CoT rows of that split, byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.benchmarks import train_exemplars
from mammoth_math.benchmarks.train_sets import TRAIN_SETS
from mammoth_math.data.sources import SOURCES


def _cot_rows(name: str, train_dir: Path) -> set[tuple[str, str]]:
    result = SOURCES[name](train_dir / TRAIN_SETS[name].path, ("cot",))
    return {(e.question, e.output) for e in result.examples}


def test_gsm8k_exemplar_is_its_training_row(tmp_path: Path) -> None:
    """The training row drops the thousands comma and ends its closing sentence with a period; so does the shot."""
    path = tmp_path / "gsm8k" / "train.jsonl"
    path.parent.mkdir()
    path.write_text(json.dumps({"question": "How much?", "answer": "He pays 1,000+363 = <<1000+363=1363>>1,363.\n"
                                                                  "#### 1,363"}) + "\n", encoding="utf-8")
    (shot,) = train_exemplars("gsm8k", tmp_path, k=1)
    assert shot.answer == "He pays 1,000+363 = 1,363.\nThe answer is 1363."
    assert _cot_rows("gsm8k", tmp_path) == {(shot.question, shot.answer)}


@pytest.mark.parametrize("name", ["gsm8k", "math", "aqua"])
def test_real_exemplars_are_training_rows(name: str, train_dir: Path) -> None:
    shots = train_exemplars(name, train_dir, k=8, seed=3)
    assert len(shots) == 8
    assert {(s.question, s.answer) for s in shots} <= _cot_rows(name, train_dir)


def test_real_seed_only_sets_answer_with_the_rows_closing_sentence(train_dir: Path) -> None:
    """NumGLUE has no rationales: its shots are the closing sentence the CoT rows end with, gold as seeded."""
    golds = {(p.question, p.gold) for p in SOURCES["numglue"](train_dir / "numglue", ("cot",)).problems}
    for shot in train_exemplars("numglue", train_dir, k=5):
        assert shot.answer.startswith("The answer is ") and shot.answer.endswith(".")
        assert (shot.question, shot.answer.removeprefix("The answer is ").removesuffix(".")) in golds
