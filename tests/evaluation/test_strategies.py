"""Decoding strategies as units: a throwaway strategy defined here alone runs through eval, report and HTML,
and the probe's second turn reads programs exactly as its first (``ans = 6*7`` answers 42 in both).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.backends import ScriptedBackend

from mammoth_math.benchmarks import Problem
from mammoth_math.evaluation import STRATEGIES, Attempt, EvalConfig, Turn, build_report, evaluate, read_problem_records
from mammoth_math.evaluation.strategies import Generator, Solution
from mammoth_math.probe import ProbeConfig, probe, read_probe_records

PROBLEMS = [("Tom has 5 apples and buys 7 more. How many apples does he have?", 12),
            ("A box holds 6 rows of 7 eggs. How many eggs are in the box?", 42)]


@dataclass(frozen=True)
class LastWord:
    """A throwaway strategy: ask for a rationale, answer with the number of words it has."""

    name: str = "last-word"
    prompts: tuple[str, ...] = ("cot",)
    needs_sandbox: bool = False

    def solve(self, problems: Sequence[Problem], generator: Generator, sandbox: Any, grader: Any) -> list[Solution]:
        prompts = [generator.prompt(p, "cot") for p in problems]
        solutions = []
        for prompt, c in zip(prompts, generator.generate(prompts, [1] * len(prompts))):
            solution = Solution(prompt)
            solution.add(c, [Attempt(self.name, text, str(len(text.split())), "word count",
                                     turns=[Turn("Count the words.", "len(text.split())", str(len(text.split())))])
                             for text in c.texts])
            solutions.append(solution)
        return solutions


def _data(tmp_path: Path) -> Path:
    (tmp_path / "data" / "gsm8k").mkdir(parents=True)
    rows = [{"question": q, "answer": f"Working.\n#### {gold}"} for q, gold in PROBLEMS]
    (tmp_path / "data" / "gsm8k" / "gsm8k.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return tmp_path / "data"


def test_a_strategy_defined_here_runs_through_eval_report_and_html(tmp_path, monkeypatch):
    monkeypatch.setitem(STRATEGIES, "last-word", LastWord())
    data, out = _data(tmp_path), tmp_path / "out"
    backend = ScriptedBackend("one two three four five six seven eight nine ten eleven twelve")
    config = EvalConfig("scripted", ["gsm8k"], str(out), mode="last-word", data_dir=str(data), progress=False)
    score = evaluate(config, backend)["gsm8k"]
    assert (score.problems, score.correct, score.paths) == (2, 1, {"last-word": 2})
    records = read_problem_records(out / "last-word" / "gsm8k.jsonl")
    assert [(r.mode, r.path, r.answer, r.correct) for r in records] == [
        ("last-word", "last-word", "12", True), ("last-word", "last-word", "12", False)]
    assert records[0].prompt == backend.requests[0].prompt
    assert records[0].attempts[0].turns == [Turn("Count the words.", "len(text.split())", "12")]

    report = build_report(out)
    assert report.runs == ["last-word"] and report.table[0] == {"dataset": "gsm8k", "last-word": 0.5}
    html = Path(report.html).read_text()
    assert '"runs": ["last-word"]' in html and '"path": "last-word"' in html
    assert '"code": "len(text.split())"' in html  # a multi-step attempt's steps reach the page


def test_a_program_answering_through_ans_scores_in_both_probe_turns(tmp_path, sandbox):
    """A PoT program that ends with ``ans = 6*7`` (no print) answers 42 in the first turn and the second."""
    data = _data(tmp_path)
    config = ProbeConfig("scripted", ["gsm8k"], str(tmp_path / "out"), challenge="doubt", mode="pot",
                         data_dir=str(data), chat=False, clever_hans=False, progress=False)
    probe(config, ScriptedBackend("ans = 6*7"), sandbox)
    first, second = read_probe_records(tmp_path / "out" / "probe-doubt-pot" / "gsm8k.jsonl")
    assert (first.first.correct, first.second.correct) == (False, False)  # gold 12
    assert (second.first.answer, second.first.correct) == ("42", True)
    assert second.second.attempt.execution.answer == "42" and second.second.attempt.failure is None
    assert (second.second.answer, second.second.correct) == ("42", True)
