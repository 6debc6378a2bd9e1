"""Reward model pairs from graded samples (evaluation records, distill samples), and a tiny RewardTrainer run
whose head and weights move and whose loss falls."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.fixtures import tiny_model_dir  # noqa: F401  (fixture)

from mammoth_math.prompts import reward_input
from mammoth_math.files import InputError
from mammoth_math.training.rm import GradedProblem, build_pairs, load_rm_config, read_graded, train_rm

REPO = Path(__file__).resolve().parents[2]
RM_TINY = REPO / "configs" / "train" / "rm-tiny.yaml"


def test_pairs_are_distinct_round_robin_and_need_both_verdicts() -> None:
    problems = [GradedProblem("q1", [("a", True), ("b", False), ("c", False), ("a", True), ("d", False)]),
                GradedProblem("q2", [("x", True), ("y", True)]),  # no wrong sample: no pair
                GradedProblem("q3", [("r1", True), ("r2", True), ("w", False)])]
    rows = build_pairs(problems, per_problem=2)
    assert rows == [{"chosen": reward_input("q1", "a"), "rejected": reward_input("q1", "b")},
                    {"chosen": reward_input("q1", "a"), "rejected": reward_input("q1", "c")},
                    {"chosen": reward_input("q3", "r1"), "rejected": reward_input("q3", "w")},
                    {"chosen": reward_input("q3", "r2"), "rejected": reward_input("q3", "w")}]
    assert len(build_pairs(problems[:1], per_problem=10)) == 3  # max(1 right, 3 wrong distinct texts)


def test_graded_samples_from_records_and_distill_samples(tmp_path: Path) -> None:
    record = {"id": "p", "question": "2+2?", "correct": True, "attempts": [
        {"text": "It is 4.", "correct": True}, {"text": "It is 5.", "correct": False}]}
    distill = {"problem": {"question": "3+3?", "gold": "6", "kind": "number", "options": None},
               "texts": {"cot": ["So the answer is 6.", "So the answer is 7."], "pot": ["print(6)"]}}
    path = tmp_path / "graded.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(distill) + "\n")
    assert read_graded(path) == [GradedProblem("2+2?", [("It is 4.", True), ("It is 5.", False)]),
                                 GradedProblem("3+3?", [("So the answer is 6.", True), ("So the answer is 7.", False)])]
    path.write_text(json.dumps({"instruction": "x", "output": "y"}) + "\n")
    with pytest.raises(InputError, match="graded.jsonl:1"):
        read_graded(path)


def test_a_tiny_reward_model_trains(tiny_model_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForSequenceClassification

    rows = []
    for i in range(12):  # the right sum against a wrong one, twice per problem
        rows.append({"id": str(i), "question": f"What is {i} + 2?", "attempts": [
            {"text": f"{i} + 2 = {i + 2}. The answer is {i + 2}.", "correct": True},
            {"text": f"{i} + 2 = {i + 5}. The answer is {i + 5}.", "correct": False},
            {"text": f"{i} + 2 = {i * 3}. The answer is {i * 3 + 1}.", "correct": False}]})
    data = tmp_path / "records.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "rm"
    config = load_rm_config(RM_TINY, [f"model={tiny_model_dir}", f"data=[{data}]", f"output_dir={out}",
                                      "num_train_epochs=6", "disable_tqdm=true"])
    result = train_rm(config)
    assert (result.problems, result.pairs) == (12, 24)
    assert sum(result.losses[-3:]) / 3 < sum(result.losses[:3]) / 3  # the Bradley-Terry loss falls
    trained = load_file(str(out / "model.safetensors"))
    base = load_file(str(tiny_model_dir / "model.safetensors"))
    assert not torch.equal(trained["model.layers.0.mlp.up_proj.weight"], base["model.layers.0.mlp.up_proj.weight"])
    model = AutoModelForSequenceClassification.from_pretrained(out)
    assert model.config.num_labels == 1 and (out / "train_config.yaml").exists()
