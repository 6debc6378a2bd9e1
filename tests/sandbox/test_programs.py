"""Ordinary programs: the three answer conventions, fences, unicode, floats, sympy, silence, bad input."""

from __future__ import annotations

import threading

import pytest

from mammoth_math.sandbox import Sandbox
from mammoth_math.sandbox.program import unwrap_fences


@pytest.mark.parametrize("code,answer,source", [
    ("x = 3\nprint(x * 4)", "12", "print"),
    ("print('first')\nprint(2)\nprint('  ')\n", "2", "print"),
    ("ans = 7 * 6", "42", "variable"),
    ("def solution():\n    return 10 // 3", "3", "solution"),
    ("def solution():\n    print('from inside')", "from inside", "print"),
    ("ans = 5\nprint('printed wins')", "printed wins", "print"),
    ("ans = 1\ndef solution():\n    return 2", "1", "variable"),
    ("from sympy import Rational\nans = Rational(1, 2)", "1/2", "variable"),
    ("import sympy as sp\nx = sp.symbols('x')\nprint(sp.solve(x**2 - 4, x))", "[-2, 2]", "print"),
    ("ans = sp.sqrt(8)", "2*sqrt(2)", "variable"),  # the preamble's sympy alias
    ("ans = 0.1 + 0.2", "0.30000000000000004", "variable"),
    ("ans = 1e-20", "1e-20", "variable"),
    ("ans = np.float64(2.5)", "2.5", "variable"),
    ("ans = Fraction(3, 4)", "3/4", "variable"),
    ("print('π ≈', round(math.pi, 2))", "π ≈ 3.14", "print"),
    ("ans = '答案'", "答案", "variable"),
    ("ans = 'x\\ud800'", "x?", "variable"),  # a lone surrogate cannot be written as UTF-8: replaced
])
def test_answer_conventions(sandbox, code, answer, source):
    r = sandbox.run(code)
    assert (r.error, r.answer, r.answer_source) == (None, answer, source), r


def test_program_that_prints_nothing(sandbox):
    r = sandbox.run("x = 1 + 1")
    assert r.ok and r.answer is None and r.answer_source is None and r.stdout == ""


@pytest.mark.parametrize("text", [
    "Here is the code:\n```python\nprint(5)\n```\nThe answer is 5.",
    "```py\nx = 2\n```\nthen\n```python\nprint(x + 3)\n```\n```output\n5\n```",
    "```\nprint(5)\n```",
    "```python\nprint(5)",  # generation cut before the closing fence
])
def test_markdown_fences_are_unwrapped(sandbox, text):
    assert sandbox.run(text).answer == "5"


def test_unwrap_keeps_plain_code():
    assert unwrap_fences("print(1)\n") == "print(1)\n"


def test_huge_integer_answer_is_an_error_not_a_hang(sandbox):
    r = sandbox.run("ans = 10 ** 100000")
    assert r.answer is None and r.error.startswith("ValueError"), r


def test_error_and_traceback(sandbox):
    r = sandbox.run("x = [1]\nprint('before')\ny = x[3]")
    assert r.error == "IndexError: list index out of range" and r.answer is None
    assert r.stdout == "before\n" and 'File "<program>", line 3' in r.stderr


@pytest.mark.parametrize("code,error", [
    (b"print('\xff\xfe')", "UnicodeDecodeError"),
    ("", "EmptyProgram"),
    ("   \n\n", "EmptyProgram"),
    ("```python\n```", "EmptyProgram"),
    ("def f(:\n  pass", "SyntaxError"),
    ("print(1)\x00", "SyntaxError"),
    ("print('unterminated", "SyntaxError"),
])
def test_bad_input_gives_a_clear_error(sandbox, code, error):
    r = sandbox.run(code)
    assert r.error is not None and r.error.startswith(error), r
    assert sandbox.run("print(1)").answer == "1"


def test_bytes_program_runs(sandbox):
    assert sandbox.run("print('é')".encode()).answer == "é"


def test_ten_megabyte_program(sandbox):
    code = "x = 0\n" + "x += 1\n" * (10 * 1024 * 1024 // 7) + "print(x)\n"
    r = sandbox.run(code, timeout=30)
    assert r.answer == str(code.count("x += 1")) or r.error.startswith(("MemoryError", "Timeout")), r
    assert sandbox.run("print(1)").answer == "1"


def test_no_state_leaks_between_programs(sandbox):
    assert sandbox.run("import math, builtins, sympy\nmath.pi = 3\nbuiltins.abs = None\nsympy.pi = 3\n"
                       "import sys\nsys.modules['json'] = None\nans = 1").ok
    for _ in range(4):  # reaches every worker
        r = sandbox.run("import json\nprint(math.pi == 3.141592653589793, abs(-1), sympy.pi != 3, json.dumps(1))")
        assert r.answer == "True 1 True 1", r


def test_run_many_keeps_input_order(sandbox):
    codes = [f"print({i} ** 2)" for i in range(40)] + ["while True: pass"]
    results = sandbox.run_many(codes, progress=False, timeout=1.0)
    assert [r.answer for r in results[:40]] == [str(i * i) for i in range(40)]
    assert results[40].timed_out


def test_run_is_thread_safe(sandbox):
    out: dict[int, str | None] = {}

    def go(i: int) -> None:
        out[i] = sandbox.run(f"print({i} * 3)").answer

    threads = [threading.Thread(target=go, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == {i: str(i * 3) for i in range(12)}


def test_custom_preamble_and_limits():
    with Sandbox(timeout=1.0, memory_mb=64, workers=1, preamble="import math as m\nK = 7\n") as sb:
        assert sb.run("print(m.floor(K / 2))").answer == "3"
        assert sb.run("print(sympy)").error == "NameError: name 'sympy' is not defined"
        assert sb.run("x = bytearray(200 * 1024 ** 2)").memory_exceeded


def test_bad_preamble_raises():
    from mammoth_math.sandbox import SandboxError

    with pytest.raises(SandboxError, match="ZeroDivisionError"):
        Sandbox(workers=1, preamble="1 / 0").start()
