"""The generic ``rationales`` source: one row with CoT and PoT gives two examples; bad rows become rejects."""

from __future__ import annotations

import json
from pathlib import Path

from mammoth_math.data import SOURCES, build, config_from_dict

PROGRAM = "boxes = 245\nper_box = 37\ntotal = boxes * per_box\nprint(total)\n"
GOOD = {"id": "p1", "source": "mine", "question": "245 boxes hold 37 cans each. How many cans?", "gold": "9065",
        "kind": "number", "cot": "The cans are 245 * 37 = 9065.\nThe answer is 9065.", "pot": PROGRAM}


def _write(path: Path, rows: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8")
    return path


def test_rows_become_cot_and_pot_examples_and_bad_rows_rejects(tmp_path: Path) -> None:
    choice = {"id": "p2", "question": "Pick.\nAnswer Choices: (A) 9065 (B) 9066", "gold": "A", "kind": "choice",
              "options": ["9065", "9066"], "pot": PROGRAM}
    path = _write(tmp_path / "r.jsonl", [GOOD, choice, "{not json", {"id": "p3", "question": "q", "kind": "number"},
                                         {"id": "p4", "question": "q", "gold": "1", "kind": "vector"}])
    got = SOURCES["rationales"](path)
    assert [(e.id, e.rationale_type, e.source) for e in got.examples] == [
        ("rationales/p1", "cot", "rationales:mine"), ("rationales/p1", "pot", "rationales:mine"),
        ("rationales/p2", "pot", "rationales")]
    assert got.examples[2].options == ("9065", "9066") and got.examples[2].kind == "choice"
    assert [r.reason for r in got.rejects] == ["corrupt_line", "missing_field", "bad_kind"]
    assert "r.jsonl:4" in got.rejects[1].detail and "'gold'" in got.rejects[1].detail
    assert [e.rationale_type for e in SOURCES["rationales"](path, ("pot",), limit=1).examples] == ["pot"]


def test_build_verifies_rationales_in_the_sandbox(tmp_path: Path) -> None:
    wrong = dict(GOOD, id="p9", question="Another question?", pot=PROGRAM.replace("37", "38"))
    path = _write(tmp_path / "r.jsonl", [GOOD, wrong])
    config = config_from_dict({"sources": [{"name": "rationales", "path": str(path)}], "eval_dir": None,
                               "formats": ["jsonl"], "workers": 1})
    result = build(config, tmp_path / "out", progress=False)
    rows = [json.loads(line) for line in (tmp_path / "out" / "data.jsonl").read_text().splitlines()]
    assert result.rows == 3 and sorted((r["id"], r["rationale_type"]) for r in rows) == [
        ("rationales/p1", "cot"), ("rationales/p1", "pot"), ("rationales/p9", "cot")]
    rejects = [json.loads(line) for line in (tmp_path / "out" / "rejects.jsonl").read_text().splitlines()]
    assert [(r["id"], r["reason"]) for r in rejects] == [("rationales/p9", "wrong_answer")]
