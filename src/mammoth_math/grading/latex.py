"""LaTeX text helpers shared by extraction and comparison: `\\boxed{}` with nested braces, light normalisation.

Pure string work, linear in the input: safe on any model output, however long or deeply nested.
"""

from __future__ import annotations

import re

_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*")
_BRACE_RE = re.compile(r"[{}]")
_TEXT_RE = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|textit)\s*\{([^{}]*)\}")
_SPACES = ("\\!", "\\,", "\\;", "\\:", "\\quad", "\\qquad", "~")


def boxed_spans(text: str) -> list[tuple[int, int, str]]:
    """Every ``\\boxed{...}`` (or ``\\boxed x``) in ``text`` as (start, end, content), braces matched in one pass."""
    boxes = list(_BOXED_RE.finditer(text))
    if not boxes:  # no brace scan at all
        return []
    # A brace pairs with the first one that closes it however many came before, so the common single box
    # is matched by reading its own content; several are matched in one pass from the first (still linear).
    first = boxes[0].end()
    closing = _matching_braces(text, first, until_closed=len(boxes) == 1)
    spans = []
    for m in boxes:
        start = m.end()
        if start < len(text) and text[start] == "{":
            if start in closing:
                spans.append((m.start(), closing[start] + 1, text[start + 1:closing[start]]))
        else:
            word = re.match(r"[^\s$]+", text[start:start + 200])
            if word:
                spans.append((m.start(), start + word.end(), word.group(0)))
    return spans


def _matching_braces(text: str, start: int = 0, until_closed: bool = False) -> dict[int, int]:
    """Position of each ``{`` from ``start`` on -> position of its ``}`` (unbalanced ones left out);
    ``until_closed``: stop once the brace at ``start`` is closed (only it, and those inside it, are needed)."""
    stack: list[int] = []
    pairs: dict[int, int] = {}
    for m in _BRACE_RE.finditer(text, start):  # visits only the braces: a long response is mostly other characters
        if m.group() == "{":
            stack.append(m.start())
        elif stack:
            pairs[stack.pop()] = m.start()
            if until_closed and not stack:
                break
    return pairs


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` in ``text`` (MATH solutions hold their answer there)."""
    spans = boxed_spans(text)
    return spans[-1][2].strip() if spans else None


_SHORT_FRAC_RE = re.compile(r"\\([dt]?frac)\s*(\\[a-zA-Z]+|\d|[a-zA-Z])\s*(\\[a-zA-Z]+|\d|[a-zA-Z])")


def tidy_latex(text: str) -> str:
    """Meaning-preserving fixes math-verify trips on: `{x}` -> `x`, `\\frac \\pi4` -> `\\frac{\\pi}{4}`, a last `.`."""
    s = text.strip()
    while s.startswith("{") and s.endswith("}") and _matching_braces(s, until_closed=True).get(0) == len(s) - 1:
        s = s[1:-1].strip()
    if s.endswith(".") and not s.endswith(".."):  # sentence punctuation, not part of the answer
        s = s[:-1].rstrip()
    return _SHORT_FRAC_RE.sub(r"\\\1{\2}{\3}", s)


def normalize_latex(text: str) -> str:
    """A canonical spelling for comparing two LaTeX answers as strings (a match here is an exact match)."""
    s = tidy_latex(text)
    if s.startswith("$") and s.endswith("$"):
        s = s.strip("$")
    if s.startswith("\\(") and s.endswith("\\)"):
        s = s[2:-2]
    if s.startswith("\\[") and s.endswith("\\]"):
        s = s[2:-2]
    for old, new in (("\\dfrac", "\\frac"), ("\\tfrac", "\\frac"), ("\\left", ""), ("\\right", ""),
                     ("^{\\circ}", ""), ("^\\circ", ""), ("\\$", ""), ("\\%", ""), ("\u2212", "-"),
                     ("\\displaystyle", "")):
        s = s.replace(old, new)
    for sp in _SPACES:
        s = s.replace(sp, "")
    s = _TEXT_RE.sub(r"\1", s)
    s = re.sub(r"\s+", "", s).rstrip(".")
    return s
