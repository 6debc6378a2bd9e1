"""The whole build at small size: verification in the real sandbox, rejects with reasons, exports,
determinism, decontamination against the real eval sets, and bad input that must not stop the build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.data import build, config_from_dict, load_config
from mammoth_math.data.examples import Example
from mammoth_math.data.verify import verify
from mammoth_math.files import InputError
from mammoth_math.prompts import POT_TRIGGER

NATALIA = ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
           "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72")


def _small_config(train_dir: Path, **extra) -> dict:
    return {"train_dir": str(train_dir), "eval_dir": None, "formats": ["alpaca", "jsonl", "parquet", "hf"],
            "sources": [{"name": "gsm8k", "limit": 20}, {"name": "math", "limit": 10, "types": ["cot"]},
                        {"name": "aqua", "limit": 10, "types": ["cot"]}, {"name": "mathqa", "limit": 20}], **extra}


def test_verify_catches_wrong_hanging_and_crashing_programs(runner):
    good = Example("t", "t/1", "pot", "q", "print(6 * 7)\n", "42", "number")
    wrong = Example("t", "t/2", "pot", "q", "print(41)\n", "42", "number")
    hang = Example("t", "t/3", "pot", "q", "while True:\n    pass\n", "42", "number")
    crash = Example("t", "t/4", "pot", "q", "print(1 / 0)\n", "42", "number")
    silent = Example("t", "t/5", "pot", "q", "x = 42\n", "42", "number")
    cot_ok = Example("t", "t/6", "cot", "q", "6 times 7. The answer is 42.", "42", "number")
    cot_bad = Example("t", "t/7", "cot", "q", "The answer is 41.", "42", "number")
    kept, rejects = verify([good, wrong, hang, crash, silent, cot_ok, cot_bad], runner, progress=False)
    assert [e.id for e in kept] == ["t/1", "t/6"]
    assert {r.id: r.reason for r in rejects} == {"t/2": "wrong_answer", "t/3": "timeout", "t/4": "error",
                                                 "t/5": "no output", "t/7": "wrong_answer"}


def test_build_exports_rows_with_provenance_and_is_deterministic(train_dir, tmp_path, runner):
    config = config_from_dict(_small_config(train_dir))
    first = build(config, tmp_path / "a", run_programs=runner, progress=False)
    build(config, tmp_path / "b", run_programs=runner, progress=False)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert {"alpaca.json", "data.jsonl", "data.parquet", "hf/state.json", "rejects.jsonl", "removed.jsonl",
            "report.json", "report.md", "lengths.png", "config.yaml"} <= {str(f) for f in files}
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    alpaca = json.loads((tmp_path / "a" / "alpaca.json").read_text())
    assert len(alpaca) == first.rows > 0
    assert {r["rationale_type"] for r in alpaca} == {"cot", "pot"}
    assert {r["source"] for r in alpaca} == {"gsm8k", "math", "aqua", "mathqa"}
    assert all(r["instruction"].endswith(POT_TRIGGER) == (r["rationale_type"] == "pot") for r in alpaca)
    assert all(set(r) == {"instruction", "input", "output", "source", "rationale_type"} for r in alpaca)
    report = first.report
    assert report["verification"]["gsm8k/pot"]["passed"] >= 18  # the notes convert and run
    assert report["counts"]["math/cot"] == 10
    rejects = [json.loads(line) for line in (tmp_path / "a" / "rejects.jsonl").read_text().splitlines()]
    assert len(rejects) == first.rejects and all(r["reason"] and r["stage"] for r in rejects)
    other_seed = build(config_from_dict(_small_config(train_dir, seed=1)), tmp_path / "c", run_programs=runner,
                       progress=False)
    assert other_seed.rows == first.rows
    assert (tmp_path / "c" / "data.jsonl").read_bytes() != (tmp_path / "a" / "data.jsonl").read_bytes()


def test_bad_input_goes_to_rejects_and_sets_exit_status(tmp_path, runner):
    gsm = tmp_path / "gsm8k.jsonl"
    gsm.write_text("\n".join([
        json.dumps({"question": "How many clips?", "answer": NATALIA}),
        "{corrupt",
        json.dumps({"question": "no answer field"}),
        json.dumps({"question": "Loop?", "answer": "It is 2**(10**10) = <<2**(10**10)=0>>0\n#### 0"}),
    ]) + "\n")
    config = tmp_path / "c.yaml"
    config.write_text(f"eval_dir: null\nformats: [jsonl]\ntimeout: 2.0\nsources:\n  - {{name: gsm8k, path: {gsm}}}\n")
    out = tmp_path / "out"
    assert main(["data", "build", "--config", str(config), "--out", str(out)]) == 1
    reasons = sorted(json.loads(line)["reason"] for line in (out / "rejects.jsonl").read_text().splitlines())
    assert reasons == ["corrupt_line", "missing_field", "notes_not_convertible"]
    rows = [json.loads(line) for line in (out / "data.jsonl").read_text().splitlines()]
    assert len(rows) == 3  # both rationales of the good problem, and the CoT of the last
    assert main(["data", "stats", str(out)]) == 0


def test_unknown_config_key_names_file_and_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("sources: [gsm8k]\npot_ration: 0.5\n")
    with pytest.raises(InputError, match="pot_ration"):
        load_config(path)


def test_shipped_configs_load():
    from mammoth_math.data import load_distill_config

    for path in sorted(Path("configs/data").glob("*.yaml")):
        assert (load_distill_config if path.name.startswith("distill-") else load_config)(path).sources


def test_decontamination_against_real_eval_sets(eval_dir):
    from mammoth_math.data.decontaminate import build_index, decontaminate

    gsm_test = json.loads((eval_dir / "gsm8k" / "gsm8k.jsonl").read_text().splitlines()[0])
    leaked = Example("gsm8k", "x/1", "cot", "Please solve: " + gsm_test["question"], "...", "1", "number")
    clean = Example("gsm8k", "x/2", "cot", "Tom has three apples and buys two more apples. How many apples?", "", "5",
                    "number")
    kept, removed = decontaminate([leaked, clean], build_index(eval_dir, benchmarks=["gsm8k", "math"]))
    assert [e.id for e in kept] == ["x/2"]
    assert removed[0].reason == "eval_overlap" and removed[0].detail.startswith("gsm8k/")


def test_dedup_exact_and_near():
    from mammoth_math.data.dedup import dedup

    q = ("A farmer has 17 sheep grazing in the north field and buys 12 more sheep at the busy market in town on a sunny "
         "Tuesday morning, then walks them all home along the river past the old mill, the church and the school, "
         "counting them twice at the gate before dinner with his daughter and the dog. How many sheep now?")
    rows = [Example("s", "s/1", "cot", q, "17 + 12 = 29. The answer is 29.", "29", "number"),
            Example("s", "s/2", "cot", q, "17 + 12 = 29. The answer is 29.", "29", "number"),
            Example("s", "s/3", "cot", q.replace("Tuesday", "Wednesday"), "The answer is 29.", "29", "number"),
            Example("s", "s/4", "pot", q, "print(17 + 12)\n", "29", "number"),
            Example("s", "s/5", "cot", "Something entirely different about trains leaving a station at noon.", "x",
                    "1", "number")]
    kept, removed = dedup(rows, near_threshold=0.7)
    assert [e.id for e in kept] == ["s/1", "s/4", "s/5"]
    assert {(r.id, r.reason, r.detail) for r in removed} == {("s/2", "exact_duplicate", "s/1"),
                                                             ("s/3", "near_duplicate", "s/1")}


def test_published_mathinstruct_rows_are_reverified(tmp_path, runner):
    path = tmp_path / "mi.jsonl"
    rows = [{"source": "data/PoT/gsm_gpt4.json", "instruction": "Add 2 and 3. Let's write a program.",
             "output": "a = 2\nb = 3\nprint(a + b)"},
            {"source": "data/PoT/gsm_gpt4.json", "instruction": "Divide. Let's write a program.", "output": "print(1/0)"},
            {"source": "data/CoT/camel.json", "instruction": "What is 2+3?", "output": "2 + 3 = 5. The answer is 5."},
            {"source": "data/CoT/camel.json", "instruction": "Say hi"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = config_from_dict({"eval_dir": None, "formats": ["jsonl"], "sources": [{"name": "mathinstruct", "path": str(path)}]})
    result = build(config, tmp_path / "out", run_programs=runner, progress=False)
    out = [json.loads(line) for line in (tmp_path / "out" / "data.jsonl").read_text().splitlines()]
    assert sorted((r["rationale_type"], r["source"]) for r in out) == [("cot", "mathinstruct:data/CoT/camel.json"),
                                                                       ("pot", "mathinstruct:data/PoT/gsm_gpt4.json")]
    assert result.report["rejects_by_reason"] == {"input:missing_field": 1, "verify:error": 1}


@pytest.mark.slow
def test_acceptance_gsm8k_full(train_dir, tmp_path, runner):
    """Acceptance: all 7,473 GSM8K problems as CoT, >= 97% with a verified PoT from the calculator notes."""
    config = config_from_dict({"train_dir": str(train_dir), "eval_dir": None, "formats": ["jsonl"], "dedup": False,
                               "sources": [{"name": "gsm8k"}]})
    report = build(config, tmp_path, run_programs=runner, progress=False).report
    assert report["counts"]["gsm8k/cot"] == 7473
    assert report["verification"]["gsm8k/pot"]["passed"] >= 0.97 * 7473
