"""`mammoth-math grade` and `mammoth-math regrade` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.cli import main
from mammoth_math.files import write_jsonl


def test_grade_prints_verdict_and_extraction(capsys) -> None:
    assert main(["grade", "--pred", "So 48/2 = 24.\nThe answer is $1,363.", "--gold", "1363.0"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["correct"] is True and out["mode"] == "strict" and out["gold"] == "1363"
    assert out["extraction"] == {"answer": "1363", "rule": "the answer is", "span": "$1,363"}


def test_grade_mammoth_mode_and_choice_options(capsys) -> None:
    assert main(["grade", "--pred", "The answer is 1363", "--gold", "1363.0", "--grading", "mammoth"]) == 0
    assert json.loads(capsys.readouterr().out)["correct"] is True  # gold normalised first: "1363" == "1363"
    assert main(["grade", "--pred", "The answer is 18 km", "--gold", "(c)", "--kind", "choice",
                 "--options", "12", "15", "18 km"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["correct"] is True and out["extraction"]["rule"] == "the answer is, option text"


def test_grading_mode_is_grading_not_mode(capsys) -> None:
    """--mode is the decoding strategy (eval, probe); grade and regrade name the grading mode --grading, as eval."""
    for argv in (["grade", "--pred", "1", "--gold", "1"], ["regrade", "x.jsonl", "--pred-key", "p", "--gold-key", "g"]):
        with pytest.raises(SystemExit) as exit_:
            main([*argv, "--mode", "mammoth"])
        assert exit_.value.code == 2 and "unrecognized arguments: --mode mammoth" in capsys.readouterr().err


def test_grade_rejects_a_bad_gold(capsys) -> None:
    assert main(["grade", "--pred", "yes", "--gold", "maybe", "--kind", "bool"]) == 2
    assert "not a boolean" in capsys.readouterr().err


def test_regrade_writes_verdicts_and_prints_accuracy(tmp_path: Path, capsys) -> None:
    src = tmp_path / "outputs.jsonl"
    write_jsonl(src, [
        {"id": 1, "output": "3 * 6 = 18\nThe answer is 18.", "gold": "18"},
        {"id": 2, "output": "#### 100001", "gold": 100000},
        {"id": 3, "output": "print -> 18.000000000000004", "gold": "18.0"},
        {"id": 4, "output": None, "gold": "4"},
    ])
    out = tmp_path / "graded.jsonl"
    assert main(["regrade", str(src), "--pred-key", "output", "--gold-key", "gold", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["rows"] == 4 and summary["correct"] == 2 and summary["accuracy"] == 0.5
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["grading"]["correct"] for r in rows] == [True, False, True, False]
    assert rows[0]["grading"]["rule"] == "the answer is" and rows[0]["id"] == 1


def test_regrade_names_file_line_and_field(tmp_path: Path, capsys) -> None:
    src = tmp_path / "bad.jsonl"
    src.write_text('{"output": "1", "gold": "1"}\n{"output": "2"}\n')
    assert main(["regrade", str(src), "--pred-key", "output", "--gold-key", "gold"]) == 2
    err = capsys.readouterr().err
    assert f"{src}:2" in err and "'gold'" in err
    assert not (tmp_path / "bad.graded.jsonl").exists()


@pytest.mark.parametrize("kind_value", ["choice", "bogus"])
def test_regrade_per_row_kind(tmp_path: Path, capsys, kind_value: str) -> None:
    src = tmp_path / "rows.jsonl"
    write_jsonl(src, [{"pred": "(B)", "gold": "B", "kind": kind_value}])
    code = main(["regrade", str(src), "--pred-key", "pred", "--gold-key", "gold", "--kind-key", "kind", "--answers"])
    if kind_value == "bogus":
        assert code == 2 and "unknown answer kind" in capsys.readouterr().err
    else:
        assert code == 0 and json.loads(capsys.readouterr().out)["correct"] == 1
