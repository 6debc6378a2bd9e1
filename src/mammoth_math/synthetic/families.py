"""Problem families as data: each template is a frozen spec (question text, number ranges, steps).

Families follow the benchmarks MAmmoTH reports on: multi-step stories (GSM8K), unit rates and percentages,
two-variable linear systems (SimulEq) and multiple choice (AQuA, built by :mod:`.generate` from the others).
Numbers are 2-4 digits so the prose's multiplications are hard for a tiny model to do in its head.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from mammoth_math.synthetic.computation import Computation, Given, Op, Step


@dataclass(frozen=True)
class Template:
    """One question shape. ``ranges``: (name, low, high, multiple of) drawn uniformly; ``derived``: (name, op,
    left, right) computed from drawn names in order; ``hidden`` names never appear in the question."""

    text: str
    ranges: tuple[tuple[str, int, int, int], ...]
    steps: tuple[Step, ...]
    result: tuple[str, ...]
    derived: tuple[tuple[str, Op, str, str], ...] = ()
    hidden: tuple[str, ...] = ()
    kind: str = "number"

    def draw(self, rng: random.Random) -> tuple[str, Computation]:
        """The question text and its computation, for numbers drawn from ``rng``."""
        env = {name: rng.randrange(low, high + 1, step) for name, low, high, step in self.ranges}
        for name, op, left, right in self.derived:
            a, b = env[left], env[right]
            env[name] = {"add": a + b, "sub": a - b, "mul": a * b, "div": a // b}[op]
        shown = [n for n in env if n not in self.hidden]
        shown.sort(key=lambda n: self.text.index("{" + n + "}"))  # programs copy numbers in reading order
        givens = tuple(Given(n, env[n]) for n in shown)
        return self.text.format(**env), Computation(givens, self.steps, self.result)


@dataclass(frozen=True)
class Family:
    name: str
    templates: tuple[Template, ...]


_S = Step
ARITHMETIC = Family("arithmetic", (
    Template("A factory packs {boxes} boxes. Each box holds {per_box} cans. Then {shipped} cans are shipped. "
             "How many cans are left?",
             (("boxes", 120, 999, 1), ("per_box", 12, 99, 1), ("shipped", 100, 999, 1)),
             (_S("cans", "mul", "boxes", "per_box", "the number of cans"),
              _S("left", "sub", "cans", "shipped", "the number of cans left")), ("left",)),
    Template("A farm has {rows} rows with {per_row} trees in each row. The farmer plants {extra} more trees. "
             "Each tree gives {apples} apples. How many apples does the farm get?",
             (("rows", 12, 99, 1), ("per_row", 12, 99, 1), ("extra", 10, 99, 1), ("apples", 12, 49, 1)),
             (_S("trees", "mul", "rows", "per_row", "the number of trees at first"),
              _S("all_trees", "add", "trees", "extra", "the number of trees now"),
              _S("total", "mul", "all_trees", "apples", "the number of apples")), ("total",)),
    Template("A school sells {tickets} tickets at {price} dollars each. The show costs {cost} dollars. "
             "How many dollars does the school keep?",
             (("tickets", 120, 999, 1), ("price", 12, 99, 1), ("cost", 100, 999, 1)),
             (_S("income", "mul", "tickets", "price", "the money from tickets"),
              _S("kept", "sub", "income", "cost", "the money kept")), ("kept",)),
))

RATES = Family("rates", (
    Template("A pump moves {total} liters of water in {hours} hours. At the same rate, how many liters does it "
             "move in {later} hours?",
             (("rate", 12, 99, 1), ("hours", 12, 49, 1), ("later", 102, 999, 1)),
             (_S("per_hour", "div", "total", "hours", "the liters per hour"),
              _S("moved", "mul", "per_hour", "later", "the liters moved")), ("moved",),
             derived=(("total", "mul", "rate", "hours"),), hidden=("rate",)),
    Template("A store has {items} items. Then {percent}% of the items are sold. How many items are left?",
             (("items", 200, 9980, 20), ("percent", 5, 95, 5)),
             (_S("scaled", "mul", "items", "percent", "the items times the percent"),
              _S("sold", "div", "scaled", 100, "the number of items sold"),
              _S("left", "sub", "items", "sold", "the number of items left")), ("left",)),
    Template("A bike costs {price} dollars. It is on sale for {percent}% off. What is the sale price in dollars?",
             (("price", 200, 9980, 20), ("percent", 5, 95, 5)),
             (_S("scaled", "mul", "price", "percent", "the price times the percent"),
              _S("off", "div", "scaled", 100, "the discount"),
              _S("sale", "sub", "price", "off", "the sale price")), ("sale",)),
))

_LINEAR_RANGES = (("x0", 100, 999, 1), ("y0", 100, 999, 1), ("a", 2, 9, 1), ("gap", 1, 9, 1))
_LINEAR_DERIVED: tuple[tuple[str, Op, str, str], ...] = (
    ("b", "add", "a", "gap"), ("s", "add", "x0", "y0"), ("ax", "mul", "a", "x0"), ("by", "mul", "b", "y0"),
    ("t", "add", "ax", "by"))
_LINEAR_STEPS = (
    _S("scaled_sum", "mul", "a", "s", "the sum times the x coefficient"),
    _S("rest", "sub", "t", "scaled_sum", "the remainder"),
    _S("gap", "sub", "b", "a", "the difference of the coefficients"),
    _S("y", "div", "rest", "gap", "the value of y"),
    _S("x", "sub", "s", "y", "the value of x"))
_LINEAR_TEXT = "Two numbers x and y add up to {s}. Also {a} times x plus {b} times y is {t}. "


def _linear(ask: str, result: tuple[str, ...], kind: str) -> Template:
    return Template(_LINEAR_TEXT + ask, _LINEAR_RANGES, _LINEAR_STEPS, result, _LINEAR_DERIVED,
                    ("x0", "y0", "gap", "ax", "by"), kind)


LINEAR = Family("linear", (
    _linear("What is x?", ("x",), "number"),
    _linear("What is y?", ("y",), "number"),
    _linear("Find x and y.", ("x", "y"), "list"),
))

FAMILIES: tuple[Family, ...] = (ARITHMETIC, RATES, LINEAR)
CHOICE_FAMILY = "choice"  # AQuA-style: a number question from ARITHMETIC or RATES with five options
