"""Extraction: model text (CoT) or a program's printed answer (PoT) -> one normalised answer string.

Rules, recorded in :attr:`Extraction.rule`: a "final answer is" line or a ``# Answer`` section (PRM800K's format)
written after the last box, else the last ``\\boxed{}`` (a run of boxes joined only by "and", commas or spacing is
one answer: `\\boxed{2}, \\boxed{3}`), else the last "the answer is", "**Answer:**" or ``####`` (a sentence there
gives its value: "The largest $n$ is 34" -> 34); then a per-kind fallback (the later of the last math span and the
last number that is not part of a word, a variable's coefficient or a traceback; the last option letter; the last
yes/no). CHOICE answers also map an option's text or a value equal to exactly one option's value to its letter.
Pure string work: no sympy here.
Only the last ``MAX_TEXT`` characters of a response are read (the final answer sits at its end), and every
pass over them is linear, so a runaway generation costs no more than a long answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mammoth_math.grading.gold import parse_bool, parse_letter, render_list, split_list
from mammoth_math.grading.kinds import AnswerKind, Extraction, GradingMode, as_member
from mammoth_math.grading.latex import boxed_spans, normalize_latex
from mammoth_math.grading.numbers import format_number, is_percent, numbers_match, parse_number

K = AnswerKind
# Final-answer markers: "the answer is", "Final Answer:", markdown's "**Answer:**" / "**Final Answer**:", GSM8K's
# `####`, and PRM800K's answer section (a line `# Answer`, the answer on the next non-empty line).
# The leading lookahead lets the scan skip most characters at once (every marker starts with one of these).
_TRIGGER_RE = re.compile(r"(?=[#aAfFtT \t])(?:(?P<said>final\s+answer|the\s+answer|answer)\s*\**\s*(?:is|:)\s*:?\s*\**"
                         r"|####|^[ \t]*(?P<section>#+[ \t]*(?:final[ \t]+)?answer)[ \t]*:?[ \t]*$)",
                         re.IGNORECASE | re.MULTILINE)
_LETTER_IN_TEXT_RE = re.compile(r"\(([A-J])\)|\b([A-J])\)")
_BOOL_WORD_RE = re.compile(r"\b(true|false|yes|no)\b", re.IGNORECASE)
MAX_TEXT = 20_000  # characters kept from the end of a response: 4-5 pages of final reasoning
_MAX_LINE = 1000  # characters of an answer line read after a marker
_MAX_TRIES = 3  # candidates tried per marker kind: keeps pathological texts linear
_WORDS_RE = re.compile(r"(?<![\\a-zA-Z])[a-zA-Z]{4,}")  # an English word: a sentence, not a bare answer
_TEXT_CMD_RE = re.compile(r"\\(?:text\w*|math\w*|mbox|operatorname|begin|end)\s*\{[^{}]*\}")
# Math spans, bounded in length so an unclosed delimiter costs linear time; inline ones stay on one line.
_MATH_SPAN_RE = re.compile(r"\$\$(.{1,2000}?)\$\$|\\\[(.{1,2000}?)\\\]|\\\((.{1,2000}?)\\\)"
                           r"|(?<![\\$])\$((?:[^$\n\\]|\\[^\n]){1,2000}?)\$", re.DOTALL)
# A number standing alone: not inside a word (AZYUK2A), not a coefficient (3z), not an exponent (cm^2), a
# fraction 2/3 kept whole.
_LONE_NUMBER_RE = re.compile(r"(?<![A-Za-z_\d.^])(?<!\^\{)-?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?"
                             r"(?:\s*/\s*\d+(?:\.\d+)?)?|\.\d+)(?!\d|\.\d|[A-Za-z](?![A-Za-z²³]))")
_INTEGER_RE = re.compile(r"0|-?[1-9]\d{0,29}")  # an integer as format_number writes it
_RELATION_RE = re.compile(r"(?<![-=])[<>]|[≤≥≠]|\\(?:[lg]eq?|[lg]t|neq?|ne)\b")
_ERROR_RE = re.compile(r"Traceback \(most recent call last\):\n(?:[ \t][^\n]*\n)*[^\n]*"
                       r"|^\w*(?:Error|Exception)\b[^\n]*", re.MULTILINE)  # numbers in there are no answer
# What may stand between two boxes that make one answer: spacing, punctuation, "and"/"or" after a few words,
# the name of what the next box holds (`y_2 =`).
_BOX_GAP_NOISE_RE = re.compile(r"\\q?quad\b|\\[,;:! ]|\\[()\[\]]|\\text\w*\s*\{|[${}&]|\\+|[a-zA-Z](?:_\{?\w+\}?)?\s*=")
_BOX_GAP_RE = re.compile(r"[\s,;+]*(?:(?:[\w()]+\s+){0,4}(?:and|or)\b)?[\s,;+]*")
_SENTENCE_VALUE_RE = re.compile(r"\s(?:is|are|equals|=)\s")
_MATHY_RE = re.compile(r"\\(?:frac|sqrt|pi|infty|cdot)|\^|\bpi\b|[a-z]\s*[-+*/=]|[-+*/]\s*[a-z]")


def extract_answer(text: str | None, kind: AnswerKind | str = K.NUMBER, options: tuple[str, ...] | None = None,
                   from_program: bool = False, mode: GradingMode | str = GradingMode.STRICT) -> Extraction:
    """The final answer of ``text`` as ``kind``; ``from_program`` reads the answer a sandboxed program printed."""
    kind = as_member(AnswerKind, kind)
    if as_member(GradingMode, mode) is GradingMode.MAMMOTH:
        from mammoth_math.grading.mammoth import mammoth_extract

        return mammoth_extract(text or "", kind, from_program)
    if not text or text.isspace():
        return Extraction(None, "empty")
    text = text[-MAX_TEXT:]
    if from_program:
        lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
        return _finish(clean_answer(lines[-1], kind, options, first_of_many=True), "program output", lines[-1])
    for rule, span in _anchored_spans(text, kind):
        if rule != "boxed" and kind in (K.NUMBER, K.EXPRESSION, K.LIST):
            span = _value_of_sentence(span)
        found = clean_answer(span, kind, options, first_of_many=True)
        if found[0] is not None:
            return _finish(found, rule, span)
    return _fallback(text, kind, options)


def _anchored_spans(text: str, kind: AnswerKind) -> Iterator[tuple[str, str]]:
    """(rule, span) after explicit markers, best first: "final answer" lines after the last box, then boxes, then
    the other markers, each group latest first (a model that boxes an intermediate result and then states its
    final answer meant the final answer; a line with no digit or math, "The final answer is positive", is prose).
    Lazy: most texts end in a box, so only the text after it is scanned for markers unless the boxes fail."""
    boxes = _top_level(boxed_spans(text))
    last_box_end = boxes[-1][1] if boxes else 0
    final, others = _markers(text, last_box_end)  # those before the last box are never final: read if needed
    if final:
        yield from final[::-1][:_MAX_TRIES]
    if len(boxes) == 1:  # most texts: no run to join
        yield "boxed", boxes[0][2].strip()
    else:
        for _, content in _runs(text, boxes, joined=kind in (K.EXPRESSION, K.LIST)):  # a NUMBER or a letter: one box
            yield "boxed", content
    if last_box_end:
        others = _markers(text, 0, last_box_end)[1] + others
    yield from others[::-1][:_MAX_TRIES]


def _markers(text: str, start: int, end: int | None = None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (rule, line) of each marker starting in ``text[start:end]``: those that say a final answer after the last
    box (``start``, when it is the last box's end), and the others."""
    window = text[start:end]
    final: list[tuple[str, str]] = []
    others: list[tuple[str, str]] = []
    if "nswer" not in window and "NSWER" not in window and "####" not in window:  # far cheaper than the pattern
        return final, others
    for m in _TRIGGER_RE.finditer(text, start, len(text) if end is None else end):
        line = re.sub(r"\.\s*$|\.\s+\S.*$", "", _answer_line(text, m.end())).strip()
        is_final = end is None  # a marker after the last box
        if m.group(0) == "####":
            others.append(("####", line))
        elif m.group("section"):  # the section holds only the answer: prose or not, it is final
            (final if is_final else others).append(("# Answer", line))
        elif m.group("said").lower().startswith("final") and is_final and re.search(r"[\d$\\]", line):
            final.append(("the answer is", line))
        else:
            others.append(("the answer is", line))
    return final, others


def _answer_line(text: str, at: int) -> str:
    """The first line from ``at`` (a marker's end), read over a bounded window: linear in the text."""
    return text[at:at + _MAX_LINE].lstrip().split("\n", 1)[0].strip()


def _top_level(boxes: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    if len(boxes) < 2:
        return boxes
    kept: list[tuple[int, int, str]] = []
    for box in boxes:
        if not kept or box[0] >= kept[-1][1]:
            kept.append(box)
    return kept


def _runs(text: str, spans: list[tuple[int, int, str]], joined: bool) -> Iterator[tuple[int, str]]:
    """(end, content) of the last runs of ``spans`` (boxes or math spans), latest first, made as they are read;
    with ``joined``, spans separated only by "and", commas or spacing are one run, their contents joined by commas."""
    i = len(spans) - 1
    for _ in range(_MAX_TRIES):
        if i < 0:
            return
        j = i
        while joined and j > 0 and _one_answer_gap(text[spans[j - 1][1]:spans[j][0]]):
            j -= 1
        yield spans[i][1], (spans[i][2].strip() if j == i else ", ".join([span[2].strip() for span in spans[j:i + 1]]))
        i = j - 1


def _one_answer_gap(gap: str) -> bool:
    """True if ``gap``, the text between two boxes, says they are parts of one answer (`, `, `\\quad\\text{and}`)."""
    return len(gap) <= 80 and _BOX_GAP_RE.fullmatch(_BOX_GAP_NOISE_RE.sub(" ", gap)) is not None


def final_boxed(text: str) -> str | None:
    """The last run of boxes that make one answer (`$\\boxed{-2}$ and $\\boxed{1}$` -> `-2, 1`): a solution's gold."""
    run = next(_runs(text, _top_level(boxed_spans(text)), joined=True), None)
    return run[1].strip() if run else None


def _value_of_sentence(span: str) -> str:
    """The value a sentence after a marker states ("The largest $n$ is 34" -> `34`, "Jane started 3 hours ago" ->
    `3`); anything else, prose answers included ("$a$ is any real number, $a<0$"), is left whole."""
    if not _WORDS_RE.search(_TEXT_CMD_RE.sub("", _MATH_SPAN_RE.sub(" ", span))):
        return span
    verbs = list(_SENTENCE_VALUE_RE.finditer(span))
    head, tail = (span[:verbs[0].start()], span[verbs[0].end():].strip()) if len(verbs) == 1 else ("", "")
    # one subject and its value; clauses (`s(t)=..., maximum speed is 1`) make an explanation, kept whole
    if re.search(r"\d", tail) and not _WORDS_RE.search(_TEXT_CMD_RE.sub("", tail)) and not re.search(r"[,;=]", head):
        return tail
    numbers = _LONE_NUMBER_RE.findall(span)
    return numbers[0] if len(numbers) == 1 and not re.search(r"[$=\\]", span) else span


def _math_content(m: re.Match) -> str:
    return next(g for g in m.groups() if g is not None).strip()


def _finish(found: tuple[str | None, str], rule: str, span: str) -> Extraction:
    answer, how = found
    return Extraction(answer, f"{rule}, {how}" if how and answer is not None else rule, span)


def _is_bare(whole: str) -> bool:
    """A whole text that is only an answer: wrapped in one math span (`$Even$`), or no words outside commands."""
    for left, right in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        inner = whole[len(left):-len(right)]
        if whole.startswith(left) and whole.endswith(right) and inner.strip() and left not in inner.replace("\\$", ""):
            return True
    outside = _MATH_SPAN_RE.sub(" ", whole)
    if outside != whole:  # prose around math ("The sum is $A + B$"), however short its words
        return not re.search(r"[A-Za-z]{2,}", _TEXT_CMD_RE.sub("", outside))
    return not _WORDS_RE.search(_TEXT_CMD_RE.sub("", whole))


def _fallback(text: str, kind: AnswerKind, options: tuple[str, ...] | None) -> Extraction:
    whole = text.strip()
    short_text = kind is K.TEXT and len(whole.split()) <= 3
    if "\n" not in whole and len(whole) <= 200 and (short_text or _is_bare(whole)):
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
    text = _ERROR_RE.sub(" ", text)
    numbers = [m for m in _LONE_NUMBER_RE.finditer(text)  # `r > 17` bounds r: 17 is no answer
               if not _RELATION_RE.search(text[max(0, m.start() - 6):m.start()].rstrip()[-5:])]
    maths = [] if kind is K.NUMBER else [(m.start(), m.end(), _math_content(m)) for m in _MATH_SPAN_RE.finditer(text)]
    last_math = next(_runs(text, maths, joined=True), None)  # `$1$ and $2$` is one answer
    if last_math and (not numbers or last_math[0] >= numbers[-1].end()):
        span = last_math[1]
        found = clean_answer(span, kind, options, first_of_many=True)
        if found[0] is not None:
            return _finish(found, "last math span", span)
    if not numbers:
        return Extraction(None, "none")
    last = numbers[-1].group(0)
    value = parse_number(last, allow_units=False)
    answer = format_number(value) if value is not None else last
    return Extraction(render_list([answer], True) if kind is K.LIST else answer, "last number", last)


def clean_answer(span: str, kind: AnswerKind, options: tuple[str, ...] | None = None,
                 first_of_many: bool = False) -> tuple[str | None, str]:
    """Normalise an answer span for ``kind``; returns (answer or None, how it was read)."""
    span, kind = span.strip(), as_member(AnswerKind, kind)
    if not span:
        return None, ""
    if kind is K.NUMBER or kind is K.EXPRESSION:  # most answers: checked first
        return _number_or_expression(span, kind, first_of_many), ""
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
    text = normalize_latex(span).strip(".").strip()  # TEXT
    return (text or None), ""


def _number_or_latex(item: str) -> str:
    value = parse_number(item, allow_units=False)
    return format_number(value) if value is not None else normalize_latex(item)


def _number_or_expression(span: str, kind: AnswerKind, first_of_many: bool) -> str | None:
    if _INTEGER_RE.fullmatch(span):  # most answers: already the canonical text of their value
        return span
    value = parse_number(span)
    if value is not None:  # a percent sign is kept: `10%` also means 0.1
        return format_number(value) + ("%" if is_percent(span) else "")
    if kind is K.NUMBER and "=" in span:
        tail = span.rsplit("=", 1)[1].strip()
        value = parse_number(tail)
        if value is not None:
            return format_number(value)
        span = tail
    if kind is K.EXPRESSION or _MATHY_RE.search(span):
        return span.strip().strip("$").strip() or None
    if _RELATION_RE.search(span):  # `r > 17` states a bound, not the value 17
        return None
    numbers = _LONE_NUMBER_RE.findall(span)
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
