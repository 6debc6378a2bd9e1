"""The ten MAmmoTH benchmarks load from ../shared/data/eval with the paper's counts and correct golds."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers.benchmark_checks import check_loads

from mammoth_math.benchmarks import BENCHMARKS, get_benchmark, load_problems
from mammoth_math.grading.kinds import AnswerKind as K

PAPER_COUNTS = {"gsm8k": 1319, "math": 5000, "aqua": 254, "numglue": 1042, "svamp": 1000, "deepmind": 1000,
                "simuleq": 514, "sat": 220, "mmlu_math": 974, "theoremqa": 800}


def test_registry_holds_the_ten_benchmarks_with_the_papers_counts() -> None:
    assert {name: spec.expected_count for name, spec in BENCHMARKS.items()} == PAPER_COUNTS


@pytest.mark.parametrize("name", sorted(PAPER_COUNTS))
def test_each_benchmark_loads_with_the_papers_count(eval_dir: Path, name: str) -> None:
    check_loads(name, eval_dir, PAPER_COUNTS[name])


def test_ids_are_stable_across_loads(eval_dir: Path) -> None:
    first, second = load_problems("math", eval_dir), load_problems("math", eval_dir)
    assert [p.id for p in first] == [p.id for p in second]
    assert first[0].id == "math/algebra/1" and first[0].gold == "2"
    assert first[0].meta == {"level": "Level 3", "type": "Algebra"}


def test_gsm8k_gold_is_the_number_after_the_hashes(eval_dir: Path) -> None:
    p = load_problems("gsm8k", eval_dir, limit=1)[0]
    assert p.question.startswith("Janet\u2019s ducks lay 16 eggs") and p.gold == "18" and p.kind is K.NUMBER


def test_multiple_choice_layouts_follow_mammoth(eval_dir: Path) -> None:
    aqua = load_problems("aqua", eval_dir, limit=1)[0]
    assert aqua.question.endswith("\nAnswer Choices: (A) 5 (\u221a3 + 1)  (B) 6 (\u221a3 + \u221a2)  (C) 7 (\u221a3 \u2013 1)  "
                                  "(D) 8 (\u221a3 \u2013 2)  (E) None of these")
    assert aqua.options == ("5(\u221a3 + 1)", "6(\u221a3 + \u221a2)", "7(\u221a3 \u2013 1)", "8(\u221a3 \u2013 2)", "None of these")
    assert aqua.gold == "A"
    mmlu = load_problems("mmlu_math", eval_dir, limit=1)[0]
    assert mmlu.question == "What is the value of p in 24 = 2p?\nAnswer Choices: (A) p = 4 (B) p = 8 (C) p = 12 (D) p = 24"
    assert mmlu.gold == "C" and mmlu.options == ("p = 4", "p = 8", "p = 12", "p = 24")
    assert mmlu.meta["subject"] == "elementary_mathematics"
    sat = load_problems("sat", eval_dir)
    assert {len(p.options or ()) for p in sat} == {4}
    assert sat[0].options == ("2", "4", "9", "10") and sat[0].gold == "D"


def test_mixed_kind_benchmarks_give_each_problem_its_kind(eval_dir: Path) -> None:
    numglue = load_problems("numglue", eval_dir)
    kinds = Counter(p.kind for p in numglue)
    assert kinds[K.CHOICE] == 162 and kinds[K.TEXT] == 3 and kinds[K.NUMBER] == 1042 - 165
    assert sorted(p.gold for p in numglue if p.kind is K.TEXT) == ["August", "Friday", "October"]
    assert next(p for p in numglue if p.kind is K.CHOICE).options == ("web", "tree")
    theorem = load_problems("theoremqa", eval_dir)
    assert Counter(p.kind for p in theorem) == {K.NUMBER: 593, K.BOOL: 116, K.LIST: 73, K.CHOICE: 18}
    assert get_benchmark("theoremqa").rel_tol == 0.04
    fisher = next(p for p in theorem if p.kind is K.CHOICE)
    assert fisher.gold == "C" and len(fisher.options) == 4 and fisher.meta["answer_type"] == "option"
    deepmind = Counter(p.kind for p in load_problems("deepmind", eval_dir))
    assert deepmind == {K.NUMBER: 958, K.LIST: 34, K.EXPRESSION: 8}


def test_svamp_joins_body_and_question_and_keeps_native_ids(eval_dir: Path) -> None:
    p = load_problems("svamp", eval_dir, limit=1)[0]
    assert p.id == "svamp/chal-1"
    assert p.question == ("Each pack of dvds costs 76 dollars. If there is a discount of 25 dollars on each pack "
                          "How much do you have to pay to buy each pack?")
    assert float(p.gold) == 51


def test_names_and_aliases() -> None:
    assert get_benchmark("mmlu") is BENCHMARKS["mmlu_math"]
    with pytest.raises(KeyError, match="unknown benchmark 'nope'"):
        get_benchmark("nope")


def test_benchmarks_without_a_hub_copy_ask_for_a_data_dir() -> None:
    with pytest.raises(ValueError, match="no public hub copy"):
        load_problems("numglue", data_dir=None)
    assert BENCHMARKS["gsm8k"].hub_id == "openai/gsm8k"


def test_cli_lists_and_counts_the_benchmarks(eval_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from mammoth_math.cli import main

    assert main(["benchmarks", "--data-dir", str(eval_dir), "--datasets", "mammoth", "--json"]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert {name: r["loaded"] for name, r in rows.items()} == PAPER_COUNTS
    assert rows["aqua"]["multiple_choice"] and rows["gsm8k"]["hub_id"] == "openai/gsm8k"
