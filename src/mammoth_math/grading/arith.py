"""Small LaTeX arithmetic in process: the fast path between plain numbers and the symbolic worker.

Parses the answers most graders send to sympy (`187.5+1`, `2^{10}`, `1\\cdot (40)`, `3\\sqrt{10}`, `\\frac{x+2}{7}+1`)
with the precedence math-verify uses (juxtaposition binds tighter than `/`: `1/2x` is 1/(2x); a mixed number
`1\\frac{1}{10}` is 11/10; powers chain left to right). :func:`exact_value` is a rational value when the text has
only numbers and rational operations; :func:`differ` says two expressions are certainly different because their
values at a few points disagree; :func:`identical` that they are the same rational function of their names,
constants and roots. Anything else (another command, a relation, a comma) gives None, and the worker decides.
Inputs are bounded (``MAX_LEN`` characters, powers of ``MAX_BITS``), so nothing here can hang.
"""

from __future__ import annotations

import cmath
import random
import re
from collections.abc import Callable
from fractions import Fraction

MAX_LEN = 200
MAX_BITS = 4000  # an exact power whose result would need more bits goes to the worker
PROBES = ({"x": 0.5731}, {"x": 1.3917}, {"x": 2.2467})  # positive points: no branch cut is crossed
_RNG = random.Random(28)  # the points of :func:`identical`; seeded, so verdicts repeat
_APART = 1e-6  # relative: far above float noise in these short expressions, far below a real difference

_TOKEN_RE = re.compile(r"\s*(?:\d+(?:\.\d*)?|\.\d+|\\(?:[dtc]?frac|sqrt|pi|cdot|times|div)(?![a-zA-Z])|[a-zA-Z]"
                       r"|[-+*/^(){}\[\]])")
_DROP = ("\\left", "\\right", "\\!", "\\,", "\\;", "\\ ", "\\$", "^\\circ", "^{\\circ}", "\\%")  # as normalize_latex
Node = tuple


class _Unknown(Exception):
    """Text outside the arithmetic this module reads."""


def _tokens(text: str) -> list[str]:
    for drop in _DROP:
        text = text.replace(drop, " " if drop == "\\ " else "")
    out, pos, text = [], 0, text.strip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            raise _Unknown
        out.append(m.group(0).strip())
        pos = m.end()
    return out


class _Parser:
    """expr := term (('+'|'-') term)*; term := juxt (('*'|'/'|\\cdot|\\times|\\div) juxt)*; juxt := signed power+."""

    def __init__(self, tokens: list[str]):
        self.toks, self.i = tokens, 0

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, expected: str | None = None) -> str:
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise _Unknown
        self.i += 1
        return tok

    def expr(self) -> Node:
        node = self.term()
        while self.peek() in ("+", "-"):
            node = (self.take(), node, self.term())
        return node

    def term(self) -> Node:
        node = self.juxt()
        while self.peek() in ("*", "/", "\\cdot", "\\times", "\\div"):
            op = "/" if self.take() in ("/", "\\div") else "*"
            node = (op, node, self.juxt())
        return node

    def juxt(self) -> Node:
        if self.peek() in ("-", "+"):
            sign = self.take()
            node = self.juxt()
            return ("neg", node) if sign == "-" else node
        node = self.power()
        while self.peek() is not None and self.peek() not in ("+", "-", "*", "/", "\\cdot", "\\times", "\\div",
                                                               ")", "}", "]"):
            nxt = self.power()
            if node[0] == "num" and nxt[0] == "frac" and nxt[1][0] == nxt[2][0] == "num":  # 1\frac{1}{10}
                node = ("+", node, nxt)
            elif node[0] == "num" and nxt[0] == "num":  # `2 3` is no product anyone writes
                raise _Unknown
            else:
                node = ("*", node, nxt)
        return node

    def power(self) -> Node:
        node = self.atom()
        while self.peek() == "^":
            self.take()
            node = ("^", node, self.atom())
        return node

    def group(self) -> Node:
        self.take("{")
        node = self.expr()
        self.take("}")
        return node

    def arg(self) -> Node:
        """A command's argument: a group, or one token (`\\frac12`, `\\frac9{5}`, `\\sqrt7`, `\\frac\\pi4`)."""
        tok = self.peek()
        if tok == "{":
            return self.group()
        if tok is not None and tok[0].isdigit() and len(tok) > 1:  # `12` after `\frac` is two arguments
            self.toks[self.i:self.i + 1] = [tok[0], tok[1:]]
        return self.atom()

    def atom(self) -> Node:
        tok = self.take()
        if tok[0].isdigit() or tok[0] == ".":
            return ("num", Fraction(tok))
        if tok in ("(", "{"):
            node = self.expr()
            self.take(")" if tok == "(" else "}")
            return node
        if tok.endswith("frac"):
            return ("frac", self.arg(), self.arg())
        if tok == "\\sqrt":
            index = None
            if self.peek() == "[":
                self.take()
                index = self.expr()
                self.take("]")
            return ("root", self.arg(), index or ("num", Fraction(2)))
        if tok == "\\pi" or tok in ("e", "i"):  # Euler's number and the imaginary unit, as math-verify reads them
            return ("const", tok)
        if tok.isalpha():
            return ("var", tok)
        raise _Unknown


def parse(text: str) -> Node | None:
    """The tree of ``text`` if it is small arithmetic this module reads, else None."""
    if len(text) > MAX_LEN or "=" in text or "," in text:
        return None
    try:
        parser = _Parser(_tokens(text))
        node = parser.expr()
        return node if parser.peek() is None else None
    except _Unknown:
        return None


def _exact(node: Node, symbols: dict | None = None) -> Fraction:
    """The rational value of ``node``; with ``symbols``, every name, constant and root is an unknown given a random
    rational value (the same one wherever it recurs), else they are not rational and raise."""
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "neg":
        return -_exact(node[1], symbols)
    if kind in ("+", "-", "*", "/", "frac"):
        a, b = _exact(node[1], symbols), _exact(node[2], symbols)
        if kind == "+":
            return a + b
        if kind == "-":
            return a - b
        if kind == "*":
            return a * b
        if b == 0:
            raise _Unknown
        return a / b
    if kind == "^":
        base, exp = _exact(node[1], symbols), _exact(node[2])  # an exponent with a name is no rational function
        size = max(abs(base.numerator), base.denominator).bit_length()
        if exp.denominator != 1 or abs(exp) * size > MAX_BITS or (base == 0 and exp < 0):
            raise _Unknown
        return base ** int(exp)
    if symbols is None:
        raise _Unknown  # roots, constants and names are not rational
    if node not in symbols:
        symbols[node] = Fraction(_RNG.randrange(10**6, 10**9), _RNG.randrange(10**3, 10**6))
    return symbols[node]


def exact_value(text: str) -> Fraction | None:
    """The rational value of ``text`` when it has only numbers and + - * / ^ (`0 + -13.5` -> -27/2), else None."""
    node = parse(text)
    if node is None:
        return None
    try:
        return _exact(node)
    except (_Unknown, ZeroDivisionError, OverflowError):
        return None


def identical(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` are the same rational function of their names, constants and roots (`0 + x^2 + x`
    and `x(x+1)`; `1\\cdot(-11+27i)` and `-11+27i`): equal at random rational points, which two different ones of
    this size are with probability under 1e-12 (Schwartz-Zippel). False means "not shown equal"."""
    na, nb = parse(a), parse(b)
    if na is None or nb is None:
        return False
    tried = 0
    for _ in range(4):
        symbols: dict = {}
        try:
            if _exact(na, symbols) != _exact(nb, symbols):
                return False
        except (_Unknown, ZeroDivisionError, OverflowError):
            continue
        tried += 1
    return tried >= 2


def _numeric(node: Node, point: dict[str, float]) -> complex:
    kind = node[0]
    ops: dict[str, Callable[[complex, complex], complex]] = {
        "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
        "frac": lambda a, b: a / b, "^": lambda a, b: a ** b, "root": lambda a, n: a ** (1 / n)}
    if kind == "num":
        return complex(float(node[1]))
    if kind == "neg":
        return -_numeric(node[1], point)
    if kind == "const":
        return {"\\pi": complex(cmath.pi), "e": complex(cmath.e), "i": 1j}[node[1]]
    if kind == "var":
        return complex(point.get(node[1], point["x"] + (ord(node[1]) % 32) * 0.1173))  # each name its own value
    return ops[kind](_numeric(node[1], point), _numeric(node[2], point))


def _has_names(node: Node) -> bool:
    return node[0] == "var" or any(isinstance(child, tuple) and _has_names(child) for child in node[1:])


def float_value(text: str) -> float | None:
    """The real value of a closed form with no names (`\\frac{\\sqrt{3}}{2}`), in floating point, else None."""
    node = parse(text)
    if node is None or _has_names(node):  # a name has no value
        return None
    try:
        value = _numeric(node, PROBES[0])
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    return value.real if cmath.isfinite(value) and abs(value.imag) <= 1e-12 * max(1.0, abs(value)) else None


def differ(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` certainly differ: at some probe point both have finite values relatively more than
    ``_APART`` apart. False means "not shown different", never "equal"."""
    na, nb = parse(a), parse(b)
    if na is None or nb is None:
        return False
    for point in PROBES:
        try:
            va, vb = _numeric(na, point), _numeric(nb, point)
        except (ZeroDivisionError, OverflowError, ValueError):
            continue
        if not all(map(cmath.isfinite, (va, vb))):
            continue
        if abs(va - vb) > _APART * max(abs(va), abs(vb)):
            return True
    return False
