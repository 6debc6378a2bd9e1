"""The ``mammoth`` grading mode: MAmmoTH's ``math_eval`` rules, reproduced so scores compare with the paper.

Source (read, not copied): TIGER-AI-Lab/MAmmoTH ``math_eval/utils.py`` — ``answer_clean`` (split on the
triggers ``####`` / ``The answer is``, keep the last chunk, take the text after the last ``=``, pick
option letters or numbers, first if a trigger fired else last), ``delete_extra_zero``, MATH's
``_strip_string`` with exact string match, and ``compare_answer_with_groundtruth`` (case-insensitive
string equality; for a numeric gold with a tolerance, ``number_it`` + ``compare_two_numbers``: integer
golds by ``round(p) == gt``, others within a relative epsilon; lists sorted). Two deliberate
deviations: their ``eval`` of model text becomes a literal/number parser, and a program's output is
read as ``"The answer is " + output`` exactly as their PoT path does. Their quirks are kept: to
reproduce their DeepMind misses, pass the raw gold (``1363.0``), not :func:`parse_gold`'s.
"""

from __future__ import annotations

import ast
import math
import re

from mammoth_math.grading.kinds import AnswerKind, Extraction
from mammoth_math.grading.latex import last_boxed
from mammoth_math.grading.numbers import parse_number

K = AnswerKind
_TRIGGERS = ("####", "The answer is")
_OPTION_GOLDS = ("(a)", "(b)", "(c)", "(d)", "(e)", "(f)")


def mammoth_extract(text: str, kind: AnswerKind, from_program: bool = False) -> Extraction:
    """``answer_clean`` for ``kind`` (EXPRESSION is their MATH branch)."""
    if from_program:
        text = "The answer is " + text.strip("\n")
    if kind is K.EXPRESSION:
        return Extraction(_math_answer(text) if text else "", "mammoth math", text)
    return Extraction(_answer_clean(text, kind), "mammoth answer_clean", text)


def _answer_clean(pred: str, kind: AnswerKind) -> str:
    if any(pred.count(t) > 1 for t in _TRIGGERS):  # an in-context continuation: keep the first chunk
        pred = pred.split("\n\n")[0]
    chunks = re.split("|".join(_TRIGGERS), pred)
    answer_flag = len(chunks) > 1
    pred = chunks[-1]
    if "=" in pred:
        pred = pred.split("=")[-1].strip()
    if kind is K.CHOICE:
        found = re.findall(r"\b(A|B|C|D|E)\b", pred.upper()) or [pred.strip().strip(".")]
    elif kind is K.BOOL:
        low = pred.lower()
        found = ["True"] if "yes" in low or "true" in low else ["False"] if "no" in low or "false" in low else []
    elif kind is K.TEXT:
        found = [pred.strip()]
    else:
        pred = pred.replace(",", "")
        found = [delete_extra_zero(s) for s in re.findall(r"-?\d+/?\.?\d*", pred)]
    if not found:
        return ""
    answer = found[0] if answer_flag else found[-1]
    return answer[:-1] if answer.endswith((".", "/")) else answer


def delete_extra_zero(n: str) -> str:
    """`18.0` -> `18`, `2.50` -> `2.5` via Python floats (so, as in the original, `1e+20`-style quirks)."""
    try:
        value = float(n)
    except ValueError:
        return n
    text = str(value).rstrip("0")
    return str(int(text.rstrip("."))) if text.endswith(".") else str(float(text))


def _math_answer(pred: str) -> str:
    if "The answer is " in pred:
        pred = pred.split("The answer is ")[-1].strip()
    elif "the answer is " in pred:
        pred = pred.split("the answer is ")[-1].strip()
    elif "boxed" in pred:
        pred = _after_boxed(pred)
    else:
        numbers = re.findall(r"-?\d*\.?\d+", pred)
        pred = numbers[-1] if numbers else ""
    if pred.endswith("."):
        pred = pred[:-1]
    if pred.endswith("/"):
        pred = pred[:-1]
    pred = strip_string(pred)
    if "boxed" in pred:
        pred = strip_string(_after_boxed(pred))
    return pred


def _after_boxed(text: str) -> str:
    tail = text.split("boxed")[-1]
    if tail.startswith("{"):
        return last_boxed("\\boxed" + tail) or tail[1:]
    return strip_string(tail.split("$")[0].strip())


def strip_string(s: str) -> str:
    """Hendrycks MATH's answer normaliser, as MAmmoTH uses it: LaTeX spacing, units, `\\%`, `k=` prefixes."""
    s = s.replace("\n", "").replace("\\!", "").replace("\\\\", "\\")
    s = s.replace("tfrac", "frac").replace("dfrac", "frac").replace("\\left", "").replace("\\right", "")
    s = s.replace("^{\\circ}", "").replace("^\\circ", "").replace("\\$", "")
    if "\\text{ " in s:
        s = s.split("\\text{ ")[0]
    s = s.replace("\\%", "").replace(" .", " 0.").replace("{.", "{0.")
    if not s:
        return s
    if s[0] == ".":
        s = "0" + s
    parts = s.split("=")
    if len(parts) == 2 and len(parts[0]) <= 2:
        s = parts[1]
    s = re.sub(r"\\sqrt([^{\\])", r"\\sqrt{\1}", s).replace(" ", "")
    s = _fix_fracs(s)
    m = re.fullmatch(r"(-?\d+)/(-?\d+)", s)
    if m and s == f"{int(m.group(1))}/{int(m.group(2))}":
        s = f"\\frac{{{m.group(1)}}}{{{m.group(2)}}}"
    return s


def _fix_fracs(s: str) -> str:
    """`\\frac12` -> `\\frac{1}{2}`, `\\frac1{72}` -> `\\frac{1}{72}`."""
    head, *rest = s.split("\\frac")
    out = head
    for sub in rest:
        out += "\\frac"
        if not sub or sub[0] == "{":
            out += sub
        elif len(sub) < 2:
            return s
        elif sub[1] == "{":
            out += "{" + sub[0] + "}" + sub[1:]
        else:
            out += "{" + sub[0] + "}{" + sub[1] + "}" + sub[2:]
    return out


def number_it(text: str) -> int | float | list | None:
    """A number (integers as int) or a list of numbers from an answer string; None if neither."""
    text = re.sub(r"\\frac\{([^{}]+)\}\{([^{}]+)\}", r"\1/\2", text) if "frac" in text else text.replace(",", "")
    value = parse_number(text, allow_units=False)
    if value is None:
        try:
            literal = ast.literal_eval(text)
        except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
            return None
        if isinstance(literal, (list, tuple)):
            literal = literal[0] if literal else None
        return _floatify(literal)
    return _floatify(float(value))


def _floatify(value: object) -> int | float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return value
    return round(value) if value.is_integer() else value


def compare_two_numbers(p: int | float | None, gt: int | float, rel_tol: float) -> bool:
    if p is None or (isinstance(p, float) and math.isnan(p)):
        return False
    try:
        if isinstance(gt, int):
            return round(p) == gt
        return abs(p - gt) <= abs(gt) * rel_tol
    except (OverflowError, ValueError):
        return False


def mammoth_equal(answer: str, gold: str, kind: AnswerKind, rel_tol: float | None = None) -> bool:
    """``compare_answer_with_groundtruth``; ``rel_tol`` given means a numeric gold (their TheoremQA path, 4%)."""
    if kind is K.EXPRESSION:
        answer, gold = strip_string(answer), strip_string(gold)
    if gold.lower() in _OPTION_GOLDS:
        return gold.lower() in answer.lower()
    if answer.lower() == gold.lower():
        return True
    if rel_tol is None:
        return False
    if kind is K.LIST:
        try:
            gold_list = [float(x) for x in ast.literal_eval(gold)]
            pred_list = [number_it(str(x)) for x in ast.literal_eval(answer)] if answer.startswith("(") else None
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return False
        if pred_list is None or len(pred_list) != len(gold_list) or None in pred_list:
            return False
        gold_list = [_floatify(g) for g in gold_list]
        return all(compare_two_numbers(p, g, rel_tol) for p, g in zip(sorted(pred_list), sorted(gold_list)))
    gold_num = number_it(gold)
    return gold_num is not None and compare_two_numbers(number_it(answer), gold_num, rel_tol)
