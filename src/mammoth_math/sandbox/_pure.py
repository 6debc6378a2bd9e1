"""Which programs cannot change the process they run in: the ones a child may run one after another.

A forked child is thrown away after its program because a program can change anything in its process
(builtins, modules, files, threads). A program built only from the nodes below can reach nothing but
its own fresh globals and a few builtins that have no side effects beyond printing: no attributes, no
imports, no function definitions, no loops, no names of the preamble. Straight-line arithmetic, the
most common program-of-thought, is such a program; running several in one child (still locked down,
limited and killed on timeout) saves a fork and an exit per program. Standard library only.
"""

from __future__ import annotations

import ast
from collections.abc import Container

# Builtins a pure program may name: none of them can reach state outside its arguments, and print
# writes only to the program's own captured stdout (``file=`` is refused below).
BUILTINS = frozenset({"abs", "bool", "divmod", "float", "int", "isinstance", "len", "max", "min", "pow", "print",
                      "round", "str", "sum"})
MAX_SOURCE = 10_000  # characters; longer programs are run the ordinary way
_NODES = (ast.Module, ast.Assign, ast.AugAssign, ast.Expr, ast.Pass, ast.Name, ast.Load, ast.Store, ast.Constant,
          ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword, ast.Tuple, ast.List,
          ast.JoinedStr, ast.FormattedValue, ast.operator, ast.unaryop, ast.boolop, ast.cmpop)
_PRINT_KEYWORDS = frozenset({"sep", "end"})


def parse(source: str) -> ast.Module | None:
    """The program's tree, or None when it is too long to check or does not parse (the ordinary path then
    compiles the source and reports the error, the same way as always)."""
    if len(source) > MAX_SOURCE:
        return None
    try:
        return ast.parse(source, "<program>")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def is_pure(tree: ast.Module, taken: Container[str]) -> bool:
    """Whether the program is pure. ``taken``: names the preamble binds, which a pure program must not use
    (it runs without the preamble, so such a name would mean something else)."""
    assigned: set[str] = set()
    loaded: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            return False
        if isinstance(node, ast.Name):
            if node.id.startswith("__") or node.id in taken:
                return False
            (assigned if isinstance(node.ctx, ast.Store) else loaded).add(node.id)
        elif isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in BUILTINS:
                return False
            if any(k.arg not in _PRINT_KEYWORDS or node.func.id != "print" for k in node.keywords):
                return False
    return loaded <= assigned | BUILTINS


def parse_pure(source: str, taken: Container[str]) -> ast.Module | None:
    """The program's tree when it is pure, else None."""
    tree = parse(source)
    return tree if tree is not None and is_pure(tree, taken) else None
