"""Bad benchmark files fail naming file, line and field; the hub path reshapes rows like the local files."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from mammoth_math.benchmarks import load_problems
from mammoth_math.benchmarks.scan import read_json_array
from mammoth_math.files import InputError


def _write(root: Path, rel: str, text: str) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_json_array_records_know_their_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, "a.json", '[\n  {"question": "q1",\n   "answer": "1"},\n  {"question": "q2", "answer": "2"}\n]\n')
    records = read_json_array(path)
    assert [(r.line, r.index, r.data["question"]) for r in records] == [(2, 0, "q1"), (4, 1, "q2")]


def test_bad_jsonl_line_names_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "gsm8k/gsm8k.jsonl", '{"question": "q", "answer": "x #### 1"}\n{"question": "q2", "answer": \n')
    with pytest.raises(InputError) as err:
        load_problems("gsm8k", tmp_path)
    assert err.value.line == 2 and err.value.path.endswith("gsm8k.jsonl")


def test_missing_field_names_file_line_and_field(tmp_path: Path) -> None:
    _write(tmp_path, "simuleq/simuleq.json", '[\n {"question": "a", "answer": "1"},\n {"question": "b"}\n]')
    with pytest.raises(InputError) as err:
        load_problems("simuleq", tmp_path)
    assert (err.value.line, err.value.field) == (3, "answer")
    assert "simuleq.json:3: field 'answer': missing" in str(err.value)


def test_wrong_types_and_values_are_named(tmp_path: Path) -> None:
    _write(tmp_path, "mmlu/mathematics.json", json.dumps([{"question": "q", "choices": ["1", "2"], "answer": 5}]))
    with pytest.raises(InputError, match="field 'answer': index 5 outside the 2 choices"):
        load_problems("mmlu_math", tmp_path)
    _write(tmp_path, "sat/sat.json", json.dumps([{"question": "q\nAnswer Choices: (A) 1 (B) 2", "answer": "Z"}]))
    with pytest.raises(InputError, match="field 'answer': expected an option letter among AB"):
        load_problems("sat", tmp_path)
    _write(tmp_path, "numglue/numglue.json", json.dumps([{"question": 3, "answer": 1}]))
    with pytest.raises(InputError, match="field 'question': expected str, got int"):
        load_problems("numglue", tmp_path)


def test_gsm8k_without_final_answer_and_math_without_box(tmp_path: Path) -> None:
    _write(tmp_path, "gsm8k/gsm8k.jsonl", '{"question": "q", "answer": "no marker"}\n')
    with pytest.raises(InputError, match="gsm8k.jsonl:1: field 'answer'"):
        load_problems("gsm8k", tmp_path)
    _write(tmp_path, "math/algebra/7.json", json.dumps({"problem": "p", "level": "Level 1", "type": "Algebra",
                                                        "solution": "no box here"}))
    with pytest.raises(InputError, match=r"7.json:1: field 'solution': no \\boxed"):
        load_problems("math", tmp_path)


def test_missing_file_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_problems("deepmind", tmp_path)


def test_hub_rows_go_through_the_same_converters(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: a stand-in ``datasets`` module returns rows shaped as the hub's MMLU and MATH rows."""
    calls: list[tuple[str, str | None, str]] = []

    def load_dataset(dataset_id: str, config: str | None = None, split: str = "test"):
        calls.append((dataset_id, config, split))
        if dataset_id == "cais/mmlu":
            return [{"question": f"{config}?", "subject": config, "choices": ["a", "b", "c", "d"], "answer": 1}]
        return [{"problem": "p", "level": "Level 2", "type": "Algebra", "solution": "so \\boxed{\\frac{1}{2}}"}]

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    mmlu = load_problems("mmlu_math")
    assert [c[1] for c in calls] == ["abstract_algebra", "college_mathematics", "elementary_mathematics",
                                     "formal_logic", "high_school_mathematics"]
    assert [p.gold for p in mmlu] == ["B"] * 5 and mmlu[0].question.endswith("Answer Choices: (A) a (B) b (C) c (D) d")
    math = load_problems("math", limit=2)
    assert [p.id for p in math] == ["math/algebra/0", "math/counting_and_probability/1"]
    assert calls[-1] == ("EleutherAI/hendrycks_math", "precalculus", "test")
