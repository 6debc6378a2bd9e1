"""Colon forms in process: times of day (`4:30 p.m.`, `16:30`) and ratios (`3:4`), which sympy cannot read.

A side written with a.m. or p.m. is a time of day, and a time of day equals only another one at the same minute
of the day (`10 a.m.` is `10:00 a.m.`): a side without a.m./p.m. may be either half (`4:30`), or a 24-hour time
(`16:30` is 4:30 p.m.); against anything that is no time of day (`4:30p..`, `270`) it is unequal. Two bare
`a:b` forms are ratios, equal when ``a*d == b*c`` (as the symbolic worker decides them). Anything else gives None.
"""

from __future__ import annotations

import re

_WRAP_RE = re.compile(r"\\(?:text|mathrm|mbox|textrm)\s*\{([^{}]*)\}")
_SPACE_RE = re.compile(r"\s+|\\[!,;: ]|~")
_TIME_RE = re.compile(r"(\d{1,2})(?::(\d{2}))?(?:([ap])\.?m\.?)?", re.IGNORECASE)  # `4:30 p.m.`, `4 p.m.`, `16:30`
_RATIO_RE = re.compile(r"(\d{1,9}):(\d{1,9})")
_HALF_RE = re.compile(r"\d\s*(?:\\[a-z]+\s*\{\s*)?[ap]\.?\s*m\b", re.IGNORECASE)  # `30 p.m`, `30\text{ PM`, `30pm`


def colon_equal(answer: str, gold: str) -> bool | None:
    """True/False for a time of day or two ratios (see the module docstring); None when neither is one."""
    if ":" not in answer and ":" not in gold:
        return None
    a, g = _compact(answer), _compact(gold)
    if _HALF_RE.search(answer) or _HALF_RE.search(gold):
        a_minutes, g_minutes = _minutes_of_day(a), _minutes_of_day(g)
        return bool(a_minutes and g_minutes and a_minutes & g_minutes)
    return _same_ratio(a, g)


def _compact(text: str) -> str:
    return _SPACE_RE.sub("", _WRAP_RE.sub(r"\1", text))


def _minutes_of_day(text: str) -> set[int]:
    """The minutes after midnight ``text`` may name: one for `4:30 p.m.` or `16:30`, two for `4:30`; none if it
    is no time of day."""
    m = _TIME_RE.fullmatch(text)
    if not m or not (m[2] or m[3]) or int(m[2] or 0) > 59:  # a bare `16` is a number, not a time
        return set()
    hour, minute, half = int(m[1]), int(m[2] or 0), (m[3] or "").lower()
    if half:
        return {(hour % 12 + (12 if half == "p" else 0)) * 60 + minute} if 1 <= hour <= 12 else set()
    if hour > 23:
        return set()
    hours = {hour} if hour == 0 or hour > 12 else {hour % 12, hour % 12 + 12}
    return {h * 60 + minute for h in hours}


def _same_ratio(a: str, g: str) -> bool | None:
    ma, mg = _RATIO_RE.fullmatch(a), _RATIO_RE.fullmatch(g)
    if not ma or not mg or int(ma[2]) == 0 or int(mg[2]) == 0:
        return None
    return int(ma[1]) * int(mg[2]) == int(ma[2]) * int(mg[1])
