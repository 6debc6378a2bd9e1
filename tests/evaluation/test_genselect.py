"""GenSelect: strict reply parsing, picks stored in the records and scored by report --select, resume, and a
tiny real model through the hf backend and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.backends import ScriptedBackend
from test_import import QWEN_ROWS

from mammoth_math.cli import main
from mammoth_math.evaluation import find_runs, read_problem_records
from mammoth_math.evaluation.genselect import genselect_prompt, genselect_run, parse_pick
from mammoth_math.evaluation.importing import import_files
from mammoth_math.evaluation.report import selection_rows


@pytest.mark.parametrize(("reply", "expected"), [
    ("Solution 1 is right.\nJudgment: 1", 1),
    ("Judgment: 0  \n", 0),
    ("Judgment: 3", None),  # out of range: 3 candidates shown
    ("Judgment: 1\nThat is all.", None),  # not the closing line
    ("Judgment: 1 or 2", None),
    ("judgment: 1", None),
    ("I choose solution 2.", None),
])
def test_only_a_closing_judgment_line_naming_a_shown_candidate_counts(reply: str, expected: int | None) -> None:
    assert parse_pick(reply, 3) == expected


def test_the_prompt_shows_each_candidates_final_part() -> None:
    prompt = genselect_prompt("What is 2+2?", ["x" * 1000 + " so \\boxed{4}", "short: \\boxed{5}"])
    assert "Solution 0:\n..." in prompt and "so \\boxed{4}" in prompt and "Solution 1:\nshort" in prompt
    assert "0 to 1" in prompt and len(prompt) < 1400


@pytest.fixture
def imported(tmp_path: Path) -> Path:
    import_files("qwen", [QWEN_ROWS], tmp_path, dataset="math")
    return tmp_path


def _source() -> list[dict]:
    return [json.loads(line) for line in QWEN_ROWS.read_text().splitlines()]


def test_picks_are_stored_scored_and_not_asked_again(imported: Path) -> None:
    backend = ScriptedBackend("Comparing them...\nJudgment: 1")
    (result,) = genselect_run(imported / "qwen", backend, 8)
    source = _source()
    disagree = [len(set(row["pred"])) > 1 for row in source]  # these rows' distinct strings are distinct values
    assert (result.asked, result.skipped, result.failures) == (sum(disagree), len(source) - sum(disagree), 0)
    records = read_problem_records(imported / "qwen" / "math.jsonl")
    assert [r.selections["genselect@8"]["pick"] for r in records] == [1 if d else 0 for d in disagree]
    # every candidate answered, so shown candidate 1 is sample 1; agreeing rows take the majority (sample 0)
    expected = sum(row["score"][1 if d else 0] for row, d in zip(source, disagree)) / len(source)
    (row,) = selection_rows(find_runs(imported), ["majority", "genselect"], [8])
    assert row["genselect@8"] == expected and row["genselect fallbacks"] == 0
    again = ScriptedBackend("Judgment: 0")
    genselect_run(imported / "qwen", again, 8)
    assert again.requests == []


def test_unparsable_replies_fall_back_to_the_majority(imported: Path) -> None:
    (result,) = genselect_run(imported / "qwen", ScriptedBackend("I like the second one."), 8)
    assert result.failures == result.asked > 0
    (row,) = selection_rows(find_runs(imported), ["majority", "genselect"], [8])
    assert row["genselect@8"] == row["majority@8"] and row["genselect fallbacks"] == result.asked
    record = next(r for r in read_problem_records(imported / "qwen" / "math.jsonl")
                  if r.selections["genselect@8"]["pick"] is None and "failure" in r.selections["genselect@8"])
    assert record.selections["genselect@8"]["reply"] == "I like the second one."


def test_a_tiny_real_model_selects_through_the_cli(imported: Path, tiny_model_dir: Path, capsys) -> None:
    assert main(["genselect", str(imported / "qwen"), "--k", "2", "--model", str(tiny_model_dir),
                 "--max-new-tokens", "6"]) == 0
    (result,) = json.loads(capsys.readouterr().out)
    assert result["asked"] > 0 and result["asked"] + result["skipped"] == 8
    picks = [r.selections.get("genselect@2") for r in read_problem_records(imported / "qwen" / "math.jsonl")]
    asked = [p for p in picks if p is not None and "skipped" not in p]
    # a prompt past the tiny model's context is a backend fault: nothing stored, a re-run asks again
    faults = picks.count(None)
    assert len(asked) + faults == result["asked"] and result["failures"] >= faults
    assert asked and all(p["model"] == str(tiny_model_dir) for p in asked)
    # an untrained model rarely writes a valid closing line: whatever it wrote is kept, and parsed strictly
    assert all((p["pick"] is None) == (p["failure"] is not None) and isinstance(p["reply"], str) for p in asked)
    assert main(["report", str(imported), "--select", "majority,genselect", "--pass-k", "2"]) == 0
    rows = json.loads((imported / "results.json").read_text())["selection"]
    assert "genselect@2" in rows[0]


def test_picks_name_shown_candidates_which_skip_samples_without_an_answer(tmp_path: Path) -> None:
    from test_import import _nemo_rows, _write

    files = [_write(tmp_path / f"output-rs{s}.jsonl", _nemo_rows(s)) for s in range(3)]
    import_files("nemo-skills", files, tmp_path / "out", dataset="toy")
    backend = ScriptedBackend("Judgment: 1")
    (result,) = genselect_run(tmp_path / "out" / "nemo-skills", backend, 3)
    assert (result.asked, result.skipped) == (2, 1)
    assert "Solution 2" not in backend.requests[0].prompt  # problem 0 shows its two answered samples only
    picks = [r.selections["genselect@3"] for r in read_problem_records(tmp_path / "out" / "nemo-skills" / "toy.jsonl")]
    # problem 0: "4", "5", no answer; problem 1: 1/2 written two ways and 1; problem 2: no answer at all
    assert [p["pick"] for p in picks] == [1, 1, None] and picks[2]["skipped"] == "no answer"
