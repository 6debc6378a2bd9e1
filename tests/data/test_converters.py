"""The deterministic converters: GSM8K calculator notes and MathQA formulas become programs that run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mammoth_math.data.sources import gsm8k, mathqa
from mammoth_math.data.sources.gsm8k import notes_to_program
from mammoth_math.data.sources.mathqa import (
    formula_to_program,
    option_value,
    parse_options,
)

NATALIA = ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
           "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72")


def _run(program: str) -> str:
    done = subprocess.run([sys.executable, "-c", program], check=False, capture_output=True, text=True, timeout=10)
    return done.stdout.strip()


def test_notes_become_named_straight_line_program():
    program = notes_to_program(NATALIA)
    assert program is not None
    assert "clips_in_may = 48/2" in program
    assert "48+clips_in_may" in program  # the later step refers to the earlier result by name
    assert _run(program) == "72"


def test_unannotated_step_and_leading_dot_numbers():
    solution = ("He gets 30,000/30=<<30000/30=1000>>1,000 visits per day\n"
                "So that means he makes 1000*.01=$<<1000*.01=10>>10 per day\nShe keeps 10/4 = $2.5\n#### 2.5")
    program = notes_to_program(solution)
    assert program is not None and _run(program) == "2.5"


def test_no_notes_or_wrong_final_gives_none():
    assert notes_to_program("She has 5 apples.\n#### 5") is None
    assert notes_to_program("2+2 = <<2+2=4>>4\n#### 5") is None


def test_cot_removes_notes_and_states_answer():
    cot = gsm8k.cot_from_solution(NATALIA)
    assert "<<" not in cot and cot.endswith("The answer is 72.")


def test_gsm8k_adapter_rejects_bad_lines(tmp_path: Path):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"question": "q?", "answer": NATALIA}) + "\n{not json\n"
                    + json.dumps({"question": "no answer"}) + "\n")
    result = gsm8k.load(path)
    assert [e.rationale_type for e in result.examples] == ["cot", "pot"]
    assert sorted(r.reason for r in result.rejects) == ["corrupt_line", "missing_field"]
    assert any(":2" in r.detail for r in result.rejects)


def test_mathqa_formula_program_and_options():
    program = formula_to_program("subtract(const_1, power(divide(const_1, const_2), 3))", "problem with 3 digits")
    assert program is not None and float(_run(program)) == 0.875
    program = formula_to_program("divide(subtract(n2, multiply(n0, n1)), n3)",
                                 "in the first 10 overs the run rate was 6.2 ; target 282 in 40 overs")
    assert program is not None and float(_run(program)) == 5.5
    assert formula_to_program("unknown_op(n0)", "5 apples") is None
    assert formula_to_program("add(n5, n0)", "5 apples") is None  # n5 does not exist
    assert parse_options("a ) 24 , b ) 31 / 36 , c ) rs . 1 , 200") == [("A", "24"), ("B", "31 / 36"),
                                                                         ("C", "rs . 1 , 200")]
    assert option_value("31 / 36") == 31 / 36 and option_value("rs . 1 , 200") == 1200


def test_real_gsm8k_conversion_rate(train_dir):
    rows = [json.loads(line) for line in (train_dir / "gsm8k" / "train.jsonl").read_text().splitlines()]
    converted = sum(notes_to_program(r["answer"]) is not None for r in rows)
    assert converted / len(rows) >= 0.97  # acceptance: >= 97% with a verified PoT


def test_real_mathqa_adapter_reads_every_record(train_dir):
    result = mathqa.load(train_dir / "mathqa" / "dev.json", limit=200)
    ids = {e.id for e in result.examples} | {r.id for r in result.rejects}
    assert len(ids) == 200
