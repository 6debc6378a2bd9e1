"""Pure programs (several per fork) and the light/heavy worker split: fast paths that must change nothing."""

from __future__ import annotations

import pytest

from mammoth_math.sandbox import Sandbox
from mammoth_math.sandbox._pure import parse_pure

TAKEN = {"np", "sympy", "math", "Fraction"}


@pytest.mark.parametrize("code", [
    "x = 48 / 2\ny = 48 + x\nanswer = y\nprint(round(answer, 4) if isinstance(answer, float) else int(answer))",
    "ans = (3 + 4) ** 2 // 5",
    "a, b = 1, 2\nprint(a + b, sep='', end='\\n')",
    "total = 0\ntotal += 5\nprint(f'{total:.2f}')",
    "print(max(1, 2), min([3, 4]), abs(-2), divmod(7, 2), sum((1, 2)))",
])
def test_straight_line_arithmetic_is_pure(code):
    assert parse_pure(code, TAKEN) is not None


@pytest.mark.parametrize("code", [
    "print(().__class__.__bases__)",          # attributes: the way out of any restricted namespace
    "import os",
    "from math import pi\nprint(pi)",
    "print(open('x').read())",
    "exec('print(1)')",
    "print(getattr(1, 'real'))",
    "print(globals())",
    "print(1, file=None)",
    "a = [1]\nprint(*a)",
    "x = [1]\nx[0] = 2",
    "def f():\n    return 1\nprint(f())",
    "for i in range(3):\n    print(i)",
    "print((lambda: 1)())",
    "__builtins__ = None",
    "print(np)",                               # a preamble name: it would mean something else here
    "print(undefined_name)",                   # not assigned: the preamble might bind it
    "x = 1 +",                                 # a syntax error goes the ordinary way and is reported there
    "x = 1\n" * 6000,                          # too long to check
])
def test_anything_else_is_not_pure(code):
    assert parse_pure(code, TAKEN) is None


@pytest.fixture(scope="module")
def one_worker():
    with Sandbox(timeout=2.0, memory_mb=256, workers=1) as sb:
        yield sb


def test_pure_programs_share_a_fork_but_not_their_names(one_worker):
    assert one_worker.run("secret = 41\nprint(secret + 1)").answer == "42"
    leaked = one_worker.run("print(secret)")
    assert leaked.error == "NameError: name 'secret' is not defined"
    assert one_worker.run("ans = 7 / 2").answer == "3.5"


def test_a_pure_program_after_a_timeout_or_memory_error_gets_a_sound_child(one_worker):
    assert one_worker.run("print(pow(2, 10 ** 12))", timeout=0.5).timed_out
    assert one_worker.run("x = 2\nprint(x * 3)").answer == "6"
    assert one_worker.run("s = 'a' * 10 ** 10").memory_exceeded
    assert one_worker.run("print(len('abc'))").answer == "3"


def test_cpu_time_limits_count_from_what_the_reused_child_already_used(one_worker):
    """Each program gets its full CPU budget on top of what earlier programs in the same fork used."""
    for _ in range(3):  # ~0.12 s of CPU each, in one child
        assert one_worker.run("print(pow(7, 10 ** 6) % 1000)", timeout=1.0).answer == "1"
    assert one_worker.run("print(pow(7, 10 ** 6) % 1000)", timeout=1.0).answer == "1"
    endless = one_worker.run("print(pow(3, 10 ** 12) % 7)", timeout=1.0)
    assert endless.timed_out or (endless.error or "").startswith("CPULimit")
    assert one_worker.run("print(2)").answer == "2"


def test_programs_naming_the_heavy_preamble_see_it(one_worker):
    assert one_worker.worker_info["heavy_worker"]
    assert one_worker.run("print(np.arange(4).sum())").answer == "6"
    assert one_worker.run("x = ｎｐ.pi\nprint(round(x, 2))").answer == "3.14"  # NFKC: the same name
    assert one_worker.run("import mpmath\nprint(mpmath.mpf(1) / 4)").answer == "0.25"  # a module only it loaded
    assert one_worker.run("print(Fraction(1, 3) + 1)").answer == "4/3"  # the light worker's own import


def test_a_custom_preamble_binding_splits_by_name():
    with Sandbox(timeout=2.0, workers=1, preamble="import math as m\nimport numpy\nK = 7\n") as sb:
        assert sb.run("print(K * m.floor(2.5))").answer == "14"
        assert sb.run("print(m.floor(2.5))").answer == "2"


def test_a_standard_library_preamble_needs_no_heavy_worker():
    with Sandbox(timeout=2.0, workers=1, preamble="import math\nfrom fractions import Fraction\n") as sb:
        assert not sb.worker_info["heavy_worker"]
        assert sb.run("print(Fraction(1, 2) + math.floor(1.5))").answer == "3/2"


@pytest.mark.parametrize("share", [True, False])
def test_pure_programs_share_a_fork_unless_asked_not_to(share):
    """Observable through CPU time: a program run in the fork of a pure one sees the time that one used."""
    cpu = "import resource\nu = resource.getrusage(resource.RUSAGE_SELF)\nprint(u.ru_utime + u.ru_stime)"
    with Sandbox(timeout=5.0, workers=1, share_pure_forks=share) as sb:
        assert sb.run("print(pow(7, 10 ** 6) % 1000)").answer == "1"  # pure, ~0.1 s of CPU
        assert (float(sb.run(cpu).answer) > 0.05) == share
