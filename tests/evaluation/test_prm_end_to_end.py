"""End to end on CPU: graded multi-step samples -> data step-labels (the tiny model completes each prefix
through the hf backend) -> train --method prm -> eval --process-reward-model (each step scored, nothing
generated again, cached under OUT/cache/rewards) -> report --select prm_min_best: the pick each aggregate names."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest
from helpers.backends import VaryingBackend
from helpers.sampled_runs import sampled_config, train_then_score

from mammoth_math.backends import Completion, GenerationRequest
from mammoth_math.backends.reward import ScoreRequest, make_reward_model
from mammoth_math.cli import main
from mammoth_math.evaluation import evaluate, read_problem_records


class StepsBackend(VaryingBackend):
    """Sample i of every request answers ``i + 3`` in three steps, one of them wrong unless i is 0."""

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self.requests.extend(requests)
        return [Completion([f" We add the numbers.\n\nThat gives {i + 3}{'' if i == 0 else ' more'}.\n\n"
                            f"The answer is {i + 3}." for i in range(r.n)], finish_reasons=["stop"] * r.n)
                for r in requests]


def test_step_labels_then_train_prm_then_score_then_select(tiny_model_dir: Path, tmp_path: Path, capsys) -> None:
    evaluate(sampled_config(tmp_path), backend=StepsBackend())  # problem i: sample i is right, the other two wrong
    records_file = tmp_path / "out" / "cot-sc" / "custom.jsonl"
    labels = tmp_path / "labels.jsonl"
    assert main(["data", "step-labels", str(records_file), "--out", str(labels), "--model", str(tiny_model_dir),
                 "--k", "2", "--max-new-tokens", "6"]) == 0
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    assert len(rows) == 9 and all(len(r["completions"]) == len(r["labels"]) == 3 for r in rows)
    graded = read_problem_records(records_file)
    assert [r["labels"][-1] for r in rows] == [a.correct for r in graded for a in r.attempts]
    records = train_then_score(tmp_path, "prm", labels, tiny_model_dir, StepsBackend(), "process_reward_model")
    assert "labelled steps" in capsys.readouterr().out
    prm = tmp_path / "prm"
    assert all(len(a.step_rewards) == 3 for r in records for a in r.attempts)
    meta = json.loads((tmp_path / "out" / "cot-sc" / "run.json").read_text())
    assert (meta["process_reward_model"], meta["step_separator"]) == (str(prm), "\n\n")
    cached = make_reward_model(str(prm), str(tmp_path / "cache" / "rewards"), kind="prm")
    cached.inner.score = lambda _: pytest.fail("a cached solution was scored again")  # type: ignore[union-attr]
    requests = [ScoreRequest(r.question, a.text) for r in records for a in r.attempts]
    assert cached.score(requests) == [a.step_rewards for r in records for a in r.attempts]
    cached.close()
    with pytest.raises(ValueError, match="process reward model"):  # a run keeps one process reward model
        evaluate(sampled_config(tmp_path, process_reward_model=str(tiny_model_dir)), backend=StepsBackend())
    assert main(["report", str(tmp_path / "out"), "--select", "majority,prm_min_best,prm_last_best,"
                 "prm_product_majority"]) == 0
    (row,) = json.loads((tmp_path / "out" / "results.json").read_text())["selection"]

    def accuracy_of_best(fold) -> float:
        best = [max(range(3), key=lambda i: (fold(r.attempts[i].step_rewards), -i)) for r in records]
        return sum(r.attempts[i].correct for r, i in zip(records, best)) / len(records)

    assert row["prm_min_best@3"] == accuracy_of_best(min)
    assert row["prm_last_best@3"] == accuracy_of_best(lambda s: s[-1])
    assert row["prm_product_majority@3"] == accuracy_of_best(math.prod)  # every answer differs: the best product
