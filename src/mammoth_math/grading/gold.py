"""Gold answers, normalised once into the form the grader compares: `1363.0` -> `1363`, `(b)` -> `B`, `[1, 2]`.

Benchmark loaders call :func:`parse_gold` on each raw value; a value that is not of its kind raises
``ValueError`` so the loader can name the file, record and field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mammoth_math.grading.kinds import AnswerKind
from mammoth_math.grading.latex import normalize_latex
from mammoth_math.grading.numbers import format_number, parse_number

_TRUE = {"true", "yes", "correct", "t", "y"}
_FALSE = {"false", "no", "incorrect", "f", "n"}
_THOUSANDS_OR_PLAIN = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_PLAIN_RE = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")  # 4.5e33: Minerva writes its golds so
_JOINED_ANSWERS_RE = re.compile(r"\$\s*(?:or|and|,)\s*\$")
_NUMPY_RE = re.compile(r"\bnp\.([a-z]+)")
_STRAY_RE = re.compile(r"(?<=[\d$])\s*solution:?\s*$", re.IGNORECASE)  # `$145$solution:`, not "No solution"
_UNIT_RE = re.compile(r"(?:\\[;,!]|~|\s|\$)*(?:(?:cm|mm|km|m)\^\{?[23]\}?|cm|mm|km)\s*$")
# A unit the answer key spells in \mathrm after a number, before a separator or the end (`522,720 \mathrm{in}^{2}`).
_MATHRM_UNIT_RE = re.compile(r"(?<=\d)(?:\\[;,!]|~|\s)*\\mathrm\{~?\s*[a-zA-Z]+\}(?:\^\{?[23]\}?)?"
                             r"(?=\s*(?:[,;$]|x\s|\\times|and\s|$))")
# `522,720` and `2,365,200,000`; not `1,3,5`, HMMT's `98,118,122`, nor a point or interval `(40,150)`, `(0,125)`
_THOUSANDS_RE = re.compile(r"(?<![\d.,(\[])[1-9]\d{0,2}(?:,\d{3})+(?![\d,)\]])")
_WORD_RE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{3,}")  # an English word, not a LaTeX command
_TEXT_CMD_RE = re.compile(r"\\(?:text|mathrm|operatorname)\{([^{}]*)\}")
_WORDS_ONLY_RE = re.compile(r"(?=.*[a-zA-Z]{2})[a-zA-Z0-9:'\s-]+")
_AND_RE = re.compile(r"\s*\\text\{\s*(?:and|or)\s*\}\s*|\s+(?:and|or)\s+")  # `a and b`, `5 \\text{ or } 9`
_PM_RE = re.compile(r"\\pm(?![a-zA-Z])|\u00b1")
_LETTER_RE = re.compile(r"^\(?\s*([A-Ja-j])\s*\)?[.:]?$")


def parse_gold(raw: Any, kind: AnswerKind | str) -> str:
    """The canonical text of a raw gold value of ``kind`` (str, int, float, bool or list)."""
    kind = AnswerKind(kind)
    if kind is AnswerKind.NUMBER:
        return _number(raw)
    if kind is AnswerKind.BOOL:
        value = parse_bool(str(raw))
        if value is None:
            raise ValueError(f"not a boolean: {raw!r}")
        return str(value)
    if kind is AnswerKind.CHOICE:
        letter = parse_letter(str(raw))
        if letter is None:
            raise ValueError(f"not an option letter: {raw!r}")
        return letter
    if kind is AnswerKind.LIST:
        items, ordered = split_list(raw)
        if not items:
            raise ValueError(f"not a list: {raw!r}")
        return render_list([_element(i) for i in items], ordered)
    text = " ".join(str(raw).split())  # one line: a MATH gold has a newline inside \text{}
    if not text:
        raise ValueError("empty answer")
    if kind is AnswerKind.EXPRESSION:
        value = parse_number(text, allow_units=False)
        return format_number(value) if value is not None and _plain(text) else text.strip("$ ")
    return text


def _plain(text: str) -> bool:
    """A written-out number (`1363.0`, `-0.5`), not a fraction whose LaTeX form is itself the answer."""
    return re.fullmatch(r"-?[\d,]*\.?\d+", text.strip()) is not None


def _number(raw: Any) -> str:
    if isinstance(raw, bool):
        raise ValueError(f"a boolean is not a number: {raw!r}")
    value = parse_number(repr(raw) if isinstance(raw, float) else str(raw))
    if value is None:
        raise ValueError(f"not a number: {raw!r}")
    return format_number(value)


def _element(item: Any) -> str:
    value = parse_number(str(item), allow_units=False) if not isinstance(item, bool) else None
    return format_number(value) if value is not None else normalize_latex(str(item))


def parse_bool(text: str) -> bool | None:
    word = text.strip().strip(".").strip("$").lower()
    word = re.sub(r"^\\text\{(.*)\}$", r"\1", word)
    return True if word in _TRUE else False if word in _FALSE else None


def parse_letter(text: str) -> str | None:
    m = _LETTER_RE.match(text.strip())
    return m.group(1).upper() if m else None


def split_list(raw: Any) -> tuple[list[Any], bool]:
    """Items of a list answer and whether order matters: `[..]`, `(..)` and bare `a, b` / `a b c` are ordered,
    `{..}` (a set) is not."""
    if isinstance(raw, (list, tuple)):
        return list(raw), True
    text = str(raw).strip().strip("$").strip()
    text = text.replace("\\{", "{").replace("\\}", "}").replace("\\left", "").replace("\\right", "")
    ordered = not (text.startswith("{") and text.endswith("}"))
    if text[:1] in "[({" and text[-1:] in "])}" and encloses(text):
        text = text[1:-1]
    parts = [p for part in top_level_split(text) for p in _plus_minus(part)]
    if len(parts) == 1:
        parts = text.split()
    parts = [re.sub(r"^[a-zA-Z]\w*\s*=\s*", "", p).strip() for p in parts]
    return [p for p in parts if p], ordered


def _plus_minus(item: str) -> list[str]:
    """`\\pm a` is two answers, `a` and `-a`; `b \\pm a` is `b+a` and `b-a` (one sign per item, else as written)."""
    signs = _PM_RE.findall(item)
    if len(signs) != 1:
        return [item]
    head, tail = (part.strip() for part in _PM_RE.split(item))
    return [f"{head}+{tail}" if head else tail, f"{head}-{tail}"]


def encloses(text: str) -> bool:
    """The bracket opening ``text`` closes at its end: `(1, 2]` yes, `(1,2), (3,4)` no."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0:
            return i == len(text) - 1
    return False


def top_level_split(text: str) -> list[str]:
    """Split at commas, semicolons and " and " outside brackets, so `(1,2), (3,4)` is two tuples."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if depth == 0 and ch in ",;":
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for part in parts for p in _AND_RE.split(part)]


def render_list(items: Sequence[str], ordered: bool) -> str:
    inner = ", ".join(items)
    return f"[{inner}]" if ordered else f"{{{inner}}}"


def clean_free_form(raw: str, thousands: bool = True) -> str:
    """The answer in a free-form answer-key entry: `$3 \\sqrt{6}$.` -> `3 \\sqrt{6}`; `$2$ or $-2$` -> `2, -2`
    (several answers); `np.arcsin` -> `\\arcsin` (Minerva's Python spelling); a whole `\\text{...}` unwrapped;
    a length, area or volume unit after a number (`22.1cm^{2}`, `576\\pi\\;m^{2}`, `3630 \\mathrm{ft}^{2}`) and a
    stray `solution:` glued to the answer dropped, since the question fixes the unit and a model's unit-less
    answer is right; words stay words ("No solution"). ``thousands``: the set writes `522,720` for 522720, so
    those commas go before several answers are told apart (HMMT's `98,118,122,142` is four answers)."""
    text = " ".join(raw.split()).strip().rstrip(".").strip()
    text = _NUMPY_RE.sub(r"\\\1", _JOINED_ANSWERS_RE.sub(", ", text))
    text = _MATHRM_UNIT_RE.sub("", _STRAY_RE.sub("", text)).strip().strip("$").strip()
    if thousands:
        text = _THOUSANDS_RE.sub(lambda m: m.group(0).replace(",", ""), text)
    text = _UNIT_RE.sub("", text).strip().strip("$").strip() or text
    whole_text = _TEXT_CMD_RE.fullmatch(text)
    return whole_text.group(1).strip() if whole_text else text


def free_form_kind(text: str, thousands: bool = True) -> AnswerKind:
    """The kind of a free-form gold (GaoKao, College Math, HMMT): one plain number, several answers side by
    side (`(45,2),(-10,-9)`: an unordered LIST), else one EXPRESSION. ``thousands``: the set writes `2,900`
    for 2900; where it does not (HMMT), `98,118,122,142` is four answers."""
    core = text.strip().strip("$").strip().rstrip(".").strip()
    if _PLAIN_RE.fullmatch(core) or (thousands and _THOUSANDS_OR_PLAIN.fullmatch(core)):
        return AnswerKind.NUMBER
    if len(top_level_split(core)) > 1 and not _WORD_RE.search(_TEXT_CMD_RE.sub("", core)):  # not a sentence
        return AnswerKind.LIST
    if _WORDS_ONLY_RE.fullmatch(core):  # `Quadrant I`, `1:58 am`: compared as words
        return AnswerKind.TEXT
    return AnswerKind.EXPRESSION


def olympiad_gold(answers: Sequence[str], answer_type: str, multiple: bool) -> tuple[str, AnswerKind]:
    """OlympiadBench's ``final_answer`` list as one gold and its kind.

    Each entry may hold several ``$...$`` pieces (`$69$,$84$`); with ``is_multiple_answer`` the pieces form an
    unordered set, as the benchmark's own judge accepts them in any order. One plain number is a NUMBER.
    """
    pieces = [p for a in answers for p in top_level_split(a.replace("$,$", ", ").strip().strip("$").rstrip("."))]
    pieces = [p.strip().strip("$").strip() for p in pieces if p.strip().strip("$").strip()]
    if multiple and len(pieces) > 1:
        return render_list([_element(p) for p in pieces], ordered=False), AnswerKind.LIST
    text = ", ".join(pieces) if len(pieces) > 1 else pieces[0]
    if answer_type == "Interval":  # `t(0,4]`: the variable written before its interval
        text = re.sub(r"^[a-zA-Z]\s*(?:\\in\s*)?(?=[(\[])", "", text)
    if answer_type == "Numerical" and parse_number(text, allow_units=False) is not None and _plain(text):
        return format_number(parse_number(text, allow_units=False)), AnswerKind.NUMBER
    return text, AnswerKind.EXPRESSION
