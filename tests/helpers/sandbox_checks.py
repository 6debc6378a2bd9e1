"""Innocent programs run after an attack, and the check that each gets a clean sandbox's answer in time.

"In time" is the acceptance bound of issue 23: within the program's own timeout plus one second, whatever
the attack before it left (a wipe, a dead worker to replace): nothing of one program is charged to the next.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

# (program, answer in a clean sandbox): light and heavy (numpy/sympy) workers, every answer convention.
INNOCENT = [
    ("x = -5\nprint(abs(x), len('ab'))", "5 2"),
    ("import sys, builtins\nprint(hasattr(sys, 'planted'), hasattr(builtins, 'planted'))", "False False"),
    ("import sys, builtins, numpy\nprint(hasattr(sys, 'planted'), hasattr(builtins, 'planted'))", "False False"),
    ("print(6 * 7)", "42"),
    ("def solution():\n    return len('abcd')", "4"),
    ("import math\nprint(math.pi == 3.141592653589793, abs(-1), int('7'))", "True 1 7"),
    ("ans = sp.Rational(1, 3) + sp.Rational(1, 6)", "1/2"),
    ("print(np.arange(5).sum())", "10"),
    ("import os\nprint(sorted(os.listdir('/tmp')))", "[]"),
    ("import os, numpy\nprint(sorted(os.listdir('/tmp')))", "[]"),
    ("import os\nprint(sorted(os.listdir('/dev/shm')))", "[]"),
    ("import socket\nprint(socket.gethostname())", "sandbox"),
    # a program may still use /tmp and a few threads
    ("import os\nos.mkdir('d')\nfor i in range(50):\n    open(f'd/{i}', 'w').write('x')\nprint(len(os.listdir('d')))", "50"),
    ("from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(2) as ex:\n"
     "    print(sum(ex.map(lambda i: i * i, range(100))))", "328350"),
]


def check_innocents_in_time(sandbox, timeout: float = 5.0) -> None:
    """Each innocent program, one after another, answers as in a clean sandbox within ``timeout`` + 1 s."""
    for code, expected in INNOCENT:
        start = time.monotonic()
        result = sandbox.run(code, timeout=timeout)
        waited = time.monotonic() - start
        assert (result.answer, result.error) == (expected, None), (code, result)
        assert waited <= timeout + 1.0, f"{code!r} answered after {waited:.1f} s (limit {timeout} s + 1 s)"


def check_sessions_in_time(sandbox, timeout: float = 5.0) -> None:
    """A fresh session runs blocks with state kept and sees nothing planted, within ``timeout`` + 1 s."""
    start = time.monotonic()
    with sandbox.session(timeout=timeout) as session:
        first = session.run("x = 6\nimport sys\nprint(hasattr(sys, 'planted'))")
        second = session.run("print(x * 7)")
    waited = time.monotonic() - start
    assert (first.answer, second.answer) == ("False", "42"), (first, second)
    assert waited <= 2 * timeout + 1.0, f"the session took {waited:.1f} s"


def check_clean(sandbox) -> None:
    """After an attack: innocent programs and a session get a clean sandbox's answers in time."""
    check_innocents_in_time(sandbox)
    check_sessions_in_time(sandbox)


@contextmanager
def one_worker(timeout: float) -> Iterator:
    """One worker (with two session slots), so that what follows an attack is sure to meet what it left."""
    from mammoth_math.sandbox import Sandbox

    with Sandbox(timeout=timeout, memory_mb=256, workers=1, sessions_per_worker=2) as sandbox:
        check_clean(sandbox)
        yield sandbox
