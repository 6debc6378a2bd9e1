"""Importing other harnesses' per-sample outputs: Qwen2.5-Math's RM example reproduces its own script's numbers;
NeMo-Skills, lm-eval and lighteval files become records that report and the selection rules read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.evaluation import find_runs, read_problem_records
from mammoth_math.evaluation.importing import import_files
from mammoth_math.evaluation.report import selection_rows
from mammoth_math.files import InputError

# 8 rows of Qwen2.5-Math's evaluation/data/eval_rm_maj_example/math_cot_100.jsonl (rows 0, 3, 17, 54, 58, 70, 85,
# 98: ties of 4 against 4, a majority the reward model overrules, both ways), generations clipped to 160 characters.
QWEN_ROWS = Path(__file__).parent / "data" / "qwen_math_cot_rows.jsonl"
# What Qwen2.5-Math's own rm_maj_eval.py (eval_maj_k_metrics, eval_rm_k_metrics) prints for these rows, and the
# mean of their per-sample scores over the first k: run on this file with their script, unchanged.
QWEN_EXPECTED = {8: {"majority": 0.5, "rm_best": 0.625, "avg": 0.375},
                 4: {"majority": 0.5, "rm_best": 0.5, "avg": 0.40625}}


def test_qwen_rm_example_gives_the_numbers_of_their_script(tmp_path: Path, capsys) -> None:
    assert main(["import", str(QWEN_ROWS), "--format", "qwen", "--out", str(tmp_path), "--dataset", "math"]) == 0
    assert json.loads(capsys.readouterr().out)["rewards"] is True
    assert main(["report", str(tmp_path), "--select", "majority,rm_best,rm_majority", "--pass-k", "4,8"]) == 0
    rows = {row["k"]: row for row in json.loads((tmp_path / "results.json").read_text())["selection"]}
    for k, expected in QWEN_EXPECTED.items():
        assert rows[k][f"majority@{k}"] == expected["majority"]
        assert rows[k][f"rm_best@{k}"] == expected["rm_best"]
        assert rows[k][f"avg@{k}"] == pytest.approx(expected["avg"])
    assert "Selection: majority, reward model, GenSelect" in (tmp_path / "report.html").read_text()


def test_qwen_records_keep_their_answers_verdicts_and_rewards(tmp_path: Path) -> None:
    import_files("qwen", [QWEN_ROWS], tmp_path, dataset="math")
    records = read_problem_records(tmp_path / "qwen" / "math.jsonl")
    source = [json.loads(line) for line in QWEN_ROWS.read_text().splitlines()]
    assert len(records) == len(source) == 8
    for record, row in zip(records, source):
        assert [a.answer for a in record.attempts] == row["pred"]
        assert [a.correct for a in record.attempts] == row["score"]
        assert [a.reward for a in record.attempts] == [s[0] for s in row["pred_score"]]
        assert record.gold == row["gt"] and record.meta["level"] == row["level"]


def test_our_verdicts_regrade_and_keep_theirs(tmp_path: Path) -> None:
    import_files("qwen", [QWEN_ROWS], tmp_path, dataset="math", verdicts="ours")
    records = read_problem_records(tmp_path / "qwen" / "math.jsonl")
    source = [json.loads(line) for line in QWEN_ROWS.read_text().splitlines()]
    assert [r.meta["harness_correct"] for r in records] == [row["score"] for row in source]
    # on these rows our grader agrees with theirs, sample by sample
    assert [[a.correct for a in r.attempts] for r in records] == [row["score"] for row in source]


# (answer, verdict) of each problem (gold 4, 0.5, 7) in the file of each seed; seed s scores problem i r_s + i
NEMO = [[("4", True), ("\\frac{1}{2}", True), (None, False)],
        [("5", False), ("0.5", True), (None, False)],
        [(None, False), ("1", False), (None, False)]]


def _nemo_rows(seed: int) -> list[dict]:
    return [{"problem": f"q{i}", "expected_answer": ["4", "0.5", "7"][i], "generation": f"... \\boxed{{{a}}}",
             "predicted_answer": a, "symbolic_correct": ok, "reward_model_score": [0.1, 0.9, 0.3][seed] + i,
             "num_generated_tokens": 10} for i, (a, ok) in enumerate(NEMO[seed])]


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_nemo_skills_files_are_the_samples_of_each_problem(tmp_path: Path) -> None:
    files = [_write(tmp_path / f"output-rs{s}.jsonl", _nemo_rows(s)) for s in range(3)]
    result = import_files("nemo-skills", files, tmp_path / "out", dataset="toy")
    assert (result.problems, result.samples, result.rewards) == (3, 3, True)
    records = read_problem_records(tmp_path / "out" / "nemo-skills" / "toy.jsonl")
    assert [a.answer for a in records[0].attempts] == ["4", "5", None]
    assert [a.reward for a in records[1].attempts] == [1.1, 1.9, 1.3]
    (row,) = selection_rows(find_runs(tmp_path / "out"), ["majority", "rm_best"], [3])
    # problem 0: a 1-1 tie goes to "4" (seen first), the RM prefers "5"; problem 1: 1/2 written two ways is one
    # class, and the RM's best; problem 2: no answer at all, no pick
    assert (row["problems"], row["majority@3"], row["rm_best@3"]) == (3, 2 / 3, 1 / 3)


def test_nemo_skills_files_of_other_problems_are_refused(tmp_path: Path) -> None:
    short = _write(tmp_path / "output-rs1.jsonl", _nemo_rows(1)[:2])
    with pytest.raises(InputError, match="different numbers of problems"):
        import_files("nemo-skills", [_write(tmp_path / "output-rs0.jsonl", _nemo_rows(0)), short], tmp_path / "o")


def test_lm_eval_samples_one_line_per_doc_and_filter(tmp_path: Path) -> None:
    rows = [{"doc_id": 0, "doc": {"question": "2+2?", "answer": "4"}, "target": "4", "filter": "flexible",
             "resps": [["so \\boxed{4}", "so \\boxed{5}", "it is \\boxed{4}"]], "filtered_resps": [["4", "5", "4"]],
             "metrics": ["exact_match"], "exact_match": 1.0},
            {"doc_id": 0, "doc": {"question": "2+2?"}, "target": "4", "filter": "strict",
             "resps": [["x"]], "filtered_resps": ["x"], "metrics": ["exact_match"], "exact_match": 0.0},
            {"doc_id": 1, "doc": {"question": "3+3?"}, "target": "6", "filter": "flexible",
             "resps": [["\\boxed{7}", "\\boxed{6}", "\\boxed{6}"]], "filtered_resps": [["7", "6", "6"]],
             "metrics": ["exact_match"], "exact_match": 1.0}]
    import_files("lm-eval", [_write(tmp_path / "samples_gsm8k.jsonl", rows)], tmp_path / "out", kind="number")
    records = read_problem_records(tmp_path / "out" / "lm-eval" / "samples_gsm8k.jsonl")
    assert len(records) == 2 and records[0].meta["harness_filter"] == "flexible"
    # n samples carry no per-sample verdict in lm-eval's log: graded here
    assert [a.correct for a in records[0].attempts] == [True, False, True]
    assert [a.correct for a in records[1].attempts] == [False, True, True]
    assert [r.correct for r in records] == [True, True]


def test_lighteval_details_parquet_and_json_lines(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="lighteval's details are parquet: needs pyarrow")
    import pyarrow as pa

    rows = [{"doc": {"query": "1+1?", "choices": ["2"], "gold_index": 0},
             "model_response": {"text": ["the answer is \\boxed{2}"]}, "metric": {"extractive_match": 1.0}},
            {"doc": {"query": "2+3?", "choices": ["5"], "gold_index": 0},
             "model_response": {"text": ["\\boxed{6}"]}, "metric": {"extractive_match": 0.0}}]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "details_math.parquet")
    _write(tmp_path / "details_math.jsonl", rows)
    for name in ("details_math.parquet", "details_math.jsonl"):
        import_files("lighteval", [tmp_path / name], tmp_path / "out", dataset="m", run=name.split(".")[1])
        records = read_problem_records(tmp_path / "out" / name.split(".")[1] / "m.jsonl")
        assert [r.gold for r in records] == ["2", "5"]
        assert [r.correct for r in records] == [True, False]
        assert records[0].attempts[0].answer == "2"


def test_bad_rows_name_file_line_and_field(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.jsonl", [{"idx": 0, "gt": "1", "pred": ["1", "2"], "score": [True]}])
    with pytest.raises(InputError, match=r"bad.jsonl:1: field 'score'"):
        import_files("qwen", [bad], tmp_path / "out")
