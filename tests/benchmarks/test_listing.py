"""``mammoth-math benchmarks``: the suites' sets, then the extra sets in no suite, from one library function."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.benchmarks import EXTRA_BENCHMARKS, SUITES, benchmark_rows
from mammoth_math.cli import main


def test_the_listing_shows_every_suite_set_then_the_extra_sets() -> None:
    rows = benchmark_rows()
    assert [r.name for r in rows] == [*SUITES["all"], *EXTRA_BENCHMARKS]
    (custom,) = [r for r in rows if r.name == "custom"]
    assert (custom.name, custom.paper_count, custom.loaded, custom.source) == ("custom", 0, None, "custom.jsonl")
    assert [r.name for r in benchmark_rows("modern")] == list(SUITES["modern"])  # a suite lists only its sets


def test_an_extra_set_loads_where_its_file_is_and_is_skipped_where_not(tmp_path: Path) -> None:
    (tmp_path / "custom.jsonl").write_text(json.dumps({"id": "a", "question": "1 + 1?", "gold": 2,
                                                       "kind": "number"}) + "\n", encoding="utf-8")
    (row,) = benchmark_rows("custom", tmp_path)
    assert row.loaded == 1 and row.ok  # no paper count: any count is right
    (row,) = benchmark_rows("custom", None)
    assert row.loaded is None
    with pytest.raises(FileNotFoundError):  # named on its own, a missing file is an error
        benchmark_rows("custom", tmp_path / "elsewhere")


def test_the_command_prints_the_library_rows(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["benchmarks", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in listed] == [*SUITES["all"], *EXTRA_BENCHMARKS] and "custom" in EXTRA_BENCHMARKS
    assert main(["benchmarks"]) == 0
    assert "custom.jsonl" in capsys.readouterr().out
