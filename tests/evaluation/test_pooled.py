"""One vote across modes: samples of several runs interleaved round-robin, scored at k = n against each mode's
own n, and eval --modes cot,pot,tir through the CLI with a tiny model, then report --select."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.sampled_runs import custom_set

from mammoth_math.cli import main
from mammoth_math.evaluation.pooled import pooled_samples
from mammoth_math.evaluation.records import Attempt, ProblemRecord
from mammoth_math.evaluation.report import selection_rows
from mammoth_math.evaluation.scores import Run


def _record(pid: str, answers: list[str | None], gold: str = "4", error: str | None = None) -> ProblemRecord:
    attempts = [Attempt("m", f"answer {a}", a, "r", sample=i, correct=a == gold, failure=None if a else "no answer")
                for i, a in enumerate(answers)]
    return ProblemRecord(pid, "toy", 0, "2+2?", gold, "number", None, {}, "m", "", attempts, error=error)


def _run(name: str, records: list[ProblemRecord], model: str = "M") -> Run:
    return Run(name, {"config": {"model": model}, "benchmarks": {"toy": {}}}, {"toy": records})


def test_samples_interleave_round_robin_over_the_runs_problems_they_share() -> None:
    cot = _run("cot-sc", [_record("a", ["1", "2", "3"]), _record("b", ["4", "4", "4"]), _record("c", ["4"] * 3)])
    pot = _run("pot-sc", [_record("a", ["7", "8", "9"]), _record("b", ["5", "5", "5"], error=None),
                          _record("c", ["4"] * 3, error="HTTP 500")])
    names, n, pooled = pooled_samples([cot, pot], "toy")
    assert (names, n) == (["cot-sc", "pot-sc"], 3)
    assert [r.id for r, _ in pooled] == ["a", "b"]  # c: a backend error in one run
    assert [a.answer for a in pooled[0][1]] == ["1", "7", "2", "8", "3", "9"]
    assert pooled_samples([cot, _run("pot-sc", pot.records["toy"], model="other")], "toy") is None
    assert pooled_samples([cot, _run("pot", pot.records["toy"])], "toy") is None  # single-sample runs: no vote


def test_the_pooled_vote_is_scored_at_equal_samples_and_at_all() -> None:
    # cot alone: 4 wins problem a 2-1; pot alone: 5 wins 2-1. Pooled first 3 (cot0 pot0 cot1): 4, 5, 4 -> 4.
    cot = _run("cot-sc", [_record("a", ["4", "4", "5"])])
    pot = _run("pot-sc", [_record("a", ["5", "5", "4"])])
    rows = {(row["run"], row["k"]): row for row in selection_rows([cot, pot], ["majority"], None)}
    assert rows[("cot-sc", 3)]["majority@3"] == 1.0 and rows[("pot-sc", 3)]["majority@3"] == 0.0
    assert rows[("pooled: cot-sc + pot-sc", 3)]["majority@3"] == 1.0
    # all six: 4 and 5 tie 3-3; the tie goes to the class seen first, 4 (cot's sample 0)
    assert rows[("pooled: cot-sc + pot-sc", 6)]["majority@6"] == 1.0
    assert rows[("pooled: cot-sc + pot-sc", 6)]["avg@6"] == 0.5


def test_eval_modes_samples_each_mode_and_the_report_pools_them(tiny_model_dir: Path, tmp_path: Path,
                                                                capsys) -> None:
    out = tmp_path / "out"
    assert main(["eval", "--model", str(tiny_model_dir), "--datasets", "custom", "--data-dir",
                 str(custom_set(tmp_path / "data")), "--output-dir", str(out), "--modes", "cot,pot,tir",
                 "--samples", "2", "--max-new-tokens", "6", "--timeout", "10", "--no-cache", "--threads", "1"]) == 0
    assert {p.parent.name for p in out.glob("*/run.json")} == {"cot-sc", "pot-sc", "tir-sc"}
    capsys.readouterr()
    assert main(["report", str(out), "--select", "majority"]) == 0
    rows = json.loads((out / "results.json").read_text())["selection"]
    pooled = [row for row in rows if row["run"].startswith("pooled")]
    assert [(row["n"], row["k"], row["problems"]) for row in pooled] == [(6, 2, 3), (6, 6, 3)]
    assert {row["run"] for row in rows} >= {"cot-sc", "pot-sc", "tir-sc"}
    assert "pooled: cot-sc + pot-sc + tir-sc" in capsys.readouterr().out
