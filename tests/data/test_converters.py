"""The deterministic converters: GSM8K calculator notes and MathQA formulas become programs that run."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from mammoth_math.benchmarks.train_sets import TRAIN_SETS, parse_options
from mammoth_math.data.examples import Example
from mammoth_math.data.sources import SOURCES
from mammoth_math.data.sources.gsm8k import notes_to_program
from mammoth_math.data.sources.mathqa import (
    formula_to_program,
    option_value,
    problem_numbers,
)
from mammoth_math.data.verify import verify

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


def test_cot_removes_notes_and_states_answer(tmp_path: Path):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"question": "q?", "answer": NATALIA}) + "\n")
    ((_, item),) = TRAIN_SETS["gsm8k"].read(path)
    assert "<<" not in item.response and item.response.endswith("The answer is 72.")


def test_gsm8k_adapter_rejects_bad_lines(tmp_path: Path):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"question": "q?", "answer": NATALIA}) + "\n{not json\n"
                    + json.dumps({"question": "no answer"}) + "\n")
    result = SOURCES["gsm8k"](path)
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


def test_mathqa_numbers_are_counted_as_mathqa_counts_them():
    # "4,900" is one number; "21,36" is one token too, so "66" stays n2; ". 04" is the token "04"
    assert problem_numbers("a camp 4,900 ft away , 21,36 and 66 , $ 3.50 each , . 04 of it") == \
        ["4900", "2136", "66", "3.5", "4"]


def test_mathqa_linear_formula_refers_to_earlier_steps():
    program = formula_to_program("divide(n0,n1)|multiply(#0,const_100)|", "3 of 4 apples are red")
    assert program is not None and "t0 = divide(n0, n1)" in program and float(_run(program)) == 75.0
    assert formula_to_program("add(#1,n0)|add(n0,n0)|", "5 apples") is None  # #1 is not computed yet


def _value(formula: str, problem: str = "") -> float:
    program = formula_to_program(formula, problem)
    assert program is not None
    return float(_run(program))


def test_mathqa_operation_semantics_follow_the_reference_executor():
    assert _value("log(const_1000)") == pytest.approx(math.log2(1000))  # base 2: the formulas count doublings
    assert _value("gain_percent(n0)", "sold at a 20 % gain") == 120
    assert _value("loss_percent(n0)", "sold at a 20 % loss") == 80
    assert _value("count_interval(n1,n0)", "from 5 to 20") == 16
    assert _value("trapezium_area(n0,n1,n2)", "height 4 , sides 3 and 5") == 16
    # a work argument is a time (4 days) or a rate (a quarter of the job a day)
    assert _value("combined_work(n0,n1)", "4 days and 6 days") == pytest.approx(2.4)
    assert _value("combined_work(const_0_25,n1)", "4 days and 6 days") == pytest.approx(2.4)
    assert _value("find_work(n0,n1)", "together 4 days , alone 6 days") == pytest.approx(12)
    assert _value("permutation(n0,n1)", "2 of 5") == _value("permutation(n1,n0)", "2 of 5") == 20


def test_mathqa_option_values_read_as_written():
    cases = {"- 25": -25, "\u2212 7": -7, "$ - 5.4": -5.4, "16 2 / 3 %": 16 + 2 / 3, "4 : 25": 0.16,
             "10 ^ 20": 1e20, "8 \u03c0": 8 * math.pi, "9 pi feet": 9 * math.pi, "225 \u221a 3": 225 * math.sqrt(3),
             "\u221a 3": math.sqrt(3), "1 hr 6 min": 1.1, ". 5": 0.5, "s . 432": 432, "rs . 45": 45,
             "1 , 000 , 000": 1e6, "a ) 10,700": 10700, "29 sec .": 29}
    for text, want in cases.items():
        assert option_value(text) == pytest.approx(want), text
    assert option_value("none of these") is None and option_value("14 : 00") is None


def test_mathqa_ratio_option_verifies_the_quotient(runner):
    program = formula_to_program("divide(n0,n1)", "two circles with radii 2 and 5 ; ratio of radii ?")
    options = ("1 : 2", "2 : 5", "5 : 2", "4 : 25", "- 2 : 5")
    right = Example("mathqa", "mathqa/t1", "pot", "q", program, "B", "choice", options)
    wrong = Example("mathqa", "mathqa/t2", "pot", "q", program, "D", "choice", options)
    kept, rejects = verify([right, wrong], runner, progress=False)
    assert [e.id for e in kept] == ["mathqa/t1"] and [r.id for r in rejects] == ["mathqa/t2"]


def test_real_gsm8k_conversion_rate(train_dir):
    rows = [json.loads(line) for line in (train_dir / "gsm8k" / "train.jsonl").read_text().splitlines()]
    converted = sum(notes_to_program(r["answer"]) is not None for r in rows)
    assert converted / len(rows) >= 0.97  # acceptance: >= 97% with a verified PoT


def test_real_mathqa_adapter_reads_every_record(train_dir):
    result = SOURCES["mathqa"](train_dir / "mathqa" / "dev.json", limit=200)
    ids = {e.id for e in result.examples} | {r.id for r in result.rejects}
    assert len(ids) == 200


def test_real_mathqa_pot_verified_share(train_dir, runner):
    result = SOURCES["mathqa"](train_dir / "mathqa" / "dev.json", types=("pot",), limit=300)
    kept, _ = verify(result.examples, runner, progress=False)
    # 65% here, 67.5% of all 4,475: the rest are annotated formulas whose value is no option's or another option's
    assert len(kept) / 300 >= 0.64
