"""The MAmmoTH evaluation suite: ten benchmark specs, each a reader plus one record -> Problem converter.

Questions are laid out as MAmmoTH's ``math_eval/data_loader.py`` lays them out (options after
``Answer Choices:``); gold answers are normalised once here by the grader's ``parse_gold``.
Sources: the files described in ``../shared/data/README.md``; hub ids where a faithful copy exists.
"""

from __future__ import annotations

import re
from typing import Any

from mammoth_math.benchmarks.convert import inline_options, make_spec, option_letter, require_options, to_problem
from mammoth_math.benchmarks.scan import Record, read_json_array, read_json_tree, read_jsonl
from mammoth_math.benchmarks.spec import BenchmarkSpec, Problem
from mammoth_math.benchmarks.train_sets import THEOREMQA_KINDS
from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.prompts import CHOICES_LABEL, LETTERS, with_choices

K = AnswerKind
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


# --- converters: one record -> one Problem -------------------------------------------------------


def gsm8k(rec: Record) -> Problem:
    answer = rec.get("answer", str)
    if "####" not in answer:
        raise rec.fail("answer", "no final '#### <number>' line")
    return to_problem(rec, "gsm8k", str(rec.index), rec.get("question", str).strip(),
                      answer.split("####")[-1].strip(), K.NUMBER)


def math(rec: Record) -> Problem:
    from mammoth_math.grading.extract import final_boxed

    solution = rec.get("solution", str)
    boxed = final_boxed(solution)  # all of `$\boxed{-2}$ and $\boxed{1}$`, not only the last box
    if boxed is None:
        raise rec.fail("solution", "no \\boxed{...} answer")
    subject = rec.data.get("_subject") or rec.get("type", str)
    pid = f"{subject}/{rec.data.get('_file', rec.index)}"
    return to_problem(rec, "math", pid, rec.get("problem", str), boxed, K.EXPRESSION,
                      level=rec.get("level", str), type=rec.get("type", str))


def aqua(rec: Record) -> Problem:
    raw_options = rec.get("options", list)
    if not all(isinstance(o, str) for o in raw_options) or len(raw_options) < 2:
        raise rec.fail("options", "expected a list of at least two strings like 'A)12'")
    options = tuple(re.sub(r"^\s*[A-J]\s*\)\s*", "", o) for o in raw_options)
    # MAmmoTH's exact layout, quirks kept (every "(" gets a space before and every ")" one after,
    # inside option texts too): models were scored on this text.
    choices = ("(" + "(".join(raw_options)).replace("(", " (").replace(")", ") ")
    question = rec.get("question", str).strip() + "\n" + CHOICES_LABEL.strip() + choices
    gold = option_letter(rec, "correct", rec.get("correct", str), len(options))
    return to_problem(rec, "aqua", str(rec.index), question, gold, K.CHOICE, options)


def numglue(rec: Record) -> Problem:
    question, answer = rec.get("question", str), rec.get("answer", (int, float, str))
    raw = str(answer).strip()
    if CHOICES_LABEL.strip() in question:  # Type_3: a two-way choice written into the question
        options = require_options(rec, "question", inline_options(question))
        return to_problem(rec, "numglue", str(rec.index), question, option_letter(rec, "answer", raw, len(options)),
                          K.CHOICE, options, type=rec.data.get("type"))
    kind = K.NUMBER if _NUMBER.fullmatch(raw.replace(",", "")) else K.TEXT  # three answers are words
    return to_problem(rec, "numglue", str(rec.index), question, raw, kind, type=rec.data.get("type"))


def svamp(rec: Record) -> Problem:
    question = rec.get("Body", str).strip() + " " + rec.get("Question", str).strip()
    answer = rec.get("Answer", (int, float, str))  # a float in MAmmoTH's file, a string in some hub copies
    return to_problem(rec, "svamp", rec.get("ID", str), question, answer, K.NUMBER,
                      type=rec.data.get("Type"), equation=rec.data.get("Equation"))


def deepmind(rec: Record) -> Problem:
    raw = rec.get("answer", str).strip()
    if _NUMBER.fullmatch(raw):
        kind = K.NUMBER
    elif raw.startswith("[") or re.fullmatch(r"-?\d+(?:\s+-?\d+)+", raw):  # prime factors; sorted values
        kind = K.LIST
    else:
        kind = K.EXPRESSION  # derivatives such as -20*x
    return to_problem(rec, "deepmind", str(rec.index), rec.get("question", str), raw, kind)


def simuleq(rec: Record) -> Problem:
    raw = str(rec.get("answer", (str, int, float))).strip()
    kind = K.NUMBER if _NUMBER.fullmatch(raw.replace(",", "")) else K.LIST
    return to_problem(rec, "simuleq", str(rec.index), rec.get("question", str), raw, kind)


def sat(rec: Record) -> Problem:
    question = rec.get("question", str)
    options = require_options(rec, "question", inline_options(question))
    gold = option_letter(rec, "answer", rec.get("answer", str), len(options))
    return to_problem(rec, "sat", str(rec.index), question, gold, K.CHOICE, options)


def mmlu(rec: Record) -> Problem:
    choices = rec.get("choices", list)
    if len(choices) < 2 or not all(isinstance(c, str) for c in choices):
        raise rec.fail("choices", "expected a list of at least two strings")
    index = rec.get("answer", int)
    if not 0 <= index < len(choices):
        raise rec.fail("answer", f"index {index} outside the {len(choices)} choices")
    question = with_choices(rec.get("question", str), choices)
    return to_problem(rec, "mmlu_math", str(rec.index), question, LETTERS[index], K.CHOICE, tuple(choices),
                      subject=rec.data.get("subject"))


def theoremqa(rec: Record) -> Problem:
    question, answer_type = rec.get("Question", str), rec.get("Answer_type", str)
    if answer_type not in THEOREMQA_KINDS:
        raise rec.fail("Answer_type", f"unknown answer type {answer_type!r} (one of {sorted(THEOREMQA_KINDS)})")
    kind = THEOREMQA_KINDS[answer_type]
    answer = rec.get("Answer", (int, float, bool, list, str))
    options = None
    if kind is K.CHOICE:  # one question shows its options only in a picture: options stay unknown
        found = inline_options(question, lower=True)
        options = found if len(found) >= 2 else None
        raw = option_letter(rec, "Answer", str(answer), len(options or LETTERS))
    else:
        raw = answer  # int, float, bool or list, as the grader expects them
    pid = str(rec.data.get("id") or rec.index)
    return to_problem(rec, "theoremqa", pid, question, raw, kind, options, answer_type=answer_type,
                      field=rec.data.get("subfield"), theorem=rec.data.get("theorem"),
                      picture=rec.data.get("Picture"))


# --- hub adapters: reshape a hub row like the local file's record ----------------------------------


def _math_hub_row(row: dict[str, Any], config: str | None) -> dict[str, Any]:
    return {**row, "_subject": config}


def _theoremqa_hub_row(row: dict[str, Any], config: str | None) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "Picture"} | {"Picture": None}


MATH_SUBJECTS = ("algebra", "counting_and_probability", "geometry", "intermediate_algebra",
                 "number_theory", "prealgebra", "precalculus")
MMLU_MATH_SUBJECTS = ("abstract_algebra", "college_mathematics", "elementary_mathematics",
                      "formal_logic", "high_school_mathematics")


SPECS: tuple[BenchmarkSpec, ...] = (
    make_spec("gsm8k", gsm8k, read_jsonl, "gsm8k/gsm8k.jsonl", K.NUMBER, 1319,
              hub=("openai/gsm8k", {"configs": ("main",)}), description="GSM8K test (grade-school word problems)"),
    make_spec("math", math, read_json_tree, "math", K.EXPRESSION, 5000,
              hub=("EleutherAI/hendrycks_math", {"configs": MATH_SUBJECTS, "adapt": _math_hub_row}),
              show_fields=("level", "type"), description="MATH test, the original one-JSON-per-problem tree"),
    make_spec("aqua", aqua, read_jsonl, "AQuA/AQuA.json", K.CHOICE, 254,
              hub=("deepmind/aqua_rat", {"configs": ("raw",)}), description="AQuA-RAT test, five options"),
    make_spec("numglue", numglue, read_json_array, "numglue/numglue.json", K.NUMBER, 1042, show_fields=("type",),
              description="NumGLUE, MAmmoTH's sample (Type_3 rows are two-way choices; no hub copy)"),
    make_spec("svamp", svamp, read_json_array, "SVAMP/SVAMP.json", K.NUMBER, 1000,
              hub=("ChilleD/SVAMP", {"splits": ("train", "test")}), show_fields=("type",),
              description="SVAMP, all 1,000 problems"),
    make_spec("deepmind", deepmind, read_json_array, "deepmind/deepmind.json", K.NUMBER, 1000,
              description="DeepMind Mathematics, MAmmoTH's 1,000-problem sample (no hub copy)"),
    make_spec("simuleq", simuleq, read_json_array, "simuleq/simuleq.json", K.NUMBER, 514,
              description="SimulEq simultaneous equations, MAmmoTH's file (no hub copy)"),
    make_spec("sat", sat, read_json_array, "sat/sat.json", K.CHOICE, 220,
              description="SAT math via AGIEval, options inline as MAmmoTH wrote them (no hub copy of that layout)"),
    make_spec("mmlu_math", mmlu, read_json_array, "mmlu/mathematics.json", K.CHOICE, 974,
              hub=("cais/mmlu", {"configs": MMLU_MATH_SUBJECTS}), show_fields=("subject",),
              description="MMLU's five math subjects"),
    make_spec("theoremqa", theoremqa, read_json_array, "theoremqa/theoremqa_test.json", K.NUMBER, 800,
              hub=("TIGER-Lab/TheoremQA", {"adapt": _theoremqa_hub_row}), rel_tol=0.04,
              show_fields=("answer_type", "field"), multiple_choice=False,
              description="TheoremQA test (int, float, bool, list and option answers)"),
)
