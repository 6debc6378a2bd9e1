"""Process reward model training: labels only on step-end tokens, step-label rows checked, and a tiny token
classifier built from config that trains (loss falls, weights move) and then tells good steps from bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.fixtures import tiny_model_dir  # noqa: F401  (fixture)

from mammoth_math.backends.reward import ScoreRequest, make_reward_model
from mammoth_math.files import InputError
from mammoth_math.prompts import prm_tokens
from mammoth_math.training.prm import IGNORE, StepRow, encode_row, load_prm_config, read_step_labels, train_prm

REPO = Path(__file__).resolve().parents[2]
PRM_TINY = REPO / "configs" / "train" / "prm-tiny.yaml"


def test_labels_sit_on_step_ends_only(tiny_model_dir: Path) -> None:  # noqa: F811
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tiny_model_dir)
    row = StepRow("What is 2 + 3?", ["2 + 3 = 5.", "So 5 apples.", "The answer is 5."], [True, False, True])
    encoded = encode_row(tok, row, "\n\n", 512)
    ids, ends = prm_tokens(tok, row.prompt, row.steps)
    assert encoded["input_ids"] == ids and len(ends) == 3
    assert [(i, v) for i, v in enumerate(encoded["labels"]) if v != IGNORE] == list(zip(ends, [1, 0, 1]))
    assert all(tok.decode(ids[e]).endswith("\n") for e in ends)  # the separator's token closes each step
    assert tok.decode(ids).endswith("2 + 3 = 5.\n\nSo 5 apples.\n\nThe answer is 5.\n\n")
    cut = encode_row(tok, row, "\n\n", ends[1])  # the last step falls past max_length: not labelled
    assert [v for v in cut["labels"] if v != IGNORE] == [1]


def test_step_label_rows_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "labels.jsonl"
    path.write_text(json.dumps({"prompt": "q", "completions": ["a", "b"], "labels": [True, False]}) + "\n"
                    + json.dumps({"prompt": "q", "completions": ["a", "b"], "labels": [True]}) + "\n")
    with pytest.raises(InputError, match="labels.jsonl:2.*labels"):
        read_step_labels(path)
    path.write_text(json.dumps({"prompt": "q", "completions": ["a"], "labels": [True]}) + "\n")
    assert read_step_labels(path) == [StepRow("q", ["a"], [True])]


def _rows() -> list[dict]:
    """Steps that add right are good, steps that add wrong are bad, in every position."""
    rows = []
    for i in range(16):
        a, b = i % 7 + 1, i % 5 + 2
        right, wrong = f"{a} + {b} = {a + b}.", f"{a} + {b} = {a + b + 3}."
        steps, labels = ([right, wrong], [True, False]) if i % 2 else ([wrong, right], [False, True])
        rows.append({"prompt": f"What is {a} + {b}?", "completions": [*steps, f"The answer is {a + b}."],
                     "labels": [*labels, i % 2 == 1]})
    return rows


def test_a_tiny_prm_trains_and_scores_steps(tiny_model_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    import torch
    from safetensors.torch import load_file
    from transformers import AutoConfig

    data = tmp_path / "labels.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _rows()))
    out = tmp_path / "prm"
    config = load_prm_config(PRM_TINY, [f"model={tiny_model_dir}", f"data=[{data}]", f"output_dir={out}",
                                        "num_train_epochs=10", "disable_tqdm=true"])
    result = train_prm(config)
    assert (result.rows, result.steps) == (16, 48)
    assert sum(result.losses[-3:]) / 3 < sum(result.losses[:3]) / 3  # the step classifier's loss falls
    trained = load_file(str(out / "model.safetensors"))
    base = load_file(str(tiny_model_dir / "model.safetensors"))
    assert not torch.equal(trained["model.layers.0.mlp.up_proj.weight"], base["model.layers.0.mlp.up_proj.weight"])
    saved = AutoConfig.from_pretrained(out)
    assert saved.num_labels == 2 and saved.step_separator == "\n\n" and (out / "train_config.yaml").exists()
    scorer = make_reward_model(str(out), kind="prm")
    rows = _rows()
    scores = scorer.score([ScoreRequest(r["prompt"], "\n\n".join(r["completions"])) for r in rows])
    assert [len(s) for s in scores] == [3] * len(rows) and scorer.info()["step_separator"] == "\n\n"
    good = [v for r, s in zip(rows, scores) for v, ok in zip(s[:2], r["labels"]) if ok]
    bad = [v for r, s in zip(rows, scores) for v, ok in zip(s[:2], r["labels"]) if not ok]
    assert min(good) > max(bad)  # every right sum scores above every wrong one, in either position (0.69 > 0.19)
