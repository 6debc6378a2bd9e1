"""One computation, two rationales: a list of named steps rendered as CoT prose and as a PoT program.

Both renderings walk the same steps, so they cannot disagree: the prose does the arithmetic with the
digits ("245 * 37 = 9065"), the program only copies the given numbers into names and prints the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Op = Literal["add", "sub", "mul", "div"]
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


@dataclass(frozen=True)
class Given:
    """A number stated in the question, copied into a variable by the program."""

    name: str
    value: int


@dataclass(frozen=True)
class Step:
    """``name = left <op> right``; an operand is a given's or an earlier step's name, or an int literal."""

    name: str
    op: Op
    left: str | int
    right: str | int
    phrase: str  # how the prose introduces the result: "the number of cans"


@dataclass(frozen=True)
class Computation:
    givens: tuple[Given, ...]
    steps: tuple[Step, ...]
    result: tuple[str, ...]  # the names printed: one for a number, several for a list answer

    def values(self) -> dict[str, int]:
        """Every name's value; division must be exact (the generator only builds integer problems)."""
        env = {g.name: g.value for g in self.givens}
        for s in self.steps:
            a, b = _value(s.left, env), _value(s.right, env)
            if s.op == "div" and (b == 0 or a % b):
                raise ValueError(f"step {s.name}: {a} / {b} is not an exact integer division")
            env[s.name] = {"add": a + b, "sub": a - b, "mul": a * b, "div": a // b if b else 0}[s.op]
        return env

    def answer(self) -> str:
        """The gold as the grader reads it: ``9065`` or ``[37, 52]``."""
        env = self.values()
        found = [env[n] for n in self.result]
        return str(found[0]) if len(found) == 1 else "[" + ", ".join(map(str, found)) + "]"

    def cot_lines(self) -> list[str]:
        """One sentence per step, arithmetic written out with the digits."""
        env = self.values()
        return [f"{s.phrase[0].upper()}{s.phrase[1:]} is {_value(s.left, env)} {_SYMBOL[s.op]} "
                f"{_value(s.right, env)} = {env[s.name]}." for s in self.steps]

    def program(self) -> str:
        """Givens copied into variables, one operation per line, then ``print``."""
        lines = [f"{g.name} = {g.value}" for g in self.givens]
        lines += [f"{s.name} = {s.left} {_SYMBOL[s.op].replace('/', '//')} {s.right}" for s in self.steps]
        printed = self.result[0] if len(self.result) == 1 else "[" + ", ".join(self.result) + "]"
        return "\n".join(lines + [f"print({printed})"]) + "\n"


def _value(operand: str | int, env: dict[str, int]) -> int:
    return operand if isinstance(operand, int) else env[operand]
