"""The quickstart's second round at toy size: the first model distills new problems without golds, majority
labels them, a second model trains on the union; both tables and the label accuracy come back."""

from __future__ import annotations

import json

import pytest

from mammoth_math.cli import main
from mammoth_math.synthetic.quickstart import MODES

pytestmark = pytest.mark.slow
TOY = ["--minutes", "0.02", "--problems", "24", "8", "--threads", "1", "--seed", "3"]


def test_second_round_distills_with_majority_labels_and_retrains(tmp_path, capsys):
    out = tmp_path / "qs"
    assert main(["quickstart", *TOY, "--out", str(out), "--rounds", "2"]) == 0
    printed = capsys.readouterr().out
    assert "cot r2" in printed and "majority label accuracy (hidden golds)" in printed
    report = json.loads((out / "round2" / "distill" / "report.json").read_text())
    problems = [json.loads(line) for line in (out / "round2" / "problems.jsonl").read_text().splitlines()]
    assert len(problems) == 12 and report["problems"]["read"] == 12  # train_problems // 2, golds hidden
    assert "gold" not in report["problems"]  # no problem was labelled by its gold
    for counts in report["samples"].values():
        assert counts["sampled"] == 12 * 4 == sum(v for k, v in counts.items() if k != "sampled")
    labelled = report["problems"].get("majority", 0)
    if labelled:
        assert report["label_accuracy"]["checked"] == labelled
    built = [json.loads(line) for line in (out / "round2" / "data" / "data.jsonl").read_text().splitlines()]
    first = (out / "data" / "data.jsonl").read_text().count("\n")
    assert len(built) == first + sum(r["source"] == "distilled" for r in built)  # the union
    for mode in ("cot", "pot", "hybrid"):
        assert len((out / "round2" / "eval" / mode / "custom.jsonl").read_text().splitlines()) == 8
    assert (out / "round2" / "model" / "model.safetensors").exists()

    # the quickstart's own report holds round 2 beside round 1, with the labels' counts and accuracy
    results = json.loads((out / "eval" / "results.json").read_text())
    rows = {row["test set"]: row for row in results["rounds"]}
    assert set(rows["all"]) == {"test set", *MODES, *(f"{mode} r2" for mode in MODES)}
    round2 = json.loads((out / "round2" / "eval" / "results.json").read_text())["table"][0]
    assert all(rows["all"][f"{m} r2"] == round2[m] for m in ("cot", "pot", "hybrid"))
    (labels,) = results["round2_labels"]
    assert labels["label_accuracy"] == report["label_accuracy"] and labels["read"] == 12
    assert labels.get("majority", 0) + sum(v for k, v in labels.items() if k.startswith("unlabelled_")) == 12
    page = (out / "eval" / "report.html").read_text()
    assert 'id="rounds"' in page and "Majority label accuracy" in page and "cot r2" in page

    assert main(["quickstart", *TOY, "--out", str(out), "--rounds", "2"]) == 0  # resumes every stage
    assert capsys.readouterr().out.count("cot r2") == 1
    assert 'id="rounds"' in (out / "eval" / "report.html").read_text()  # a resumed run keeps it in the report
