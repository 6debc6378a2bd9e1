"""The extra sets in no suite: ``custom``, your own Problem-shaped JSONL under a data dir, outside the paper's ten
and every suite, named on its own by ``--datasets``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.benchmarks import BENCHMARKS, EXTRA_BENCHMARKS, SUITES, get_benchmark, load_problems, resolve_datasets
from mammoth_math.files import InputError
from mammoth_math.grading import AnswerKind


def _write(root: Path, rows: list[dict]) -> None:
    (root / "custom.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_custom_rows_load_as_problems_with_gold_kind_options_and_meta(tmp_path: Path) -> None:
    _write(tmp_path, [
        {"id": "a", "question": "What is 2 + 3?", "gold": 5, "kind": "number", "family": "arithmetic"},
        {"id": "b", "question": "Find x and y.", "gold": "[1, 2]", "kind": "list"},
        {"id": "c", "question": "Pick.\nAnswer Choices: (A) 1 (B) 2", "gold": "(b)", "kind": "choice",
         "options": ["1", "2"]},
    ])
    problems = load_problems("custom", tmp_path)
    assert [(p.id, p.gold, p.kind) for p in problems] == [("custom/a", "5", AnswerKind.NUMBER),
                                                          ("custom/b", "[1, 2]", AnswerKind.LIST),
                                                          ("custom/c", "B", AnswerKind.CHOICE)]
    assert problems[0].meta == {"family": "arithmetic"} and problems[2].options == ("1", "2")
    assert "custom" not in BENCHMARKS and get_benchmark("custom").name == "custom"  # the paper's ten stay ten


@pytest.mark.parametrize(("row", "field"), [
    ({"id": "a", "question": "q", "gold": "1", "kind": "vector"}, "kind"),
    ({"id": "a", "question": "q", "kind": "number"}, "gold"),
    ({"id": "a", "question": "q", "gold": "B", "kind": "choice", "options": "A B"}, "options"),
])
def test_bad_custom_row_names_file_line_and_field(tmp_path: Path, row: dict, field: str) -> None:
    _write(tmp_path, [{"id": "ok", "question": "q", "gold": "1", "kind": "number"}, row])
    with pytest.raises(InputError) as err:
        load_problems("custom", tmp_path)
    assert (err.value.line, err.value.field) == (2, field) and err.value.path.endswith("custom.jsonl")


def test_extra_sets_resolve_by_name_and_belong_to_no_suite() -> None:
    assert "custom" in EXTRA_BENCHMARKS and get_benchmark("custom") is EXTRA_BENCHMARKS["custom"]
    assert resolve_datasets("custom") == ["custom"] and resolve_datasets("gsm8k,custom") == ["gsm8k", "custom"]
    assert not any(set(EXTRA_BENCHMARKS) & set(members) for members in SUITES.values())
    with pytest.raises(KeyError, match="known: .*comp_math_24_25, custom"):
        get_benchmark("nope")
