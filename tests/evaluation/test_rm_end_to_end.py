"""End to end on CPU: graded samples -> train --method rm -> eval --reward-model (scores added to the finished
run, nothing generated) -> genselect -> report --select: majority, RM-weighted and GenSelect side by side."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.backends import ScriptedBackend, VaryingBackend
from helpers.sampled_runs import sampled_config, train_then_score

from mammoth_math.cli import main
from mammoth_math.evaluation import evaluate
from mammoth_math.evaluation.genselect import genselect_run


def test_train_rm_then_score_then_select(tiny_model_dir: Path, tmp_path: Path, capsys) -> None:
    evaluate(sampled_config(tmp_path), backend=VaryingBackend())  # problem i: sample i is right, the other two wrong
    records_file = tmp_path / "out" / "cot-sc" / "custom.jsonl"
    records = train_then_score(tmp_path, "rm", records_file, tiny_model_dir, VaryingBackend(), "reward_model")
    assert "pairs (correct vs wrong)" in capsys.readouterr().out
    assert all(a.reward is not None for r in records for a in r.attempts)
    genselect_run(tmp_path / "out" / "cot-sc", ScriptedBackend("Judgment: 0"), 3)
    assert main(["report", str(tmp_path / "out"), "--select", "majority,rm_best,rm_majority,genselect"]) == 0
    assert "selection, accuracy (%)" in capsys.readouterr().out
    (row,) = json.loads((tmp_path / "out" / "results.json").read_text())["selection"]
    assert (row["suite"], row["n"], row["k"]) == ("other", 3, 3)
    best = [max(range(3), key=lambda i: (r.attempts[i].reward, -i)) for r in records]
    assert row["rm_best@3"] == sum(r.attempts[i].correct for r, i in zip(records, best)) / len(records)
    # every problem's three answers differ: the vote's 1-1-1 tie goes to sample 0, as does the scripted pick
    assert row["majority@3"] == row["genselect@3"] == sum(r.attempts[0].correct for r in records) / len(records)
    assert 'id="selection"' in (tmp_path / "out" / "report.html").read_text()
