"""The eleven modern sets load from ../shared/data/eval-modern with the README's counts, kinds and quirks handled;
suites resolve; bad rows name file, line and field; hub rows go through the same converters."""

from __future__ import annotations

import json
import sys
import types
from collections import Counter
from pathlib import Path

import pytest
from helpers.benchmark_checks import check_loads

from mammoth_math.benchmarks import (
    BENCHMARKS,
    MODERN_BENCHMARKS,
    SUITES,
    Sampling,
    get_benchmark,
    load_problems,
    resolve_datasets,
)
from mammoth_math.files import InputError
from mammoth_math.grading.kinds import AnswerKind as K

README_COUNTS = {"aime24": 30, "aime25": 30, "comp_math_24_25": 256, "amc23": 40, "math500": 500,
                 "olympiadbench": 675, "minerva_math": 272, "gaokao2023en": 385, "college_math": 2818,
                 "mmlu_stem": 3018, "gsm_hard": 1319}


def test_registry_holds_the_eleven_with_the_readme_counts() -> None:
    assert {name: spec.expected_count for name, spec in MODERN_BENCHMARKS.items()} == README_COUNTS
    assert all(spec.version >= 1 and spec.description for spec in MODERN_BENCHMARKS.values())
    assert not set(MODERN_BENCHMARKS) & set(BENCHMARKS)


@pytest.mark.parametrize("name", sorted(README_COUNTS))
def test_each_set_loads_with_its_count(modern_dir: Path, name: str) -> None:
    check_loads(name, modern_dir, README_COUNTS[name])


def test_the_mammoth_eval_dir_finds_the_modern_sets_beside_it(eval_dir: Path, modern_dir: Path) -> None:
    assert [p.id for p in load_problems("aime24", eval_dir)] == [p.id for p in load_problems("aime24", modern_dir)]


def test_aime_golds_are_integers_without_leading_zeros(modern_dir: Path) -> None:
    for name in ("aime24", "aime25"):
        problems = load_problems(name, modern_dir)
        assert {p.kind for p in problems} == {K.NUMBER}
        assert all(p.gold.isdigit() and 0 <= int(p.gold) <= 999 and str(int(p.gold)) == p.gold for p in problems)
    aime24 = load_problems("aime24", modern_dir)
    assert next(p for p in aime24 if p.meta.get("raw_gold") == "023").gold == "23"
    assert load_problems("aime25", modern_dir, limit=1)[0].gold == "70"
    assert load_problems("amc23", modern_dir, limit=1)[0].gold == "27"  # 27.0 in the file


def test_math500_keeps_prm800k_ids_and_the_math_grader(modern_dir: Path) -> None:
    first = load_problems("math500", modern_dir, limit=1)[0]
    assert first.id == "math500/precalculus/807" and first.kind is K.EXPRESSION
    assert first.gold == "\\left( 3, \\frac{\\pi}{2} \\right)" and first.meta["level"] == 2
    assert get_benchmark("math500").kind is get_benchmark("math").kind


def test_olympiadbench_answers_kinds_and_units(modern_dir: Path) -> None:
    problems = load_problems("olympiadbench", modern_dir)
    assert Counter(p.kind for p in problems) == {K.NUMBER: 369, K.EXPRESSION: 214, K.LIST: 92}
    by_id = {p.id: p for p in problems}
    several = next(p for p in problems if p.meta["answer_type"] == "Numerical" and p.kind is K.LIST)
    assert several.gold.startswith("{")  # several answers: an unordered set
    tuples = [p for p in problems if p.gold.startswith("{(")]
    assert tuples and all(p.meta["answer_type"] == "Tuple" for p in tuples)
    with_unit = [p for p in problems if p.meta.get("unit")]
    assert len(with_unit) == 8
    assert all(p.meta["unit"] not in p.gold for p in with_unit if p.meta["unit"] not in ("min",))
    assert by_id["olympiadbench/1606"].gold == "2" and by_id["olympiadbench/1606"].kind is K.NUMBER


def test_minerva_gold_is_the_last_boxed(modern_dir: Path) -> None:
    problems = load_problems("minerva_math", modern_dir)
    assert [p.gold for p in problems[:2]] == ["1.6", str(45 * 10**32)]  # "4.5e33": a number, graded as one
    assert problems[1].kind is K.NUMBER and problems[1].meta["raw_gold"] == "4.5e33"
    assert problems[0].meta["type"].startswith("Introduction to Astronomy")
    assert Counter(p.kind for p in problems) == {K.NUMBER: 187, K.EXPRESSION: 84, K.LIST: 1}


def test_free_form_golds_lose_dollars_units_and_joined_answers(modern_dir: Path) -> None:
    gaokao = {p.meta.get("raw_gold"): p for p in load_problems("gaokao2023en", modern_dir)}
    assert gaokao["$36\\sqrt{7}cm^{3}$"].gold == "36\\sqrt{7}"
    assert gaokao["$145$solution:"].gold == "145" and gaokao["$145$solution:"].kind is K.NUMBER
    several = gaokao["$2$ or $-2$ or $\\frac{1}{2}$ or $-\\frac{1}{2}$"]
    assert several.kind is K.LIST and several.gold == "{2, -2, 0.5, -0.5}"
    comp = {p.meta.get("raw_gold"): p for p in load_problems("comp_math_24_25", modern_dir)}
    assert comp["$3 \\sqrt{6}$."].gold == "3 \\sqrt{6}"


def test_gaokao_choice_rows_and_leaked_answers(modern_dir: Path) -> None:
    problems = load_problems("gaokao2023en", modern_dir)
    assert Counter(p.kind for p in problems) == {K.NUMBER: 215, K.EXPRESSION: 122, K.CHOICE: 38, K.LIST: 6,
                                                 K.TEXT: 4}
    leaked = problems[167]  # line 168: empty answer, "answers: $\frac{3}{10}$" at the end of the question
    assert leaked.gold == "\\frac{3}{10}" and not leaked.question.rstrip().endswith("$")
    sat = problems[192]  # line 193: "...Answer: A" with options inline
    assert sat.gold == "A" and sat.kind is K.CHOICE and len(sat.options) == 4
    assert problems[0].gold == "\\{x|-2\\leq x < 1\\}"


def test_college_math_marks_its_explanation_golds(modern_dir: Path) -> None:
    problems = load_problems("college_math", modern_dir)
    assert sum(bool(p.meta.get("multi_sentence")) for p in problems) == 113
    # issue 28: units after numbers and thousands separators no longer make 18 expressions and 4 lists of numbers
    assert Counter(p.kind for p in problems) == {K.EXPRESSION: 2001, K.LIST: 349, K.NUMBER: 325, K.TEXT: 143}
    assert problems[0].gold == "10-4 n" and problems[0].meta["topic"] == "college_math.algebra"
    assert problems[3].kind is K.LIST  # "$35,36,37$": three answers


def test_mmlu_stem_is_four_letter_options(modern_dir: Path) -> None:
    problems = load_problems("mmlu_stem", modern_dir)
    assert {len(p.options) for p in problems} == {4} and {p.gold for p in problems} == set("ABCD")
    assert problems[0].gold == "C" and problems[0].question.endswith("(D) increase the mortality rate")
    assert problems[0].meta["subject"] == "college_biology"


def test_gsm_hard_keeps_large_and_fractional_targets(modern_dir: Path) -> None:
    problems = load_problems("gsm_hard", modern_dir)
    assert problems[0].gold == "-9867630" and problems[0].kind is K.NUMBER
    assert problems[7].gold == "3244047.0999999996"
    assert get_benchmark("gsm_hard").rel_tol == get_benchmark("gsm8k").rel_tol


def test_comp_math_keeps_its_subsets(modern_dir: Path) -> None:
    problems = load_problems("comp_math_24_25", modern_dir)
    assert Counter(p.meta["subset_for_metrics"] for p in problems) == {"hmmt-24-25": 196, "aime25": 30,
                                                                       "aime24": 30}
    assert get_benchmark("comp_math_24_25").subset_field == "subset_for_metrics"


def test_sampling_defaults() -> None:
    competition = Sampling(n=16, temperature=0.6, top_p=0.95)
    for name in ("aime24", "aime25", "amc23", "comp_math_24_25"):
        assert get_benchmark(name).sampling == competition
    assert get_benchmark("math500").sampling == Sampling() == get_benchmark("gsm8k").sampling
    assert Sampling().n == 1 and Sampling().temperature == 0.0
    with pytest.raises(ValueError, match="bad sampling"):
        Sampling(n=0)


def test_hub_ids_are_named_where_a_public_copy_exists() -> None:
    hub = {name: spec.hub_id for name, spec in MODERN_BENCHMARKS.items()}
    assert hub["math500"] == "HuggingFaceH4/MATH-500" and hub["gsm_hard"] == "reasoning-machines/gsm-hard"
    assert hub["college_math"] is None and hub["comp_math_24_25"] is None
    assert all(spec.load_hub is not None for spec in MODERN_BENCHMARKS.values() if spec.hub_id)


# --- suites ------------------------------------------------------------------------------------

def test_suites_and_resolve_datasets() -> None:
    assert SUITES["mammoth"] == tuple(BENCHMARKS) and len(SUITES["modern"]) == 11
    assert SUITES["all"] == SUITES["mammoth"] + SUITES["modern"]
    assert resolve_datasets("modern,gsm8k") == [*SUITES["modern"], "gsm8k"]
    assert resolve_datasets("gsm8k, mmlu ,gsm8k,mammoth")[:2] == ["gsm8k", "mmlu_math"]
    assert len(resolve_datasets("gsm8k,mammoth")) == 10
    assert resolve_datasets(["aime24", "all"]) == ["aime24", *[n for n in SUITES["all"] if n != "aime24"]]
    assert resolve_datasets("custom") == ["custom"]
    with pytest.raises(KeyError, match="unknown benchmark 'nope'"):
        resolve_datasets("modern,nope")
    with pytest.raises(ValueError, match="no benchmarks"):
        resolve_datasets(" , ")


def test_cli_lists_and_counts_the_modern_sets(eval_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mammoth_math.cli import main

    assert main(["benchmarks", "--data-dir", str(eval_dir), "--datasets", "modern", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {name: r["loaded"] for name, r in rows.items()} == README_COUNTS


# --- malformed rows ----------------------------------------------------------------------------

def _write(root: Path, name: str, text: str) -> None:
    path = root / name / "test.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(("name", "bad", "field", "message"), [
    ("aime24", {"id": 1, "problem": "p", "answer": "1000"}, "answer", "integer from 0 to 999"),
    ("aime25", {"id": "a", "problem": "p"}, "expected_answer", "missing"),
    ("amc23", {"id": 1, "problem": "p", "answer": "many"}, "answer", "not a valid number"),
    ("math500", {"problem": "p", "answer": "1"}, "unique_id", "missing"),
    ("olympiadbench", {"id": 1, "question": "q", "final_answer": [], "answer_type": "Numerical",
                       "is_multiple_answer": False}, "final_answer", "non-empty list"),
    ("olympiadbench", {"id": 1, "question": "q", "final_answer": ["1"], "answer_type": "Proof",
                       "is_multiple_answer": False}, "answer_type", "expected one of"),
    ("minerva_math", {"problem": "p", "solution": "no box", "type": "t", "idx": 0}, "solution", "no \\\\boxed"),
    ("gaokao2023en", {"question": 3, "answer": "1"}, "question", "expected str"),
    ("college_math", {"question": "q", "answer": ""}, "answer", "empty answer"),
    ("mmlu_stem", {"question": "q", "choices": ["a", "b"], "answer": 0}, "choices", "four strings"),
    ("mmlu_stem", {"question": "q", "choices": ["a", "b", "c", "d"], "answer": 4}, "answer", "outside the 4"),
    ("gsm_hard", {"input": "q", "target": "12"}, "target", "expected int or float"),
    ("comp_math_24_25", {"id": "x", "problem": "p", "expected_answer": "3"}, "subset_for_metrics", "missing"),
    ("comp_math_24_25", {"id": "x", "problem": "p", "expected_answer": "$ $", "subset_for_metrics": "a"},
     "expected_answer", "empty answer"),
    ("minerva_math", {"problem": "p", "solution": "so \\boxed{}", "idx": 0}, "solution", "empty answer"),
])
def test_a_malformed_row_names_file_line_and_field(tmp_path: Path, name: str, bad: dict, field: str,
                                                   message: str) -> None:
    _write(tmp_path, name, "\n" + json.dumps(bad) + "\n")  # a blank first line: the row is on line 2
    with pytest.raises(InputError, match=message) as err:
        load_problems(name, tmp_path)
    assert (err.value.line, err.value.field) == (2, field)
    assert err.value.path.endswith(f"{name}/test.jsonl")


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="aime24"):
        load_problems("aime24", tmp_path)


def test_hub_rows_go_through_the_same_converters(monkeypatch: pytest.MonkeyPatch) -> None:
    """No network: a stand-in ``datasets`` returns rows shaped as those hub copies are."""
    rows = {
        "math-ai/aime25": [{"problem": "p", "answer": "070", "id": "0"}],
        "math-ai/minervamath": [{"question": "q", "answer": "1.6"}],
        "TIGER-Lab/MMLU-STEM": [{"question": "q", "choices": ["a", "b", "c", "d"], "answer": 1, "subject": "s"}],
        "reasoning-machines/gsm-hard": [{"input": "q", "code": "", "target": 2.5}],
    }
    calls: list[tuple[str, str | None, str]] = []

    def load_dataset(dataset_id: str, config: str | None = None, split: str = "test"):
        calls.append((dataset_id, config, split))
        return rows[dataset_id]

    monkeypatch.setitem(sys.modules, "datasets", types.SimpleNamespace(load_dataset=load_dataset))
    assert load_problems("aime25")[0].gold == "70"
    assert load_problems("minerva_math")[0].gold == "1.6"
    mmlu = load_problems("mmlu_stem")[0]
    assert (mmlu.gold, mmlu.meta["subject"]) == ("B", "s")
    assert load_problems("gsm_hard")[0].gold == "2.5"
    assert calls[-1] == ("reasoning-machines/gsm-hard", None, "train")
    with pytest.raises(ValueError, match="no public hub copy"):
        load_problems("college_math")
