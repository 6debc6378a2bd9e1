"""Issue 23, class 3: a task limit that holds when the host runs as root. Linux does not apply RLIMIT_NPROC
to root, and the sandbox's uid maps to the host's root: one program held 1,000 threads. Each attack starts
as many tasks as it can one way (a small stack each, so that the address-space limit is not what stops
it) and reports how many it got; innocent programs and sessions follow and must answer in time."""

from __future__ import annotations

import os

import pytest
from helpers.sandbox_checks import check_clean, one_worker

from mammoth_math.sandbox import pool
from mammoth_math.sandbox import limits as limits_module
from mammoth_math.sandbox.limits import host_limits

MOST = pool._MAX_TASKS  # no program gets more tasks than its worker's whole sandbox may hold

_COUNT = "import threading, time\nthreading.stack_size(1 << 16)\nmade = 0\ntry:\n    for _ in range(1000):\n{start}" \
         "        made += 1\nexcept (RuntimeError, OSError):\n    pass\nprint(made)\n"
BOMBS = {
    "sleeping threads": _COUNT.format(start="        threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"),
    "threads waiting on a lock": "lock = __import__('threading').Lock()\nlock.acquire()\n" + _COUNT.format(
        start="        threading.Thread(target=lock.acquire, daemon=True).start()\n"),
    "timers": _COUNT.format(start="        threading.Timer(30, print).start()\n"),
    "a thread pool": _COUNT.format(
        start="        if made == 0:\n            from concurrent.futures import ThreadPoolExecutor\n"
              "            ex = ThreadPoolExecutor(1000)\n        ex.submit(time.sleep, 30)\n"
              "        ex._adjust_thread_count()\n        if len(ex._threads) <= made:\n            break\n"),
    "threads that start threads": "import threading, time\nthreading.stack_size(1 << 16)\ncount = [0]\n"
        "def spawn():\n    try:\n        threading.Thread(target=spawn, daemon=True).start()\n        count[0] += 1\n"
        "    except RuntimeError:\n        pass\n    time.sleep(30)\nthreading.Thread(target=spawn, daemon=True).start()\n"
        "time.sleep(1)\nprint(count[0])",
    "raw clone() threads": "import ctypes, threading, time\nthreading.stack_size(1 << 16)\nlibc = ctypes.CDLL(None)\n"
        + _COUNT.format(start="        threading.Thread(target=libc.pause, daemon=True).start()\n"),
}
REFUSED = {  # processes are refused outright (seccomp); each must fail, not hang or count
    "os.fork": "import os\nos.fork()",
    "multiprocessing": "import multiprocessing\nmultiprocessing.Process(target=print).start()",
    "a process pool": "from concurrent.futures import ProcessPoolExecutor\nProcessPoolExecutor(2).submit(print).result()",
    "subprocess": "import subprocess\nsubprocess.run(['true'])",
    "os.posix_spawn": "import os\nos.posix_spawn('/usr/bin/true', ['true'], {})",
}


@pytest.fixture(scope="module")
def sb(report):
    if report.mode != "bubblewrap":
        pytest.skip(f"these attacks need bubblewrap: {report.reason}")
    limits = host_limits()
    if os.geteuid() == 0 and limits.tasks is None:
        pytest.skip(f"no task limit holds here: {limits.tasks_detail}")
    with one_worker(3.0) as sandbox:
        yield sandbox


@pytest.mark.parametrize("heavy", ["", "import numpy\n"], ids=["light", "heavy"])
@pytest.mark.parametrize("name", BOMBS)
def test_a_program_gets_no_more_tasks_than_its_sandbox_holds(sb, name, heavy):
    result = sb.run(heavy + BOMBS[name])
    assert result.answer is not None and result.answer.isdigit(), result
    assert int(result.answer) < MOST, f"{name}: {result.answer} tasks"
    check_clean(sb)


@pytest.mark.parametrize("name", BOMBS)
def test_a_session_gets_no_more_tasks_than_its_sandbox_holds(sb, name):
    with sb.session() as session:
        result = session.run(BOMBS[name])
    assert result.answer is not None and result.answer.isdigit(), result
    assert int(result.answer) < MOST, f"{name}: {result.answer} tasks"
    check_clean(sb)


def test_a_sessions_threads_between_calls_are_held_too(sb):
    """Threads a block leaves running count while the session lives: a second block gets no more."""
    with sb.session() as session:
        first = session.run(BOMBS["sleeping threads"])
        second = session.run(BOMBS["sleeping threads"])
    assert int(first.answer) + int(second.answer) < MOST, (first, second)
    check_clean(sb)


@pytest.mark.parametrize("name", REFUSED)
def test_processes_are_refused_not_counted(sb, name):
    result = sb.run(REFUSED[name])
    assert result.answer is None and result.error is not None, result
    check_clean(sb)


def test_sandbox_check_reports_the_task_limit(report):
    assert report.active("tasks"), report.detail("tasks")
    assert "threads" in report.detail("tasks")


def test_a_root_host_without_a_pids_cgroup_says_that_tasks_are_not_limited(monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("only a root host needs the cgroup")
    monkeypatch.setattr(limits_module, "_own_pids_cgroup", lambda: None)
    tasks, detail = limits_module._probe_tasks()
    assert tasks is None and detail.startswith("NOT LIMITED") and "RLIMIT_NPROC" in detail, detail
