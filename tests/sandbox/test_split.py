"""The light/heavy worker split: a fast path that must change nothing a program sees."""

from __future__ import annotations

import pytest

from mammoth_math.sandbox import Sandbox


@pytest.fixture(scope="module")
def one_worker():
    with Sandbox(timeout=2.0, memory_mb=256, workers=1) as sb:
        yield sb


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


def test_every_program_gets_a_fresh_process(one_worker):
    """No program runs in the process of the one before: the CPU time seen starts near zero each time."""
    cpu = "import resource\nu = resource.getrusage(resource.RUSAGE_SELF)\nprint(u.ru_utime + u.ru_stime)"
    assert one_worker.run("print(pow(7, 10 ** 6) % 1000)").answer == "1"  # ~0.1 s of CPU
    assert float(one_worker.run(cpu).answer) < 0.05
