"""Flip/recovery arithmetic on hand-built records, the JSONL round trip, summary rows and the HTML section."""

from __future__ import annotations

import json

import pytest

from mammoth_math.evaluation import Attempt, Execution, ProblemRecord
from mammoth_math.probe import (
    CleverHans,
    ProbeRecord,
    SecondTurn,
    read_probe_records,
    report_section,
    score_probe,
)
from mammoth_math.files import InputError, JsonlAppender, write_json


def _record(i: int, before: bool | None, after: bool | None, path: str = "cot", wrong: str | None = "17",
            adopted: bool | None = None, hans: str | None = None) -> ProbeRecord:
    attempt = (Attempt("pot", "print(18)", "18", "program output", "print(18)", Execution("18\n", None, False, 0.1))
               if path == "pot" else Attempt("cot", "The answer is 18.", "18", "the answer is"))
    first = ProblemRecord(f"gsm8k/{i}", "gsm8k", i, f"<question {i}> 16 eggs", "18", "number", None, {}, "hybrid",
                          "prompt", [attempt], answer="18" if before else "5", path=path, correct=before,
                          error="HTTP 500" if before is None else None)
    second = None if before is None else SecondTurn(
        "pot" if path == "pot" else "cot", "prompt 2", None, answer="18" if after else "17", correct=after,
        error="HTTP 500" if after is None else None)
    return ProbeRecord(f"gsm8k/{i}", "gsm8k", i, "assert-wrong", wrong, first, second,
                       skipped="backend error in the first turn" if before is None else None, adopted=adopted,
                       clever_hans=CleverHans(hans, ["16"]) if hans else None)


RECORDS = [
    _record(0, True, True),
    _record(1, True, False, adopted=True),  # flip, to the asserted answer
    _record(2, True, False),  # flip, to something else
    _record(3, False, True),  # recovery
    _record(4, False, False, adopted=True),
    _record(5, True, None),  # second turn failed: not graded
    _record(6, None, None),  # first turn failed: not challenged
    _record(7, True, True, path="pot", hans="ok"),
    _record(8, True, False, path="pot", hans="insensitive"),
    _record(9, True, True, path="pot", hans="no-question-numbers"),
    _record(10, False, False, path="pot"),
    _record(11, True, True, path="pot", hans="n/a"),
]


def test_flip_and_recovery_arithmetic():
    scores = score_probe(RECORDS)
    s = scores["all"]
    assert (s.problems, s.challenged, s.graded, s.skipped) == (12, 11, 10, 1)
    assert (s.correct_before, s.correct_after, s.flips, s.recoveries) == (7, 5, 3, 1)
    assert s.correct_after == s.correct_before - s.flips + s.recoveries
    assert s.accuracy_before == pytest.approx(0.7) and s.accuracy_after == pytest.approx(0.5)
    assert s.flip_rate == pytest.approx(3 / 7) and s.recovery_rate == pytest.approx(1 / 3)
    assert (s.asserted, s.adopted, s.adoption_rate) == (10, 2, pytest.approx(0.2))
    assert (s.hans_checked, s.hans_flagged, s.clever_hans_rate) == (3, 2, pytest.approx(2 / 3))  # n/a not counted

    cot, pot = scores["cot"], scores["pot"]
    assert (cot.graded, cot.correct_before, cot.flips, cot.recoveries) == (5, 3, 2, 1)
    assert (pot.graded, pot.correct_before, pot.flips, pot.recoveries, pot.recovery_rate) == (5, 4, 1, 0, 0.0)
    assert pot.flip_rate == pytest.approx(1 / 4) and cot.clever_hans_rate is None


def test_undefined_rates_are_none_not_zero():
    s = score_probe([_record(0, False, False, wrong=None)])["all"]
    assert s.flip_rate is None and s.adoption_rate is None and s.recovery_rate == 0.0
    assert set(score_probe([_record(0, True, True)])) == {"all"}  # one path only: no split rows


def test_records_round_trip_through_jsonl(tmp_path):
    path = tmp_path / "gsm8k.jsonl"
    with JsonlAppender(path) as out:
        for r in RECORDS:
            out.write(r.to_dict())
    back = read_probe_records(path)
    assert back == RECORDS
    path.write_text(path.read_text() + '{"id": "x", "benchmark": "gsm8k", "ind')  # a torn tail is ignored
    assert len(read_probe_records(path)) == len(RECORDS)
    path.write_text('{"id": "x", "benchmark": "gsm8k", "index": 0, "challenge": "doubt"}\n')
    with pytest.raises(InputError, match="first"):
        read_probe_records(path)


def _probe_dir(out, records):
    run = out / "probe-assert-wrong-hybrid"
    write_json(run / "probe.json", {"run": run.name, "challenge": "assert-wrong", "mode": "hybrid",
                                    "benchmarks": {"gsm8k": {}}})
    with JsonlAppender(run / "gsm8k.jsonl") as f:
        for r in records:
            f.write(r.to_dict())
    return run


def test_summary_rows_and_html_section(tmp_path):
    empty = report_section(tmp_path)
    assert (empty.key, empty.rows, empty.html) == ("robustness", [], "")
    _probe_dir(tmp_path, RECORDS)
    section = report_section(tmp_path)
    rows = section.rows
    assert [(r["probe"], r["dataset"], r["subset"]) for r in rows] == [
        ("probe-assert-wrong-hybrid", "gsm8k", s) for s in ("all", "cot", "pot")]
    assert rows[0]["flip_rate"] == pytest.approx(3 / 7) and rows[0]["flips"] == 3
    json.dumps(rows)  # plain values, ready for results.json
    html = section.html
    assert html.startswith('<section id="robustness">') and html.endswith("</section>")
    assert "<script" not in html and "flip rate" in html.lower()
    assert "42.9" in html and "66.7" in html  # flip rate 3/7 and Clever Hans 2/3, in percent
    assert "&lt;question 1&gt;" in html and "<question" not in html  # problem text is escaped
    assert "Clever Hans programs" in html and "print(18)" in html
