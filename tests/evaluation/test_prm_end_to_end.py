"""End to end on CPU: graded multi-step samples -> data step-labels (the tiny model completes each prefix
through the hf backend) -> train --method prm -> eval --process-reward-model (each step scored, nothing
generated again, cached under OUT/cache/rewards) -> report --select prm_min_best: the pick each aggregate names."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path

import pytest
from test_rewards import _config

from mammoth_math.backends import Completion, GenerationRequest
from mammoth_math.backends.reward import ScoreRequest, make_reward_model
from mammoth_math.cli import main
from mammoth_math.evaluation import evaluate, read_records

REPO = Path(__file__).resolve().parents[2]


class StepsBackend:
    """Sample i of every request answers ``i + 3`` in three steps, one of them wrong unless i is 0."""

    name = "steps"

    def __init__(self) -> None:
        self.requests: list[GenerationRequest] = []

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self.requests.extend(requests)
        return [Completion([f" We add the numbers.\n\nThat gives {i + 3}{'' if i == 0 else ' more'}.\n\n"
                            f"The answer is {i + 3}." for i in range(r.n)], finish_reasons=["stop"] * r.n)
                for r in requests]

    def info(self) -> dict:
        return {"backend": self.name, "model": "steps"}

    def chat_template(self) -> None:
        return None

    def close(self) -> None:
        pass


def test_step_labels_then_train_prm_then_score_then_select(tiny_model_dir: Path, tmp_path: Path, capsys) -> None:
    evaluate(_config(tmp_path), backend=StepsBackend())  # problem i: sample i is right, the other two wrong
    records_file = tmp_path / "out" / "cot-sc" / "custom.jsonl"
    labels, prm = tmp_path / "labels.jsonl", tmp_path / "prm"
    assert main(["data", "step-labels", str(records_file), "--out", str(labels), "--model", str(tiny_model_dir),
                 "--k", "2", "--max-new-tokens", "6"]) == 0
    rows = [json.loads(line) for line in labels.read_text().splitlines()]
    assert len(rows) == 9 and all(len(r["completions"]) == len(r["labels"]) == 3 for r in rows)
    assert [r["labels"][-1] for r in rows] == [a.correct for r in read_records(records_file) for a in r.attempts]
    assert main(["train", "--method", "prm", "--config", str(REPO / "configs/train/prm-tiny.yaml"),
                 f"model={tiny_model_dir}", f"data=[{labels}]", f"output_dir={prm}", "num_train_epochs=2",
                 "disable_tqdm=true", "--threads", "1"]) == 0
    assert "labelled steps" in capsys.readouterr().out
    again = StepsBackend()
    evaluate(_config(tmp_path, process_reward_model=str(prm)), backend=again)
    assert again.requests == []  # the finished run is scored, not generated again
    records = read_records(records_file)
    assert all(len(a.step_rewards) == 3 for r in records for a in r.attempts)
    meta = json.loads((tmp_path / "out" / "cot-sc" / "run.json").read_text())
    assert (meta["process_reward_model"], meta["step_separator"]) == (str(prm), "\n\n")
    cached = make_reward_model(str(prm), str(tmp_path / "cache" / "rewards"), kind="prm")
    cached.inner.score = lambda _: pytest.fail("a cached solution was scored again")  # type: ignore[union-attr]
    requests = [ScoreRequest(r.question, a.text) for r in records for a in r.attempts]
    assert cached.score(requests) == [a.step_rewards for r in records for a in r.attempts]
    cached.close()
    with pytest.raises(ValueError, match="process reward model"):  # a run keeps one process reward model
        evaluate(_config(tmp_path, process_reward_model=str(tiny_model_dir)), backend=again)
    assert main(["report", str(tmp_path / "out"), "--select", "majority,prm_min_best,prm_last_best,"
                 "prm_product_majority"]) == 0
    (row,) = json.loads((tmp_path / "out" / "results.json").read_text())["selection"]
    for rule, fold in (("prm_min_best", min), ("prm_last_best", lambda s: s[-1])):
        best = [max(range(3), key=lambda i: (fold(r.attempts[i].step_rewards), -i)) for r in records]
        assert row[f"{rule}@3"] == sum(r.attempts[i].correct for r, i in zip(records, best)) / len(records)
    # every answer differs: the weighted vote is the best product
    best = [max(range(3), key=lambda i: (math.prod(r.attempts[i].step_rewards), -i)) for r in records]
    assert row["prm_product_majority@3"] == sum(r.attempts[i].correct for r, i in zip(records, best)) / len(records)
