"""LaTeX text helpers shared by extraction and comparison: `\\boxed{}` with nested braces, light normalisation.

Pure string work, linear in the input: safe on any model output, however long or deeply nested.
"""

from __future__ import annotations

import re

_BOXED_RE = re.compile(r"\\(?:boxed|fbox)\s*")
_TEXT_RE = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|textit)\s*\{([^{}]*)\}")
_SPACES = ("\\!", "\\,", "\\;", "\\:", "\\quad", "\\qquad", "~")


def boxed_spans(text: str) -> list[tuple[int, str]]:
    """Every ``\\boxed{...}`` (or ``\\boxed x``) in ``text`` as (position, content), braces matched."""
    spans = []
    for m in _BOXED_RE.finditer(text):
        start = m.end()
        if start < len(text) and text[start] == "{":
            depth, i = 0, start
            while i < len(text):
                if text[i] == "{":
                    depth += 1
                elif text[i] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            if depth == 0:
                spans.append((m.start(), text[start + 1:i]))
        else:
            word = re.match(r"[^\s$]+", text[start:])
            if word:
                spans.append((m.start(), word.group(0)))
    return spans


def last_boxed(text: str) -> str | None:
    """The content of the last ``\\boxed{...}`` in ``text`` (MATH solutions hold their answer there)."""
    spans = boxed_spans(text)
    return spans[-1][1].strip() if spans else None


def normalize_latex(text: str) -> str:
    """A canonical spelling for comparing two LaTeX answers as strings (a match here is an exact match)."""
    s = text.strip()
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
