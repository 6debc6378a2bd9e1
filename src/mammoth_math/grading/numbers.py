"""Plain numbers: parse `1,000`, `$18`, `18%`, `\\frac{1}{2}`, `4e-05` exactly, and compare them by our rules.

This is the fast path: no sympy, no process hop. Values are exact ``Fraction``s, and only numbers of
bounded size are accepted (``MAX_DIGITS``), so nothing here can build or print an unbounded integer;
anything bigger goes to the guarded symbolic worker instead.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from functools import lru_cache

MAX_DIGITS = 300  # longer numerals, or exponents beyond this, leave the fast path
NOISE = Fraction(1, 10**8)  # relative float noise still accepted for an integer gold (18.000000000000004)

_DECIMAL = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_DECIMAL_RE = re.compile(_DECIMAL)
_PLAIN_RE = re.compile(r"-?\d{1,30}(?:\.\d{1,30})?")
_THOUSANDS_RE = re.compile(r"([-+]?\d{1,3}(?:,\d{3})+)(\.\d+)?")
_FRAC_RE = re.compile(r"(-?)\\[dt]?frac\{\s*(-?[\d.]+)\s*\}\{\s*(-?[\d.]+)\s*\}")
_FRAC_SHORT_RE = re.compile(r"(-?)\\[dt]?frac(\d)(\d)")
_SLASH_RE = re.compile(rf"({_DECIMAL})\s*/\s*({_DECIMAL})")
_TIMES_TEN_RE = re.compile(rf"({_DECIMAL})\s*(?:\\times|\\cdot|\*|x|×)\s*10\s*\^\s*\{{?\s*([-+]?\d+)\s*\}}?")
# A unit after a number: `\\text{ cm}`, ` dollars`, one in braces (`4{cm}`, `144{m}^3`; one letter only if a unit),
# or a length, area, volume or mass unit glued on (`22.1cm^{2}`, `3ft`; never one letter: `6m` may be a variable).
_UNIT_WORDS = re.compile(r"\s*(?:\\(?:text\w*|mbox|mathrm)\s*\{[^{}]*\}|\{\s*(?:[a-zA-Z]{2,}|[mgsL])[a-zA-Z\s]*\}"
                         r"|\s[a-zA-Z]{2,}[a-zA-Z.\s]*|(?<=\d)(?:[cmk]m|ft|in|yd|mi|kg|mg|ml|mL)(?![a-zA-Z]))"
                         r"(?:\^\{?[23]\}?|[²³])?$")
_PERCENT_WORD_RE = re.compile(r"\s*(?:percent(?:age)?|pct)\.?$")
_MATH_WORDS = {"pi", "sqrt", "ln", "log", "sin", "cos", "tan", "exp", "or", "and", "to", "times", "over", "plus",
               "minus", "divided", "percent", "i"}
_WRAPPERS = ("\\$", "$", "\\(", "\\)", "\\!", "\\,", "\\;", "\\ ", "{,}", "\u00a0")
NUMBER_RE = re.compile(r"-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\.\d+")


def _decimal(text: str) -> Fraction | None:
    mantissa = text.lower().split("e")[0].lstrip("+-")
    if len(mantissa) > MAX_DIGITS:
        return None
    try:
        d = Decimal(text)
    except InvalidOperation:
        return None
    if not d.is_finite() or abs(d.as_tuple().exponent) > MAX_DIGITS:
        return None
    return Fraction(d)


def _ratio(a: str, b: str) -> Fraction | None:
    num, den = _decimal(a), _decimal(b)
    if num is None or den is None or den == 0:
        return None
    return num / den


def clean_number_text(text: str) -> tuple[str, bool]:
    """Strip what surrounds a number (`$`, `\\$`, units, `\\%`); returns the core and whether it was a percent."""
    s = text.strip().replace("\u2212", "-").replace("\u2013", "-")
    for w in _WRAPPERS:
        s = s.replace(w, "" if w not in ("\\ ",) else " ")
    s = _PERCENT_WORD_RE.sub("%", s.strip().rstrip(".").strip())
    percent = s.endswith("%")
    s = s.replace("\\%", "").rstrip("%").strip()
    for unit in ("^\\circ", "^{\\circ}", "°"):
        s = s.replace(unit, "")
    s = re.sub(r"^\\(?:text|mathrm|textbf|mathbf)\{(.*)\}$", r"\1", s).strip()
    if s.startswith("{") and s.endswith("}") and s.count("{") == 1:
        s = s[1:-1].strip()
    return s, percent


@lru_cache(maxsize=65_536)  # a gold or a common answer is parsed once, however many times it is graded
def parse_number(text: str, allow_units: bool = True) -> Fraction | None:
    """The exact value of ``text`` if it is one plain number (percent signs and units dropped), else None."""
    if len(text) > 4 * MAX_DIGITS:
        return None
    if _PLAIN_RE.fullmatch(text):  # the common case, `18` or `-0.25`: nothing to clean, no Decimal
        whole, _, decimals = text.partition(".")
        return Fraction(int(whole + decimals), 10 ** len(decimals)) if decimals else Fraction(int(whole))
    s, _ = clean_number_text(text)
    if allow_units and not _DECIMAL_RE.fullmatch(s):
        unit = _UNIT_WORDS.search(s)
        stripped = s[:unit.start()].strip() if unit else s
        words = set(re.findall(r"[a-zA-Z]+", unit.group(0).lower())) if unit else set()
        if stripped != s and not words & _MATH_WORDS and re.search(r"\d", stripped):
            s = stripped
    if s.startswith("-(") and s.endswith(")"):
        inner = parse_number(s[2:-1], allow_units=False)
        return -inner if inner is not None else None
    m = _THOUSANDS_RE.fullmatch(s)
    if m:
        return _decimal(m.group(1).replace(",", "") + (m.group(2) or ""))
    if _DECIMAL_RE.fullmatch(s):
        return _decimal(s)
    for pattern in (_FRAC_RE, _FRAC_SHORT_RE):
        m = pattern.fullmatch(s)
        if m:
            value = _ratio(m.group(2), m.group(3))
            return -value if value is not None and m.group(1) else value
    m = _SLASH_RE.fullmatch(s)
    if m:
        return _ratio(m.group(1), m.group(2))
    m = _TIMES_TEN_RE.fullmatch(s)
    if m and abs(int(m.group(2))) <= MAX_DIGITS:
        base = _decimal(m.group(1))
        return base * Fraction(10) ** int(m.group(2)) if base is not None else None
    return None


def is_percent(text: str) -> bool:
    return ("%" in text or "per" in text or "pct" in text) and clean_number_text(text)[1]


def format_number(value: Fraction) -> str:
    """Canonical text: `18`, `-0.25`, `1/3` (exact; decimals only when they terminate)."""
    if value.denominator == 1:
        return str(value.numerator)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    sign = "-" if value < 0 else ""
    digits = str(abs(value.numerator) * 10**places // value.denominator).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


def decimal_places(text: str) -> int | None:
    """How many decimals a gold was written with (`0.33` -> 2); None for fractions and integers."""
    s, _ = clean_number_text(text)
    m = re.fullmatch(r"[-+]?\d*\.(\d+)", s.replace(",", ""))
    return len(m.group(1)) if m else None


@lru_cache(maxsize=65_536)  # read from the gold on every comparison
def rounded_places(text: str) -> int | None:
    """The decimals of a gold that the half-unit rule reads as rounded (`583.3333` -> 4), or None.

    Only golds of three or more significant figures: an answer key writes `2.14` for 2.1369... and `0.866` for
    sqrt(3)/2, but a key of one or two figures (`0.03`, `2.5`, `0.042`) is usually the value a question asked to
    round to, or an exact one, and half its last unit is 1.5% to 17% of it: 0.0273 is not the 0.03 asked for.
    """
    places = decimal_places(text)
    if places is None:
        return None
    digits = re.sub(r"\D", "", clean_number_text(text)[0]).lstrip("0")
    return places if len(digits) >= 3 else None


def numbers_match(pred: Fraction, gold: Fraction, rel_tol: float | None = None,
                  gold_places: int | None = None, percent: bool = False) -> bool:
    """Our rules: integer golds exactly (bar float noise); others within ``rel_tol`` (default 1e-4) or, given
    ``gold_places`` (:func:`rounded_places`), within half a unit of the gold's last decimal. ``percent`` also
    accepts pred = gold*100 or /100."""
    candidates = [gold, gold * 100, gold / 100] if percent else [gold]
    return any(_match_one(pred, g, rel_tol, gold_places if g is gold else None) for g in candidates)


def _match_one(pred: Fraction, gold: Fraction, rel_tol: float | None, gold_places: int | None) -> bool:
    if pred == gold:  # most answers graded: no Fraction arithmetic (each step reduces by a gcd: microseconds)
        return True
    if gold.denominator == 1:  # |pred - gold| <= NOISE * max(1, |gold|), cross-multiplied into integers
        gap = abs(pred.numerator - gold.numerator * pred.denominator)
        return gap * NOISE.denominator <= NOISE.numerator * max(1, abs(gold.numerator)) * pred.denominator
    diff = abs(pred - gold)
    tol = Fraction(rel_tol if rel_tol is not None else 1e-4)
    if diff <= tol * abs(gold):
        return True
    return gold_places is not None and diff <= Fraction(1, 2 * 10**gold_places)
