"""The symbolic worker pool under load: a timeout covers queueing, ordinary calls are not starved by hard
ones, and no worker outlives the grading process. Liveness is checked with generous join bounds, never timings.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from mammoth_math.grading import AnswerKind, GradeConfig, rule_verdict
from mammoth_math.grading.symbolic import GraderBusy, SymbolicPool

HARD = {"op": "verify", "gold": "7", "pred": "10^{10^{11}}"}  # sympy works on this for minutes
LIVENESS = 90.0  # far above any timeout used here plus worker restarts: only a real hang exceeds it
SRC = Path(__file__).resolve().parents[2] / "src"


def _wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + LIVENESS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_a_call_waiting_for_a_busy_worker_gives_up_at_its_own_deadline() -> None:
    pool = SymbolicPool(1)
    try:
        assert pool.call({"op": "ping"}, timeout=LIVENESS) == {"result": True}
        hard = threading.Thread(target=pool.call, args=(HARD, LIVENESS), daemon=True)
        hard.start()
        _wait_until(lambda: pool._idle.qsize() == 0, "the hard call never took the worker")
        with pytest.raises(GraderBusy):
            pool.call({"op": "ping"}, timeout=0.5)
        assert hard.is_alive(), "the short call must give up while the hard one still holds the only worker"
    finally:
        pool.close()


def test_a_worker_past_its_deadline_is_killed_and_replaced() -> None:
    pool = SymbolicPool(1)
    try:
        assert pool.call(HARD, timeout=1.0) is None
        assert pool.call({"op": "verify", "gold": "\\sqrt{8}", "pred": "2\\sqrt{2}"}, LIVENESS) == {"result": True}
    finally:
        pool.close()


def test_ordinary_calls_keep_their_deadline_while_four_threads_grade_hard_inputs() -> None:
    """Issue 12's acceptance: 4 threads on pathological inputs, a fifth on ordinary ones."""
    stop = threading.Event()
    hard_config = GradeConfig(AnswerKind.EXPRESSION, timeout=2.0)

    def grade_hard(i: int) -> None:
        n = 11
        while not stop.is_set():
            rule_verdict(f"10^{{10^{{{n}}}}}+{i}", "7", hard_config)  # a new pair each time: never a cache hit
            n += 1

    hard = [threading.Thread(target=grade_hard, args=(i,), daemon=True) for i in range(4)]
    for t in hard:
        t.start()
    ordinary = [(f"\\sqrt{{{4 * k * k * 2}}}", f"{2 * k}\\sqrt{{2}}", True) for k in range(2, 8)]
    ordinary += [(f"(x+{k})^2", f"x^2+{2 * k}x+{k * k + 1}", False) for k in range(2, 8)]
    ordinary += [("18.0", "18", True), ("19", "18", False)]
    verdicts: list = []
    worker = threading.Thread(target=lambda: verdicts.extend(
        rule_verdict(p, g, GradeConfig(AnswerKind.EXPRESSION, timeout=3.0)) for p, g, _ in ordinary), daemon=True)
    try:
        worker.start()
        worker.join(LIVENESS)  # the old single worker made each of these calls wait for minutes
        assert not worker.is_alive(), "an ordinary call waited past its deadline"
    finally:
        stop.set()
    for (p, g, expected), verdict in zip(ordinary, verdicts, strict=True):
        assert verdict.correct is expected or verdict.method in ("busy", "timeout"), (p, g, verdict)
    assert verdicts[-2].correct and not verdicts[-1].correct, "plain numbers never wait for a worker"
    for t in hard:
        t.join(LIVENESS)


def _live_children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` and that are not zombies."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_no_worker_outlives_a_sigkilled_grading_process() -> None:
    script = textwrap.dedent("""
        import sys, threading
        from mammoth_math.grading import AnswerKind, is_equivalent
        is_equivalent("\\\\sqrt{8}", "2\\\\sqrt{2}", AnswerKind.EXPRESSION, timeout=60)  # workers up
        for i in range(4):  # hard inputs in threads: workers busy at 100% CPU, restarted from the spawner
            threading.Thread(target=lambda i=i: [is_equivalent(f"10^{{10^{{{11 + i + 4 * k}}}}}", "7",
                             AnswerKind.EXPRESSION, timeout=600) for k in range(1000)], daemon=True).start()
        print("ready", flush=True)
        threading.Event().wait()
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
               MAMMOTH_GRADING_WORKERS="2")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, env=env, text=True)
    try:
        assert proc.stdout.readline().strip() == "ready"
        _wait_until(lambda: len(_live_children(proc.pid)) >= 2, "the grading workers never started")
        workers = _live_children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        _wait_until(lambda: not any(_alive(w) for w in workers), "a grading worker outlived its parent")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
