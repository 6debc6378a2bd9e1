"""``data distill`` end to end: a scripted teacher (known outcomes), the resume, the builder source, the CLI."""

from __future__ import annotations

import json

from helpers.distill import PROBLEMS, TEXTS, ScriptedTeacher, write_config, write_problems

from mammoth_math.cli import main
from mammoth_math.data import build, config_from_dict, distill, load_distill_config
from mammoth_math.data.distill.filters import STAGES
from mammoth_math.files import iter_jsonl


def test_scripted_distillation_counts_every_stage_and_resumes(tmp_path, runner):
    config = load_distill_config(write_config(tmp_path / "d.yaml", write_problems(tmp_path / "train"),
                                              teacher="scripted-7b"))
    teacher = ScriptedTeacher(TEXTS)
    result = distill(config, tmp_path / "out", backend=teacher, run_programs=runner, progress=False)
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report == result.report
    assert report["samples"]["cot"] == dict(zip(STAGES, (16, 1, 0, 6, 4, 1, 1, 0, 0, 0, 3)))
    assert report["samples"]["pot"] == dict(zip(STAGES, (16, 0, 0, 6, 4, 0, 0, 0, 1, 1, 4)))
    assert report["problems"] == {"read": 4, "sampled": 4, "backend_errors": 0, "gold": 4}
    rows = [obj for _, obj in iter_jsonl(tmp_path / "out" / "distilled.jsonl")]
    assert [r["output"] for r in rows if r["rationale_type"] == "cot"] == [
        "2 + 3 = 5. The answer is 5.", "The answer is 5.", "9 - 4 = 5. The answer is 5."]
    assert {r["meta"]["teacher"] for r in rows} == {"scripted-7b"}
    assert [r["meta"]["pass_rate"] for r in rows if r["rationale_type"] == "pot"] == [0.75] * 4

    again = distill(config, tmp_path / "out", backend=ScriptedTeacher(TEXTS), run_programs=runner, progress=False)
    assert again.report == result.report
    assert (tmp_path / "out" / "samples.jsonl").read_text().count("\n") == 4  # nothing doubled
    assert rows == [obj for _, obj in iter_jsonl(tmp_path / "out" / "distilled.jsonl")]


def test_distilled_rows_are_a_builder_source_with_their_provenance(tmp_path, runner):
    config = load_distill_config(write_config(tmp_path / "d.yaml", write_problems(tmp_path / "train")))
    distill(config, tmp_path / "dist", backend=ScriptedTeacher(TEXTS), run_programs=runner, progress=False)
    built = build(config_from_dict({"sources": [{"name": "distilled", "path": str(tmp_path / "dist")}],
                                    "eval_dir": None, "formats": ["jsonl", "parquet"], "near_dup_threshold": None}),
                  tmp_path / "built", run_programs=runner, progress=False)
    # every distilled row differs from the others and passes the builder's own verification
    assert built.rows == 7 and built.rejects == 0
    rows = [obj for _, obj in iter_jsonl(tmp_path / "built" / "data.jsonl")]
    assert {(r["source"], r["teacher"], r["label"]) for r in rows} == {("distilled", "scripted", "5")}
    assert sorted({r["pass_rate"] for r in rows}) == [0.5, 0.75]
    import pyarrow.parquet as pq

    assert pq.read_table(tmp_path / "built" / "data.parquet").column("pass_rate").to_pylist()[0] in (0.5, 0.75)


def test_hidden_golds_are_labelled_by_majority(tmp_path, runner):
    config = load_distill_config(write_config(tmp_path / "d.yaml", write_problems(tmp_path / "train"),
                                              use_gold=False, pass_rate_max=1.0))
    result = distill(config, tmp_path / "out", backend=ScriptedTeacher(TEXTS), run_programs=runner, progress=False)
    # Q1: 5 (6 of 8); Q2: 10 (8 of 8); Q3: 7 (8 of 8, wrong); Q4: 5 (6 of 8)
    assert result.report["problems"]["majority"] == 4
    assert result.report["label_accuracy"] == {"checked": 4, "correct": 3, "accuracy": 0.75}
    rows = [obj for _, obj in iter_jsonl(tmp_path / "out" / "distilled.jsonl")]
    assert {r["meta"]["label_from"] for r in rows} == {"majority"}


def test_cli_distill_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [gsm8k]\nmodel: m\nsamples: 3\n")
    assert main(["data", "distill", "--config", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "samples" in err and "\n" not in err
    worse = tmp_path / "worse.yaml"
    worse.write_text("sources: [gsm8k]\nmodel: m\nk: 0\n")
    assert main(["data", "distill", "--config", str(worse), "--out", str(tmp_path / "o")]) == 2
    assert "worse.yaml:3: field 'k': must be >= 1" in capsys.readouterr().err


def test_mammoth_prompts_for_a_teacher_trained_here(tmp_path, runner):
    config = load_distill_config(write_config(tmp_path / "d.yaml", write_problems(tmp_path / "train"),
                                              prompt="mammoth"))
    teacher = ScriptedTeacher(TEXTS)
    result = distill(config, tmp_path / "out", backend=teacher, run_programs=runner, progress=False)
    assert all(isinstance(p, str) and p.startswith("Below is an instruction") for p in teacher.prompts)
    assert sum(p.endswith("Let's write a program.\n\n### Response:") for p in teacher.prompts) == len(PROBLEMS)
    assert result.rows == 7  # the same texts as with chat prompts: the same rows
