"""GSM8K's PoT rows, converted deterministically from the calculator notes (the CoT rows are the reader's).

``notes_to_program`` turns ``Natalia sold 48/2 = <<48/2=24>>24 clips in May.`` into a straight-line
program (``clips_in_may = 48 / 2``) whose later steps refer to earlier results by name, and which prints
the answer. The sandbox benchmark and the data builder both use it.
"""

from __future__ import annotations

import ast
import keyword
import re

from mammoth_math.benchmarks.train_sets import NOTE_RE, TrainItem, final_answer
from mammoth_math.data.sources.rows import Converter

_PLAIN_RE = re.compile(r"([\d$(.][\d$,.%()\s+\-*/×−x]*[\d)%])\s*=\s*\$?-?\d[\d,]*(?:\.\d+)?(%?)")
_UNIT_RE = re.compile(r"(\d%?)\s+(?!x\b)[A-Za-z]+(?:/[A-Za-z]+)?\s*(?=[-+*/×−=])")  # "42 minutes + 10" -> "42 + 10"
_NUMBER_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?|\.\d+)(?![\w.])")
_WORD_RE = re.compile(r"[A-Za-z]+")
_STOP = {"a", "an", "the", "of", "and", "or", "to", "in", "for", "is", "are", "was", "were", "so", "she", "he",
         "they", "it", "his", "her", "their", "that", "this", "which", "will", "would", "has", "have", "each",
         "on", "at", "by", "with", "from", "than", "then", "there", "more", "be", "if", "as", "total"}
_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Add, ast.Sub, ast.Mult, ast.Div,
            ast.Pow, ast.Mod, ast.FloorDiv, ast.USub, ast.UAdd, ast.Load)


def notes_to_program(solution: str) -> str | None:
    """A Python program computing the answer step by step from the ``<<expr=result>>`` notes, or None.

    None when there are no notes, a note is not plain arithmetic, or no step yields the final ``#### N``.
    """
    answer = final_answer(solution)
    steps: list[tuple[str, str, float]] = []  # (name, python expression, value)
    used: set[str] = set()
    for line in solution.split("####")[0].split("\n"):
        found = [(m.group(1), line[m.end():], True) for m in NOTE_RE.finditer(line)]
        if not found:
            # Some steps are written out without a note ("20/4 = $5", "42 minutes + 10 minutes = 52"): read those
            # too, skipping what is not arithmetic. A percent result ("40% + 20% = 60%") stays in percent units.
            plain = _UNIT_RE.sub(r"\1 ", line)
            found = [(f"({m.group(1)}) * 100" if m.group(2) else m.group(1), plain[m.end():], False)
                     for m in _PLAIN_RE.finditer(plain)]
        for note, after, is_note in found:
            expr = _python_expr(note)
            value = _evaluate(expr) if expr is not None else None
            if value is None and is_note:
                return None
            if value is None or (not is_note and not re.search(r"\d\s*[-+*/]", expr)):
                continue
            expr = _name_earlier_results(expr, steps)
            name = _unique(_variable_name(after, len(steps) + 1), used)
            steps.append((name, expr, value))
    if not steps or answer is None:
        return None
    target = _as_float(answer)
    chosen = next((s for s in reversed(steps) if target is not None and _close(s[2], target)), None)
    if chosen is None:
        return None
    lines = [f"{name} = {expr}" for name, expr, _ in steps[: steps.index(chosen) + 1]]
    lines.append(f"answer = {chosen[0]}")
    lines.append("print(round(answer, 4) if isinstance(answer, float) and answer != int(answer) else int(answer))")
    return "\n".join(lines) + "\n"


def _python_expr(note: str) -> str | None:
    expr = note.replace(",", "").replace("$", "").replace("^", "**").replace("x", "*").replace("×", "*").replace("−", "-")
    expr = expr.replace("÷", "/").strip()
    expr = re.sub(r"(\d+(?:\.\d+)?)\s*%", r"(\1/100)", expr)
    expr = re.sub(r"(?<![\d.])0+(?=\d)", "", expr)  # 08 is a syntax error in Python 3
    return expr or None


def _evaluate(expr: str) -> float | None:
    """Value of a plain arithmetic expression, checked by walking its AST (never exec'd here)."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return None
    if not all(isinstance(node, _ALLOWED) and not isinstance(node, ast.Name) for node in ast.walk(tree)):
        return None
    try:
        value = _eval_node(tree.body)
    except (ArithmeticError, ValueError, OverflowError):
        return None
    return float(value) if isinstance(value, (int, float)) and abs(value) < 1e15 else None


def _eval_node(node: ast.AST) -> float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.UnaryOp):
        v = _eval_node(node.operand)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = _eval_node(node.left), _eval_node(node.right)
        if isinstance(node.op, ast.Pow) and abs(b) > 64:
            raise ValueError("exponent too large")
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b,
               ast.Pow: lambda: a ** b, ast.Mod: lambda: a % b, ast.FloorDiv: lambda: a // b}
        return ops[type(node.op)]()
    raise ValueError("not arithmetic")


def _name_earlier_results(expr: str, steps: list[tuple[str, str, float]]) -> str:
    """Replace a literal equal to an earlier step's result by that step's name (latest first)."""
    def sub(m: re.Match) -> str:
        value = float(m.group(1))
        for name, _, result in reversed(steps):
            if _close(result, value) and value not in (0.0, 1.0):
                return name
        return m.group(1)

    return _NUMBER_RE.sub(sub, expr)


def _variable_name(text_after: str, index: int) -> str:
    """A snake_case name from the words after the result ("24 clips in May" -> ``clips_in_may``)."""
    text = re.sub(r"^[\s$]*[-\d.,/%]*", "", text_after)
    words = []
    for word in _WORD_RE.findall(re.split(r"[.,;:!?]", text)[0])[:5]:
        word = word.lower()
        if word in _STOP and not words:
            continue
        words.append(word)
        if len(words) == 3:
            break
    while words and words[-1] in _STOP:
        words.pop()
    name = "_".join(words)
    return name if name.isidentifier() and not keyword.iskeyword(name) else f"step_{index}"


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used or candidate in ("answer", "print", "round", "int", "isinstance", "float"):
        candidate, n = f"{name}_{n}", n + 1
    used.add(candidate)
    return candidate


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def _program(item: TrainItem) -> str | None:
    return notes_to_program(str(item.record.data["answer"]))


NOTES = Converter(_program, "notes_not_convertible",
                  lambda item: "calculator notes are missing, not arithmetic, or never reach the answer")
