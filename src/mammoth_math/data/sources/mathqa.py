"""MathQA's PoT rows, converted deterministically from ``linear_formula`` (the CoT rows are the reader's).

The formula is a chain of calls over MathQA's operation list (``operation_list.txt``: add, divide, power,
circle_area, ...), its constants (``const_pi``, ``const_100``), the problem's numbers in order (``n0``, ``n1``)
and earlier results (``#0``, ``#1``). The program defines the operations and numbers it uses, computes the steps
and prints the value; verification keeps it when the option closest in value is the gold one.
(``annotated_formula`` renders the same chain with the numbers pasted in, and mangles ``1,000`` and ``3.50``.)
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence

from mammoth_math.benchmarks.train_sets import TrainItem
from mammoth_math.data.sources.rows import Converter

# Semantics of MathQA's operations as Python source, one definition each (argument names say the units).
# Where the meaning is not evident it follows the dataset authors' executor (new_DataStructure.py, as ported to
# trax/data/tf_inputs.py): ``log`` is base 2 (the formulas count doublings), ``gain_percent(p)`` is 100 + p,
# ``count_interval(a, b)`` is a - b + 1, ``trapezium_area`` takes the height first, a work argument is a time
# or a rate (the smaller of x and 1/x is the rate), ``permutation`` ignores argument order. The executor's
# guards (power capped at exponent 5, factorial at 15, x/0 = 0) hide bad formulas and are left out.
OPERATIONS: dict[str, str] = {
    "add": "def add(a, b):\n    return a + b",
    "subtract": "def subtract(a, b):\n    return a - b",
    "multiply": "def multiply(a, b):\n    return a * b",
    "divide": "def divide(a, b):\n    return a / b",
    "power": "def power(a, b):\n    return a ** b",
    "log": "def log(a):\n    return math.log(a, 2)",
    "sqrt": "def sqrt(a):\n    return math.sqrt(a)",
    "factorial": "def factorial(n):\n    return math.factorial(int(n))",
    "gcd": "def gcd(a, b):\n    return math.gcd(int(a), int(b))",
    "lcm": "def lcm(a, b):\n    return int(a) * int(b) // math.gcd(int(a), int(b))",
    "max": "def max(a, b):\n    return a if a > b else b",
    "min": "def min(a, b):\n    return a if a < b else b",
    "reminder": "def reminder(a, b):\n    return a % b",
    "negate": "def negate(a):\n    return -a",
    "inverse": "def inverse(a):\n    return 1 / a",
    "round": "def round(a):\n    return int(a + 0.5)",
    "floor": "def floor(a):\n    return math.floor(a)",
    "sine": "def sine(a):\n    return math.sin(a)",
    "cosine": "def cosine(a):\n    return math.cos(a)",
    "tangent": "def tangent(a):\n    return math.tan(a)",
    "radians_to_degree": "def radians_to_degree(a):\n    return a * 180 / math.pi",
    "degree_to_radians": "def degree_to_radians(a):\n    return a * math.pi / 180",
    "sum_consecutive_number": "def sum_consecutive_number(a, b):\n    return sum(range(int(a), int(b) + 1))",
    "circle_area": "def circle_area(radius):\n    return math.pi * radius ** 2",
    "circumface": "def circumface(radius):\n    return 2 * math.pi * radius",
    "circle_arc": "def circle_arc(radius, degrees):\n    return 2 * math.pi * radius * degrees / 360",
    "semi_circle_perimiter": "def semi_circle_perimiter(radius):\n    return math.pi * radius + 2 * radius",
    "circle_sector_area": "def circle_sector_area(radius, degrees):\n    return math.pi * radius ** 2 * degrees / 360",
    "rectangle_perimeter": "def rectangle_perimeter(a, b):\n    return 2 * (a + b)",
    "rectangle_area": "def rectangle_area(a, b):\n    return a * b",
    "square_perimeter": "def square_perimeter(side):\n    return 4 * side",
    "square_area": "def square_area(side):\n    return side ** 2",
    "trapezium_area": "def trapezium_area(height, a, b):\n    return height * (a + b) / 2",
    "rhombus_perimeter": "def rhombus_perimeter(side):\n    return 4 * side",
    "rhombus_area": "def rhombus_area(d1, d2):\n    return d1 * d2 / 2",
    "quadrilateral_area": "def quadrilateral_area(diagonal, h1, h2):\n    return diagonal * (h1 + h2) / 2",
    "volume_cone": "def volume_cone(radius, height):\n    return math.pi * radius ** 2 * height / 3",
    "volume_rectangular_prism": "def volume_rectangular_prism(a, b, c):\n    return a * b * c",
    "volume_cube": "def volume_cube(side):\n    return side ** 3",
    "volume_sphere": "def volume_sphere(radius):\n    return 4 / 3 * math.pi * radius ** 3",
    "volume_cylinder": "def volume_cylinder(radius, height):\n    return math.pi * radius ** 2 * height",
    "surface_cone": "def surface_cone(radius, slant):\n    return math.pi * radius * (radius + slant)",
    "surface_cylinder": "def surface_cylinder(radius, height):\n    return 2 * math.pi * radius * (radius + height)",
    "surface_cube": "def surface_cube(side):\n    return 6 * side ** 2",
    "surface_rectangular_prism":
        "def surface_rectangular_prism(a, b, c):\n    return 2 * (a * b + b * c + a * c)",
    "surface_sphere": "def surface_sphere(radius):\n    return 4 * math.pi * radius ** 2",
    "side_by_diagonal": "def side_by_diagonal(diagonal):\n    return diagonal / math.sqrt(2)",
    "cube_edge_by_volume": "def cube_edge_by_volume(volume):\n    return volume ** (1 / 3)",
    "diagonal": "def diagonal(a, b):\n    return math.sqrt(a ** 2 + b ** 2)",
    "square_edge_by_perimeter": "def square_edge_by_perimeter(perimeter):\n    return perimeter / 4",
    "square_edge_by_area": "def square_edge_by_area(area):\n    return math.sqrt(area)",
    "triangle_perimeter": "def triangle_perimeter(a, b, c):\n    return a + b + c",
    "triangle_area": "def triangle_area(base, height):\n    return base * height / 2",
    "triangle_area_three_edges": ("def triangle_area_three_edges(a, b, c):\n    s = (a + b + c) / 2\n"
                                  "    return math.sqrt(s * (s - a) * (s - b) * (s - c))"),
    "union_prob": "def union_prob(a, b, both):\n    return a + b - both",
    "negate_prob": "def negate_prob(p):\n    return 1 - p",
    "combination": "def combination(n, k):\n    return math.comb(int(n), int(k))",
    "permutation": "def permutation(a, b):\n    return math.perm(int(max(a, b)), int(min(a, b)))",
    "count_interval": "def count_interval(last, first):\n    return last - first + 1",
    "percent": "def percent(a, b):\n    return a * b / 100",
    "p_after_gain": "def p_after_gain(percent, price):\n    return price * (1 + percent / 100)",
    "p_after_loss": "def p_after_loss(percent, price):\n    return price * (1 - percent / 100)",
    "price_after_gain": "def price_after_gain(percent, price):\n    return price * (1 + percent / 100)",
    "price_after_loss": "def price_after_loss(percent, price):\n    return price * (1 - percent / 100)",
    "from_percent": "def from_percent(a):\n    return a / 100",
    "gain_percent": "def gain_percent(percent):\n    return 100 + percent",
    "loss_percent": "def loss_percent(percent):\n    return 100 - percent",
    "negate_percent": "def negate_percent(a):\n    return 100 - a",
    "original_price_before_gain": "def original_price_before_gain(percent, price):\n    return price / (1 + percent / 100)",
    "original_price_before_loss": "def original_price_before_loss(percent, price):\n    return price / (1 - percent / 100)",
    "to_percent": "def to_percent(a):\n    return a * 100",
    "speed": "def speed(distance, time):\n    return distance / time",
    "combined_work": ("def combined_work(a, b):\n    rate_a, rate_b = min(a, 1 / a), min(b, 1 / b)\n"
                      "    return 1 / (rate_a + rate_b)"),
    "find_work": ("def find_work(a, b):\n    rate_a, rate_b = min(a, 1 / a), min(b, 1 / b)\n"
                  "    return 1 / (max(rate_a, rate_b) - min(rate_a, rate_b))"),
    "speed_ratio_steel_to_stream": "def speed_ratio_steel_to_stream(a, b):\n    return (a + b) / (a - b)",
    "speed_in_still_water": "def speed_in_still_water(down, up):\n    return (down + up) / 2",
    "stream_speed": "def stream_speed(down, up):\n    return (down - up) / 2",
    "choose": "def choose(n, k):\n    return math.comb(int(n), int(k))",
}
CONSTANTS: dict[str, str] = {"const_pi": "math.pi", "const_deg_to_rad": "math.pi / 180", "const_0_2778": "0.2778",
                             "const_0_3937": "0.3937", "const_0_4535": "0.4535"}
_NUMBER_RE = re.compile(r"\d+(?:,\d+)*(?:\.\d+)?")


def problem_numbers(problem: str) -> list[str]:
    """The numbers of the problem text in order, as MathQA counts them (``n0``, ``n1``, ...), as Python literals.

    A number is a run of digits with commas and one decimal point: ``4,900`` is 4900, and ``21,36 and 66`` holds
    two numbers (``2136``, ``66``), so later indices stay where MathQA's formulas expect them. ``. 04`` yields
    ``04`` (4), as MathQA's tokenizer did: the formulas scale it back themselves (``. 005`` is ``n0 / const_1000``).
    """
    return [str(float(t)) if "." in t else str(int(t)) for t in
            (token.replace(",", "") for token in _NUMBER_RE.findall(problem))]


def formula_to_program(formula: str, problem: str) -> str | None:
    """A program that prints the value of ``formula`` for ``problem``; None if it uses unknown names.

    ``formula`` is MathQA's ``linear_formula`` (steps ``op(args)`` joined by ``|``, ``#k`` the result of step k)
    or a single nested call; step k becomes ``tk = op(...)`` and the last step ``answer``.
    """
    steps = [step.strip() for step in formula.split("|") if step.strip()]
    numbers = problem_numbers(problem)
    ops: set[str] = set()
    names: dict[str, str] = {}
    exprs: list[str] = []
    for k, step in enumerate(steps):
        source = re.sub(r"#(\d+)", r"t\1", re.sub(r"const_(\d+)\.(\d+)", r"const_\1_\2", step))
        try:
            tree = ast.parse(source, mode="eval")
        except SyntaxError:
            return None
        if not _collect(tree, k, numbers, ops, names):
            return None
        exprs.append(ast.unparse(tree))
    if not exprs:
        return None
    lines = ["import math", ""]
    lines += [OPERATIONS[op] + "\n" for op in sorted(ops)]
    lines += [f"{name} = {value}" for name, value in sorted(names.items(), key=lambda kv: _name_order(kv[0]))]
    lines += [f"t{k} = {expr}" for k, expr in enumerate(exprs[:-1])]
    lines += [f"answer = {exprs[-1]}", "print(answer)"]
    return "\n".join(lines) + "\n"


def _collect(tree: ast.Expression, step: int, numbers: list[str], ops: set[str], names: dict[str, str]) -> bool:
    """Note the operations and names of one step; False if any is unknown or refers to a later step."""
    callees = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    for node in ast.walk(tree):
        if id(node) in callees:
            continue
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in OPERATIONS:
                return False
            ops.add(node.func.id)
        elif isinstance(node, ast.Name):
            if re.fullmatch(r"t\d+", node.id):
                if int(node.id[1:]) >= step:
                    return False
                continue
            value = _name_value(node.id, numbers)
            if value is None:
                return False
            names[node.id] = value
        elif not isinstance(node, (ast.Expression, ast.Constant, ast.Load, ast.USub, ast.UnaryOp)):
            return False
    return True


def _name_value(name: str, numbers: list[str]) -> str | None:
    if re.fullmatch(r"n\d+", name):
        index = int(name[1:])
        return numbers[index] if index < len(numbers) else None
    if name in CONSTANTS:
        return CONSTANTS[name]
    m = re.fullmatch(r"const_(\d+)(?:_(\d+))?", name)
    if m:
        return f"{m.group(1)}.{m.group(2)}" if m.group(2) else m.group(1)
    return None


def _name_order(name: str) -> tuple[int, int, str]:
    return (0, int(name[1:]), "") if re.fullmatch(r"n\d+", name) else (1, 0, name)


def option_value(text: str) -> float | None:
    """The number an option states, else None.

    Read as a person reads it: ``31 / 36`` -> 0.861, ``rs . 1 , 200`` -> 1200, ``- 25`` -> -25,
    ``16 2 / 3 %`` -> 16.667, ``4 : 25`` -> 0.16 (a ratio is the quotient the formula computes),
    ``10 ^ 20`` -> 1e20, ``8 π`` -> 25.13, ``225 √ 3`` -> 389.7, ``1 hr 6 min`` -> 1.1 (hours).
    """
    text = _normalize_option(text)
    m = _VALUE_RE.search(text)
    if m is None:
        return None
    try:
        value = _magnitude(m)
    except (OverflowError, ZeroDivisionError):
        return None
    before = text[:m.start()].rstrip()
    if m.group("sign") and (not before or not (before[-1].isalnum() or before[-1] == ")")):
        value = -value
    return value


_DASHES = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2044": "/", "\u2236": ":",
                         "\u220f": "\u03c0"})  # minus, dashes, fraction slash, ratio colon; "∏" is written for π
_NUM = r"\d+(?:\.\d+)?"
_VALUE_RE = re.compile(
    rf"(?P<sign>-\s*)?(?:(?P<whole>\d+)\s+(?=\d+\s*/))?(?:(?P<a>{_NUM})(?:\s*(?P<op>[/:^])\s*(?P<b>{_NUM}))?"
    rf"(?P<pi>\s*(?:\u03c0|pi\b))?(?:\s*\u221a\s*(?P<root>{_NUM}))?|\u221a\s*(?P<bare_root>{_NUM}))")
_HOURS_MINUTES_RE = re.compile(r"(\d+)\s*(?:hours?|hrs?)\s*(?:and\s*)?(\d+)\s*(?:minutes?|mins?)\b")


def closest_option(value: float, options: Sequence[str]) -> tuple[int, float] | None:
    """The index of the option nearest in value to ``value`` and its relative distance; None when no option
    states a number. How a MathQA program's printed number names an option."""
    values = [option_value(text) for text in options]
    scored = [(abs(v - value) / max(abs(v), 1e-9), i) for i, v in enumerate(values) if v is not None]
    if not scored:
        return None
    distance, index = min(scored)
    return index, distance


def _normalize_option(text: str) -> str:
    """Unicode signs to ASCII, abbreviation dots dropped, ``1 . 5`` and ``. 5`` joined, thousands joined."""
    text = text.translate(_DASHES).lower()
    text = re.sub(r"\b([a-z]+)\s*\.", r"\1 ", text)  # "rs . 45", "sec .", a repeated label "a . 5"
    text = re.sub(r"(\d)\s*\.\s*(\d)", r"\1.\2", text)
    text = re.sub(r"(^|[^\d\s])\s*\.\s*(\d)", r"\1 0.\2", text)
    while (joined := re.sub(r"(\d)\s*,\s*(\d{3})(?!\d)", r"\1\2", text)) != text:
        text = joined
    return _HOURS_MINUTES_RE.sub(lambda m: str(int(m.group(1)) + int(m.group(2)) / 60), text)


def _magnitude(m: re.Match[str]) -> float:
    if m.group("bare_root"):
        return math.sqrt(float(m.group("bare_root")))
    a = float(m.group("a"))
    if m.group("op"):
        b = float(m.group("b"))
        a = a ** b if m.group("op") == "^" else a / b
    if m.group("whole"):
        a += float(m.group("whole"))
    if m.group("pi"):
        a *= math.pi
    if m.group("root"):
        a *= math.sqrt(float(m.group("root")))
    return a


def _formula(item: TrainItem) -> str:
    return str(item.record.data.get("linear_formula") or item.record.data.get("annotated_formula") or "")


FORMULAS = Converter(lambda item: formula_to_program(_formula(item), item.problem), "formula_not_convertible",
                     lambda item: repr(_formula(item)))
