"""The sets current math models are compared on (Qwen2.5-Math, DeepSeek-R1, NeMo-Skills reports): eleven specs.

Each reads ``<folder>/test.jsonl`` as the repositories named in ``../shared/data/README.md`` ship it,
under the data directory given, or under its sibling ``eval-modern/`` (so ``--data-dir ../shared/data/eval``
serves both suites). Golds are normalised by the grader's ``parse_gold``; per-problem kinds follow each
set's own answer types. Competition sets carry the sampling their published numbers use.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from mammoth_math.benchmarks.convert import inline_options, make_spec, option_letter, to_problem
from mammoth_math.benchmarks.scan import Record, read_jsonl
from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem, Sampling
from mammoth_math.grading.gold import clean_free_form, free_form_kind, olympiad_gold
from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.grading.latex import last_boxed
from mammoth_math.prompts import LETTERS, with_choices

K = AnswerKind
MODERN_DIR = "eval-modern"  # the folder beside the MAmmoTH ``eval`` folder in ../shared/data
COMPETITION = Sampling(n=16, temperature=0.6, top_p=0.95)  # AIME/AMC/HMMT numbers are averages over samples


def read_modern(path: Path) -> list[Record]:
    """``<data dir>/<folder>/test.jsonl``, else the same under the data dir's sibling ``eval-modern``."""
    if not path.exists():
        sibling = path.parents[2] / MODERN_DIR / path.parent.name / path.name
        if sibling.exists():
            path = sibling
    return read_jsonl(path)


def _aime_gold(rec: Record, field: str) -> str:
    raw = str(rec.get(field, (str, int))).strip()
    if not raw.isdigit() or not 0 <= int(raw) <= 999:
        raise rec.fail(field, f"an AIME answer is an integer from 0 to 999, got {raw!r}")
    return raw


def _free_form(rec: Record, name: str, pid: str, question: str, raw: str, gold_field: str,
               thousands: bool = True, **meta: Any) -> Problem:
    """A problem whose gold is an answer-key entry in LaTeX: cleaned, then a number, several answers or one
    expression (``thousands``: whether the set writes `2,900` for 2900)."""
    gold = clean_free_form(raw, thousands)
    kind = free_form_kind(gold, thousands)
    if kind is K.LIST:
        gold = "{" + gold + "}"  # answers side by side are a set: any order is right
    problem = to_problem(rec, name, pid, question, gold, kind, gold_field=gold_field, **meta)
    if raw == problem.gold:
        return problem
    return replace(problem, meta={**problem.meta, "raw_gold": raw})  # the file's text, for `mammoth` grading


# --- converters: one record -> one Problem -------------------------------------------------------


def aime24(rec: Record) -> Problem:
    return to_problem(rec, "aime24", str(rec.get("id", (int, str))), rec.get("problem", str),
                      _aime_gold(rec, "answer"), K.NUMBER, url=rec.data.get("url"))


def aime25(rec: Record) -> Problem:
    return to_problem(rec, "aime25", str(rec.data.get("id", rec.index)), rec.get("problem", str),
                      _aime_gold(rec, "expected_answer"), K.NUMBER, gold_field="expected_answer")


def amc23(rec: Record) -> Problem:
    return to_problem(rec, "amc23", str(rec.data.get("id", rec.index)), rec.get("problem", str),
                      rec.get("answer", (int, float, str)), K.NUMBER, url=rec.data.get("url"))


def math500(rec: Record) -> Problem:
    """PRM800K's MATH-500: the ``answer`` field is the solution's boxed answer; graded as MATH is."""
    uid = rec.get("unique_id", str)
    pid = uid.removeprefix("test/").removesuffix(".json")
    return to_problem(rec, "math500", pid, rec.get("problem", str), rec.get("answer", str), K.EXPRESSION,
                      level=rec.data.get("level"), subject=rec.data.get("subject"))


def minerva_math(rec: Record) -> Problem:
    boxed = last_boxed(rec.get("solution", str))
    if boxed is None:
        raise rec.fail("solution", "no \\boxed{...} answer")
    return _free_form(rec, "minerva_math", str(rec.data.get("idx", rec.index)), rec.get("problem", str), boxed,
                      "solution", thousands=False, type=rec.data.get("type"))


_LEAKED_ANSWER = re.compile(r"\s*answers?\s*:\s*(\S.*?)\s*$", re.IGNORECASE | re.DOTALL)
_LETTER_GOLD = re.compile(r"\(?([A-E])\)?")


def gaokao2023en(rec: Record) -> Problem:
    """Gaokao 2023 (English). The SAT-style rows are multiple choice with options inline; two rows of the file
    have an empty ``answer`` and the answer written at the end of the question ("...answers: $x$"): moved back."""
    question, answer = rec.get("question", str), rec.get("answer", str)
    leaked = _LEAKED_ANSWER.search(question) if not answer.strip() else None
    if leaked:
        question, answer = question[:leaked.start()], leaked.group(1)
    letter = _LETTER_GOLD.fullmatch(answer.strip())
    if letter and "(A)" in question:
        options = inline_options(question)
        return to_problem(rec, "gaokao2023en", str(rec.index), question,
                          option_letter(rec, "answer", letter.group(1), len(options)), K.CHOICE, options,
                          source=rec.data.get("source"))
    return _free_form(rec, "gaokao2023en", str(rec.index), question, answer, "answer", source=rec.data.get("source"))


_SENTENCE_BREAK = re.compile(r"\.\s+\S")


def college_math(rec: Record) -> Problem:
    """College Math's golds are textbook answer-key entries; some are explanations of several sentences, which
    no rule-based grader can match (``multi_sentence`` marks them so reports can count them apart)."""
    answer = rec.get("answer", str)
    return _free_form(rec, "college_math", str(rec.index), rec.get("question", str), answer, "answer",
                      topic=rec.data.get("data_topic"), source=rec.data.get("data_source"),
                      multi_sentence=True if _SENTENCE_BREAK.search(answer.strip()) else None)


def mmlu_stem(rec: Record) -> Problem:
    choices = rec.get("choices", list)
    if len(choices) != 4 or not all(isinstance(c, str) for c in choices):
        raise rec.fail("choices", "expected a list of four strings")
    index = rec.get("answer", int)
    if not 0 <= index < 4:
        raise rec.fail("answer", f"index {index} outside the 4 choices")
    return to_problem(rec, "mmlu_stem", str(rec.index), with_choices(rec.get("question", str), choices),
                      option_letter(rec, "answer", LETTERS[index], 4), K.CHOICE, tuple(choices),
                      subject=rec.data.get("type", rec.data.get("subject")))


def gsm_hard(rec: Record) -> Problem:
    return to_problem(rec, "gsm_hard", str(rec.data.get("idx", rec.index)), rec.get("input", str).strip(),
                      rec.get("target", (int, float)), K.NUMBER, gold_field="target")


def comp_math_24_25(rec: Record) -> Problem:
    return _free_form(rec, "comp_math_24_25", rec.get("id", str), rec.get("problem", str),
                      rec.get("expected_answer", str), "expected_answer", thousands=False,
                      subset_for_metrics=rec.get("subset_for_metrics", str))


_OLYMPIAD_TYPES = ("Numerical", "Expression", "Equation", "Interval", "Tuple")


def olympiadbench(rec: Record) -> Problem:
    """OlympiadBench (OE_TO_maths_en_COMP): ``final_answer`` is a list; units are not part of the answer."""
    answers = rec.get("final_answer", list)
    if not answers or not all(isinstance(a, str) and a.strip() for a in answers):
        raise rec.fail("final_answer", "expected a non-empty list of answer strings")
    answer_type = rec.get("answer_type", str)
    types = [t.strip() for t in answer_type.split(",")]
    if not all(t in _OLYMPIAD_TYPES for t in types):
        raise rec.fail("answer_type", f"expected one of {', '.join(_OLYMPIAD_TYPES)}, got {answer_type!r}")
    multiple = rec.get("is_multiple_answer", bool)
    gold, kind = olympiad_gold(answers, types[0], multiple)
    return to_problem(rec, "olympiadbench", str(rec.get("id", (int, str))), rec.get("question", str), gold, kind,
                      gold_field="final_answer", answer_type=answer_type, subfield=rec.data.get("subfield"),
                      unit=rec.data.get("unit"))


# --- hub adapters: reshape a hub row like the local file's record ----------------------------------


def _renamed(row: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """``row`` with each field of ``names`` also under its local name, where the local name is missing."""
    return row | {local: row[hub] for hub, local in names.items() if hub in row and local not in row}


def _question_as_problem(row: dict[str, Any], config: str | None) -> dict[str, Any]:
    return _renamed(row, {"question": "problem", "answer": "expected_answer"})


def _answer_as_solution(row: dict[str, Any], config: str | None) -> dict[str, Any]:
    """A hub copy holding the extracted answer only: boxed, so the converter reads it like a solution."""
    row = _renamed(row, {"question": "problem"})
    return row if "solution" in row else row | {"solution": f"\\boxed{{{row.get('answer', '')}}}"}


def _subject_as_type(row: dict[str, Any], config: str | None) -> dict[str, Any]:
    return _renamed(row, {"subject": "type"})


def _modern(name: str, convert: Any, kind: AnswerKind, count: int, **fields: Any) -> BenchmarkSpec:
    return make_spec(name, convert, read_modern, f"{name}/test.jsonl", kind, count, **fields)


MODERN_SPECS: tuple[BenchmarkSpec, ...] = (
    _modern("aime24", aime24, K.NUMBER, 30, hub=("HuggingFaceH4/aime_2024", {"splits": ("train",)}),
            sampling=COMPETITION, description="AIME 2024 I and II, integer answers 0-999 (Qwen2.5-Math's file)"),
    _modern("aime25", aime25, K.NUMBER, 30, hub=("math-ai/aime25", {"adapt": _question_as_problem}),
            sampling=COMPETITION, description="AIME 2025 I and II, integer answers 0-999 (NeMo-Skills' file)"),
    _modern("amc23", amc23, K.NUMBER, 40, hub=("math-ai/amc23", {"adapt": _question_as_problem}),
            sampling=COMPETITION, description="AMC 12 2023, numeric answers (Qwen2.5-Math's file)"),
    _modern("math500", math500, K.EXPRESSION, 500, hub=("HuggingFaceH4/MATH-500", {}),
            show_fields=("level", "subject"), description="MATH-500, PRM800K's split of MATH test; the MATH grader"),
    _modern("olympiadbench", olympiadbench, K.EXPRESSION, 675,
            hub=("Hothan/OlympiadBench", {"configs": ("OE_TO_maths_en_COMP",), "splits": ("train",)}),
            show_fields=("answer_type", "subfield"),
            description="OlympiadBench open-ended English math, text only (several answers in some problems)"),
    _modern("minerva_math", minerva_math, K.EXPRESSION, 272,
            hub=("math-ai/minervamath", {"adapt": _answer_as_solution}), show_fields=("type",),
            description="Minerva's OCW courses set; gold is the solution's last \\boxed{}, answers with units"),
    _modern("gaokao2023en", gaokao2023en, K.EXPRESSION, 385,
            hub=("MARIO-Math-Reasoning/Gaokao2023-Math-En", {"splits": ("train",)}),
            description="Gaokao 2023 math in English: intervals, sets, inequalities, expressions"),
    _modern("college_math", college_math, K.EXPRESSION, 2818, show_fields=("topic",),
            description="College Math (MathScale) test; no public hub copy of this file known"),
    _modern("mmlu_stem", mmlu_stem, K.CHOICE, 3018, hub=("TIGER-Lab/MMLU-STEM", {"adapt": _subject_as_type}),
            show_fields=("subject",),
            description="MMLU's STEM subjects, four options (the hub copy holds 3,153 rows, this file 3,018)"),
    _modern("gsm_hard", gsm_hard, K.NUMBER, 1319,
            hub=("reasoning-machines/gsm-hard", {"splits": ("train",)}),
            description="GSM-Hard (PAL): GSM8K with large numbers; relative tolerance as GSM8K"),
    _modern("comp_math_24_25", comp_math_24_25, K.NUMBER, 256, sampling=COMPETITION,
            show_fields=("subset_for_metrics",), subset_field="subset_for_metrics",
            description="AIME 2024-25 and HMMT Feb 2024-25, reported per subset (NeMo-Skills' file; no hub copy)"),
)
