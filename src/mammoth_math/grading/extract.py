"""Extraction: model text (CoT) or a program's printed answer (PoT) -> one normalised answer string.

Rules, recorded in :attr:`Extraction.rule`: the last ``\\boxed{}``, else the last "the answer is" or ``####``; then a
per-kind fallback (last number, last option letter, last yes/no). CHOICE answers also map an option's
text or a value equal to exactly one option's value to its letter. Pure string work: no sympy here.
Only the last ``MAX_TEXT`` characters of a response are read (the final answer sits at its end), and every
pass over them is linear, so a runaway generation costs no more than a long answer.
"""

from __future__ import annotations

import re
from mammoth_math.grading.gold import parse_bool, parse_letter, render_list, split_list
from mammoth_math.grading.kinds import AnswerKind, Extraction, GradingMode
from mammoth_math.grading.latex import boxed_spans, normalize_latex
from mammoth_math.grading.numbers import NUMBER_RE, format_number, numbers_match, parse_number

K = AnswerKind
_TRIGGER_RE = re.compile(r"(?:final\s+answer|the\s+answer|answer)\s*(?:is|:)\s*:?|####", re.IGNORECASE)
_LETTER_IN_TEXT_RE = re.compile(r"\(([A-J])\)|\b([A-J])\)")
_BOOL_WORD_RE = re.compile(r"\b(true|false|yes|no)\b", re.IGNORECASE)
MAX_TEXT = 20_000  # characters kept from the end of a response: 4-5 pages of final reasoning
_MAX_LINE = 1000  # characters of an answer line read after a marker
_MAX_TRIES = 3  # candidates tried per marker kind: keeps pathological texts linear
_WORDS_RE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{4,}")  # an English word: a sentence, not a bare answer
_TEXT_CMD_RE = re.compile(r"\\text\{[^{}]*\}")
_MATHY_RE = re.compile(r"\\(?:frac|sqrt|pi|infty|cdot)|\^|\bpi\b|[a-z]\s*[-+*/=]|[-+*/]\s*[a-z]")


def extract_answer(text: str | None, kind: AnswerKind | str = K.NUMBER, options: tuple[str, ...] | None = None,
                   from_program: bool = False, mode: GradingMode | str = GradingMode.STRICT) -> Extraction:
    """The final answer of ``text`` as ``kind``; ``from_program`` reads the answer a sandboxed program printed."""
    kind = AnswerKind(kind)
    if GradingMode(mode) is GradingMode.MAMMOTH:
        from mammoth_math.grading.mammoth import mammoth_extract

        return mammoth_extract(text or "", kind, from_program)
    if not text or not text.strip():
        return Extraction(None, "empty")
    text = text[-MAX_TEXT:]
    if from_program:
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return _finish(clean_answer(lines[-1], kind, options, first_of_many=True), "program output", lines[-1])
    for _, rule, span in _anchored_spans(text):
        found = clean_answer(span, kind, options, first_of_many=True)
        if found[0] is not None:
            return _finish(found, rule, span)
    return _fallback(text, kind, options)


def _anchored_spans(text: str) -> list[tuple[int, str, str]]:
    """Candidate spans after an explicit marker: boxed ones first (the model marked them), each group latest first."""
    spans = [(pos, "boxed", content) for pos, content in boxed_spans(text)]
    for m in _TRIGGER_RE.finditer(text):
        window = text[m.end():m.end() + _MAX_LINE].lstrip()  # bounded: linear in the text
        line = window.split("\n", 1)[0].strip()
        rule = "####" if m.group(0) == "####" else "the answer is"
        spans.append((m.start(), rule, re.sub(r"\.\s*$|\.\s+\S.*$", "", line).strip()))
    boxed = sorted(s for s in spans if s[1] == "boxed")
    others = sorted(s for s in spans if s[1] != "boxed")
    return boxed[::-1][:_MAX_TRIES] + others[::-1][:_MAX_TRIES]


def _finish(found: tuple[str | None, str], rule: str, span: str) -> Extraction:
    answer, how = found
    return Extraction(answer, f"{rule}, {how}" if how and answer is not None else rule, span)


def _fallback(text: str, kind: AnswerKind, options: tuple[str, ...] | None) -> Extraction:
    whole = text.strip()
    short_text = kind is K.TEXT and len(whole.split()) <= 3
    bare = not _WORDS_RE.search(_TEXT_CMD_RE.sub("", whole)) or short_text
    if "\n" not in whole and len(whole) <= 200 and bare:
        found = clean_answer(whole, kind, options)
        if found[0] is not None:
            return _finish(found, "whole text", whole)
    if kind is K.CHOICE:
        letters = list(_LETTER_IN_TEXT_RE.finditer(text))
        if letters:
            m = letters[-1]
            return Extraction(m.group(1) or m.group(2), "last option letter", m.group(0))
        return Extraction(None, "none")
    if kind is K.BOOL:
        words = _BOOL_WORD_RE.findall(text)
        return Extraction(str(parse_bool(words[-1])), "last yes/no", words[-1]) if words else Extraction(None, "none")
    if kind is K.TEXT:
        return Extraction(None, "none")
    numbers = NUMBER_RE.findall(text)
    if not numbers:
        return Extraction(None, "none")
    value = parse_number(numbers[-1], allow_units=False)
    answer = format_number(value) if value is not None else numbers[-1]
    return Extraction(render_list([answer], True) if kind is K.LIST else answer, "last number", numbers[-1])


def clean_answer(span: str, kind: AnswerKind, options: tuple[str, ...] | None = None,
                 first_of_many: bool = False) -> tuple[str | None, str]:
    """Normalise an answer span for ``kind``; returns (answer or None, how it was read)."""
    span = span.strip()
    if not span:
        return None, ""
    if kind is K.CHOICE:
        return _choice(span, options)
    if kind is K.BOOL:
        value = parse_bool(span)
        if value is None:
            words = _BOOL_WORD_RE.findall(span)
            value = parse_bool(words[0]) if len(words) == 1 else None
        return (str(value) if value is not None else None), ""
    if kind is K.LIST:
        items, ordered = split_list(span)
        clean = [_number_or_latex(i) for i in items]
        return (render_list(clean, ordered) if clean else None), ""
    if kind is K.TEXT:
        text = normalize_latex(span).strip(".").strip()
        return (text or None), ""
    return _number_or_expression(span, kind, first_of_many), ""


def _number_or_latex(item: str) -> str:
    value = parse_number(item, allow_units=False)
    return format_number(value) if value is not None else normalize_latex(item)


def _number_or_expression(span: str, kind: AnswerKind, first_of_many: bool) -> str | None:
    value = parse_number(span)
    if value is not None:
        return format_number(value)
    if kind is K.NUMBER and "=" in span:
        tail = span.rsplit("=", 1)[1].strip()
        value = parse_number(tail)
        if value is not None:
            return format_number(value)
        span = tail
    if kind is K.EXPRESSION or _MATHY_RE.search(span):
        return span.strip().strip("$").strip() or None
    numbers = NUMBER_RE.findall(span)
    if len(numbers) == 1 or (numbers and first_of_many):
        value = parse_number(numbers[0], allow_units=False)
        return format_number(value) if value is not None else None
    return None


def _choice(span: str, options: tuple[str, ...] | None) -> tuple[str | None, str]:
    n = len(options) if options else 10
    letter = parse_letter(span)
    if letter is not None and ord(letter) - 65 < n:
        return letter, "letter"
    if options:
        by_text = _option_by_text(span, options)
        if by_text is not None:
            return by_text, "option text"
    m = re.match(r"^\(?([A-J])\)|^([A-J])\b(?:[.:)]|\s|$)", span)
    if m and ord(m.group(1) or m.group(2)) - 65 < n:
        others = set(re.findall(r"(?<![\w'])[A-J](?![\w'])", span[m.end():])) - {m.group(1) or m.group(2)}
        return ((m.group(1) or m.group(2)), "letter") if not others else (None, "")
    if options:
        by_value = _option_by_value(span, options)
        if by_value is not None:
            return by_value, "option value"
    found = {m.group(1) or m.group(2) for m in _LETTER_IN_TEXT_RE.finditer(span)}
    found = {f for f in found if ord(f) - 65 < n}
    if len(found) == 1:
        return found.pop(), "letter"
    return None, ""


def _option_by_text(span: str, options: tuple[str, ...]) -> str | None:
    """The one option spelled like ``span``: compared as written first (`~A` is not `A`), then as LaTeX."""
    for norm in (lambda t: " ".join(t.strip().strip("$").rstrip(".").split()).casefold(),
                 lambda t: normalize_latex(t).casefold()):
        target = norm(span)
        hits = [i for i, o in enumerate(options) if norm(o) == target]
        if hits:
            return chr(ord("A") + hits[0]) if len(hits) == 1 else None
    return None


def _option_by_value(span: str, options: tuple[str, ...]) -> str | None:
    """The one option whose numeric value equals the predicted value (MAmmoTH asked a model to do this)."""
    value = parse_number(span)
    if value is None:
        return None
    hits = []
    for i, option in enumerate(options):
        opt = parse_number(option)
        if opt is not None and numbers_match(value, opt):
            hits.append(i)
    return chr(ord("A") + hits[0]) if len(hits) == 1 else None
