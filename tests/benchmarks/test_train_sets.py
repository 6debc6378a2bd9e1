"""The training-file readers share one opening loop: one meaning of ``limit``, bad records kept as BadRecords
that name file, line and field, and the rest read on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.benchmarks.scan import BadRecord, Record, open_records, scan_json_array, scan_jsonl
from mammoth_math.benchmarks.train_sets import TRAIN_SETS, TrainItem

NATALIA = ("Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
           "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 1,072")


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _by_line(rec: Record | BadRecord) -> str:
    return f"t/{rec.line}"


def test_a_bad_line_is_kept_as_a_bad_record_and_reading_goes_on(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.jsonl", '{"q": "a"}\n{broken\n\n[1, 2]\n{"q": "b"}\n')
    got = list(open_records(scan_jsonl(path), _by_line))
    assert [(item_id, type(rec).__name__) for item_id, rec in got] == [
        ("t/1", "Record"), ("t/2", "BadRecord"), ("t/4", "BadRecord"), ("t/5", "Record")]
    bad = got[1][1]
    assert isinstance(bad, BadRecord) and bad.reason == "corrupt_line"
    assert (bad.error.path, bad.error.line) == (str(path), 2) and str(bad.error).startswith(f"{path}:2:")
    assert got[2][1].reason == "corrupt_line" and "expected a JSON object, got list" in str(got[2][1].error)


def test_missing_or_empty_fields_name_file_line_and_field(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.json", '[\n {"q": "a", "a": 1},\n {"q": ""},\n {"a": 2, "q": null}\n]\n')
    got = [rec for _, rec in open_records(scan_json_array(path), _by_line, required=("q", "a"))]
    assert isinstance(got[0], Record) and got[0].line == 2
    assert [(r.reason, r.error.line, r.error.field) for r in got[1:]] == [("missing_field", 3, "q"),
                                                                          ("missing_field", 4, "q")]
    assert f"{path}:3: field 'q': missing or empty" == str(got[1].error)


def test_limit_counts_the_first_records_read_bad_ones_included(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.jsonl", '{"q": "a"}\n{broken\n{"q": "c"}\n{"q": "d"}\n')
    assert [i for i, _ in open_records(scan_jsonl(path), _by_line, limit=2)] == ["t/1", "t/2"]
    assert [i for i, _ in open_records(scan_jsonl(path), _by_line, limit=0)] == []
    assert len(list(open_records(scan_jsonl(path), _by_line, limit=None))) == 4


def test_a_json_array_that_breaks_off_ends_in_one_corrupt_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "t.json", '[\n {"q": "a"},\n 7,\n {"q": \n')
    got = list(scan_json_array(path))
    assert [(type(r).__name__, getattr(r, "reason", None), r.line) for r in got] == [
        ("Record", None, 2), ("BadRecord", "corrupt_line", 3), ("BadRecord", "corrupt_file", 5)]
    not_array = _write(tmp_path / "o.json", '{"q": "a"}')
    (only,) = scan_json_array(not_array)
    assert only.reason == "corrupt_file" and "expected a JSON array" in str(only.error)


def test_every_training_set_reads_limit_the_same_way(tmp_path: Path) -> None:
    """The first N records of the set's files, readable or not: NumGLUE counts across its files too."""
    gsm8k = _write(tmp_path / "gsm8k.jsonl", "{oops\n" + json.dumps({"question": "q", "answer": NATALIA}) + "\n"
                   + json.dumps({"question": "q2", "answer": NATALIA}) + "\n")
    assert [i for i, _ in TRAIN_SETS["gsm8k"].read(gsm8k, limit=2)] == ["gsm8k/1", "gsm8k/2"]
    numglue = tmp_path / "numglue"
    _write(numglue / "Type_1" / "type1.json", json.dumps([{"question": "1+1?", "answer": 2}, {"question": "x"}]))
    _write(numglue / "Type_2" / "type2.json", json.dumps([{"question": "2+2?", "answer": 4}]))
    got = list(TRAIN_SETS["numglue"].read(numglue, limit=3))
    assert [i for i, _ in got] == ["numglue/type1/0", "numglue/type1/1", "numglue/type2/0"]
    assert isinstance(got[1][1], BadRecord) and got[1][1].error.field == "answer"
    assert [i for i, _ in TRAIN_SETS["numglue"].read(numglue, limit=1)] == ["numglue/type1/0"]


def test_a_set_s_own_checks_are_bad_records_too(tmp_path: Path) -> None:
    path = _write(tmp_path / "theoremqa.json", json.dumps([
        {"Question": "Is 7 prime?", "Answer": True, "Answer_type": "bool"},
        {"Question": "q", "Answer": 1, "Answer_type": "matrix"},
        {"Question": "q", "Answer": 1, "Answer_type": "integer", "Picture": "p.png"}], indent=1))
    got = [rec for _, rec in TRAIN_SETS["theoremqa"].read(path)]
    assert isinstance(got[0], TrainItem) and (got[0].gold, got[0].kind.value) == ("True", "bool")
    assert [(r.reason, r.error.field) for r in got[1:]] == [("unknown_answer_type", "Answer_type"),
                                                            ("needs_picture", "Picture")]


@pytest.mark.parametrize("answer", ["#### 1,072", "#### 1072"])
def test_gsm8k_item_is_the_training_row(tmp_path: Path, answer: str) -> None:
    path = _write(tmp_path / "g.jsonl", json.dumps({"question": " How many? ", "answer": NATALIA[:-10] + answer}))
    ((item_id, item),) = TRAIN_SETS["gsm8k"].read(path)
    assert item_id == "gsm8k/1" and item.question == "How many?" and item.gold == "1072"
    assert item.response == ("Natalia sold 48/2 = 24 clips in May.\nNatalia sold 48+24 = 72 clips altogether in "
                             "April and May.\nThe answer is 1072.")
