"""Issue 15: persistent sessions. One problem's blocks share one process (names persist, exceptions do
not end it); a timeout, crash or memory overrun ends it; nothing one session does reaches another
session or a single run; the worker stays usable whatever a session does; bad input becomes data."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from mammoth_math.sandbox import ExecResult, Sandbox, notebook_output

FRAME = "import os, struct\ndef report(body):\n    os.write(3, struct.pack('>I', len(body)) + body)\n"


@pytest.fixture(scope="module")
def one(report):
    """One session worker holding at most three sessions: concurrent sessions share it for sure."""
    if report.mode != "bubblewrap":
        pytest.skip(f"session isolation needs bubblewrap: {report.reason}")
    with Sandbox(timeout=2.0, memory_mb=256, workers=1, sessions_per_worker=3) as sb:
        yield sb


def _session_workers(sb: Sandbox) -> list[int]:
    return [w.worker.proc.pid for w in sb._sessions.workers]


def _clean(sb: Sandbox) -> None:
    """A fresh session and a single run give a clean sandbox's answers, on the same session worker."""
    workers = _session_workers(sb)
    with sb.session() as s:
        r = s.run("import sys, builtins, os\nprint(hasattr(sys, 'planted'), hasattr(builtins, 'planted'), "
                  "'secret' in globals(), os.listdir('/tmp'))")
    assert (r.stdout, r.error) == ("False False False []\n", None), r
    assert sb.run("print(6 * 7)").answer == "42"
    assert _session_workers(sb) == workers, "a session worker had to be replaced"


# --- notebook semantics

def test_state_persists_across_calls(sandbox):
    with sandbox.session() as s:
        blocks = ["x = 6\nprint(x)", "import sympy as sp\nt = sp.Symbol('t')\ndef f(n):\n    return n * x",
                  "print(f(7), sp.solve(t**2 - 4, t))"]
        results = [s.run(b) for b in blocks]
        assert [(r.stdout, r.error) for r in results] == [("6\n", None), ("", None), ("42 [-2, 2]\n", None)]
        assert s.alive


def test_an_exception_leaves_the_session_alive(sandbox):
    with sandbox.session() as s:
        s.run("x = 1")
        failed = s.run("print('before')\nprint(y)")
        assert failed.error == "NameError: name 'y' is not defined" and s.alive
        assert notebook_output(failed) == "before\nNameError: name 'y' is not defined"
        assert s.run("print(x + 1)").stdout == "2\n"
        exited = s.run("import sys\nsys.exit(3)")
        assert exited.error == "SystemExit: 3" and s.alive and s.run("print(x)").stdout == "1\n"


def test_closing_ends_the_process(one):
    with one.session() as s:
        pid = s.run("import os\nprint(os.getpid())").answer
        s.close()
        s.close()  # idempotent
        assert not s.alive and s.run("print(1)").error.startswith("SessionEnded")
    with one.session() as other:
        assert other.run(f"import os\nprint(os.path.exists('/proc/{pid}'))").answer == "False"


# --- isolation between sessions, and from single runs

def test_state_never_leaks_to_another_session(one):
    with one.session() as a, one.session() as b:
        planted = a.run("import sys, builtins, numpy as np\nsecret = 'abc'\nsys.planted = builtins.planted = 1\n"
                        "np.pi = 3\nprint(secret)")
        assert planted.stdout == "abc\n"
        seen = b.run("import sys, builtins\nprint('secret' in globals(), hasattr(sys, 'planted'), "
                     "hasattr(builtins, 'planted'), np.pi == 3)")
        assert (seen.stdout, seen.error) == ("False False False False\n", None)
        assert a.run("print(secret, np.pi)").stdout == "abc 3\n"
    _clean(one)


WRITES = [
    "open('/tmp/planted', 'w')", "open('/tmp/planted', 'a')", "open('/tmp/planted', 'x')",
    "import os\nos.open('/tmp/planted', os.O_CREAT | os.O_RDONLY)", "import os\nos.mkdir('/tmp/d')",
    "import os\nos.mkfifo('/tmp/fifo')", "import os\nos.symlink('/usr', '/tmp/l')", "import tempfile\ntempfile.mkstemp()",
    "import os\nos.open('/dev/null', os.O_RDWR)", "import os\nos.truncate('/dev/null', 0)",
    "import os\nos.rename('/tmp', '/tmp2')", "import os\nos.chmod('/tmp', 0)",
]


@pytest.mark.parametrize("code", WRITES)
def test_a_session_creates_and_writes_no_file(one, code):
    """Sessions on one worker share its /tmp: no file may be made there, so none can pass between them."""
    with one.session() as s:
        result = s.run(code)  # tempfile: "no usable temporary directory" (FileNotFoundError)
        assert result.error is not None and result.error.startswith(("PermissionError", "FileNotFound")), result
        assert s.alive and s.run("import os\nprint(os.listdir('/tmp'))").stdout == "[]\n"
    _clean(one)


# Reads every readable mapping of the process for a marker that another session printed, held or sent:
# a process that passed such text on (or the capture it wrote into) would hand it down through a fork.
SCAN = """
import ctypes
found = []
for line in open('/proc/self/maps'):
    parts = line.split()
    lo, hi = (int(x, 16) for x in parts[0].split('-'))
    if 'r' not in parts[1] or hi - lo > 1 << 30 or parts[-1].startswith('[v'):  # vvar, vsyscall: unreadable
        continue
    data = ctypes.string_at(lo, hi - lo)
    at = data.find(b'LEAK')
    while at >= 0:
        if data[at + 4:at + 10] in (b'OUTOUT', b"' + 'S", b'SRCSRC'):
            found.append(data[at:at + 12])
        at = data.find(b'LEAK', at + 1)
print(found)
"""


def test_a_session_inherits_no_other_sessions_data(one):
    """Session processes come from a fork server that never handles a session's code or output, and a
    slot's pipes and capture are emptied before its next session."""
    with one.session() as a:
        assert a.run("secret = 'LEAK' + 'SRC' * 3\nprint('LEAK' + 'OUT' * 300)").error is None
        with one.session() as b:
            assert b.run(SCAN, timeout=30).stdout == "[]\n"
    with one.session() as c, one.session() as d, one.session() as e:
        assert [s.run(SCAN, timeout=30).stdout for s in (c, d, e)] == ["[]\n"] * 3


def test_sessions_and_single_runs_do_not_share_tmp(one):
    """Single runs may write /tmp: they run in other sandboxes, with a /tmp (a tmpfs) of their own."""
    code = "import os\nopen('/tmp/from-run', 'w').write('x')\nprint(os.stat('/tmp').st_dev)"
    run = one.run(code)
    with one.session() as s:
        seen = s.run("import os\nprint(os.stat('/tmp').st_dev, os.path.exists('/tmp/from-run'))")
    assert run.error is None and seen.error is None
    assert seen.answer.split()[1] == "False" and seen.answer.split()[0] != run.answer


SIGNALS = [
    "os.kill(pid, 9)", "os.kill(pid, 19)",
    "import ctypes, platform\nlibc = ctypes.CDLL(None, use_errno=True)\n"  # tgkill
    "if libc.syscall({'x86_64': 234, 'aarch64': 131}[platform.machine()], pid, pid, 9) != 0:\n"
    "    raise PermissionError(ctypes.get_errno())",
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.ptrace(16, pid, 0, 0) != 0:\n"
    "    raise PermissionError(ctypes.get_errno())",
    "open(f'/proc/{pid}/mem', 'rb').read(1)", "open(f'/proc/{pid}/environ', 'rb').read(1)",
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(8)\n"
    "local = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 8)\nremote = (ctypes.c_void_p * 2)(0x400000, 8)\n"
    "if libc.process_vm_readv(pid, local, 1, remote, 1, 0) == -1:\n    raise PermissionError(ctypes.get_errno())",
    "import os\nos.setpriority(os.PRIO_PROCESS, pid, 19)",
]


@pytest.mark.parametrize("code", SIGNALS)
def test_a_session_cannot_signal_or_read_another(one, code):
    with one.session() as victim, one.session() as attacker:
        pid = victim.run("import os\nvalue = 7\nprint(os.getpid())").answer
        result = attacker.run(f"import os\npid = {pid}\n{code}")
        assert result.error is not None and result.error.startswith(("PermissionError", "OSError", "ProcessLookup")), result
        assert victim.run("print(value)").stdout == "7\n" and victim.alive


# --- what a single run refuses, a session refuses too

@pytest.mark.parametrize("code", [
    "import os\nos.fork()", "import subprocess\nsubprocess.run(['true'])",
    "import socket\nsocket.socket()", "import socket\nsocket.create_connection(('127.0.0.1', 22), 1)",
    "open('/etc/passwd').read()", f"open({__file__!r}).read()", "import os\nos.listdir('/home')",
])
def test_processes_sockets_and_host_files_are_refused(sandbox, code):
    with sandbox.session() as s:
        result = s.run(code)
        assert result.error is not None and result.error.startswith(
            ("PermissionError", "OSError", "FileNotFoundError", "BlockingIOError")), result
        assert s.alive and s.run("print(1)").stdout == "1\n"


# --- what ends a session; the worker stays usable

@pytest.mark.parametrize("code, error", [
    ("import time\ntime.sleep(3600)", "Timeout"),
    ("while True:\n    pass", "Timeout"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)", "Crash"),
    ("import os\nos._exit(0)", "Exit"),
    ("x = bytearray(1 << 30)", "MemoryError"),
    (FRAME + "report(b'{\"error\": 5}')", "BadReport"),
    (FRAME + "os.write(3, b'\\xff\\xff\\xff\\xff' + b'x' * 70000)", "BadReport"),
    ("import os, time\nos.close(3)\ntime.sleep(3600)", "Timeout"),
    ("import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)", "Timeout"),
])
def test_a_timeout_crash_or_overrun_ends_the_session(one, code, error):
    with one.session() as s:
        s.run("x = 1")
        result = s.run(code, timeout=1.0)
        assert result.error.startswith(error), result
        assert not s.alive and s.run("print(x)").error.startswith("SessionEnded")
    _clean(one)


def test_a_session_that_stops_reading_cannot_wedge_the_worker(one):
    """A 1 MB block to a session whose request pipe nobody reads: the worker's clock still ends the call."""
    with one.session() as s, one.session() as other:
        # the request pipe (fd 4) stays open under another number while the session waits on an empty pipe
        stalled = s.run("import os\n_kept = os.dup(4)\n_r, _w = os.pipe()\nos.dup2(_r, 4)")
        assert stalled.ok, stalled
        result = s.run("x = '" + "a" * (1 << 20) + "'", timeout=1.0)
        assert result.error is not None and not s.alive, result
        answer = other.run("print(2)", timeout=30.0)  # a loaded machine is no reason to fail the other session
        assert answer.stdout == "2\n", answer
    _clean(one)


def test_a_session_closed_mid_call_frees_its_worker(one):
    with one.session() as s:
        s.run("x = 1")
        box: list[ExecResult] = []
        call = threading.Thread(target=lambda: box.append(s.run("while True:\n    pass", timeout=60)))
        call.start()
        time.sleep(0.5)  # most likely mid-call; a close that comes first ends the call just the same
        s.close()
        call.join()
        assert box[0].error.startswith("SessionEnded") and not s.alive
    sessions = [one.session() for _ in range(3)]  # the worker's whole capacity is free again
    assert [s.run(f"print({i})").stdout for i, s in enumerate(sessions)] == ["0\n", "1\n", "2\n"]
    for s in sessions:
        s.close()
    _clean(one)


def test_sessions_beyond_capacity_wait_for_a_slot(one):
    held = [one.session() for _ in range(3)]
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(lambda: one.session())
        held[0].close()  # frees the slot the waiting session takes
        late = waiting.result(timeout=60)
        assert late.alive and late.run("print(5)").stdout == "5\n"
        late.close()
    for s in held[1:]:
        s.close()


def test_a_hundred_concurrent_sessions_on_two_workers(sandbox):
    """Every tenth problem's second block hangs or crashes: the others' calls go on meanwhile."""
    hostile = ["while True:\n    pass", "import os\nos._exit(1)"]

    def problem(i: int) -> list[str]:
        second = hostile[i // 10 % 2] if i % 10 == 0 else "import numpy as np\nb = np.int64(a) ** 2"
        with sandbox.session(timeout=1.0 if i % 10 == 0 else 30.0) as s:
            return [s.run(b).stdout for b in (f"a = {i}", second, "print(b + a)", "print(undefined)", "print(a)")]

    with ThreadPoolExecutor(100) as pool:
        outputs = list(pool.map(problem, range(100)))
    assert outputs == [["", "", "", "", ""] if i % 10 == 0 else ["", "", f"{i * i + i}\n", "", f"{i}\n"]
                       for i in range(100)]


# --- bad input is data

def test_bad_input(sandbox):
    with sandbox.session() as s:
        big = s.run("x = '" + "a" * (1 << 20) + "'\nprint(len(x))")
        assert big.stdout == f"{1 << 20}\n"
        flood = s.run("print('y' * 10_000_000)\nprint('end')")
        assert flood.stdout_truncated and flood.stdout.endswith("end\n") and len(flood.stdout) < 100_000
        shown = notebook_output(flood)
        assert len(shown) < 2100 and "characters cut] ..." in shown and shown.endswith("end")
        binary = s.run("import sys\nprint('\\udcff\\x00\\x01', b'\\xff')\nsys.stdout.write('\\ud800')")
        assert binary.error is None and "\x00\x01 b'\\xff'" in binary.stdout
        assert s.run(b"print(1)\n\xff\xfe").error.startswith("UnicodeDecodeError")
        assert s.run("").error.startswith("EmptyProgram")
        assert s.alive and s.run("print(len(x))").stdout == f"{1 << 20}\n"


# --- what the model is shown

@pytest.mark.parametrize("result, shown", [
    (ExecResult("42\n", None, False, "42", 0.0), "42"),
    (ExecResult("", "NameError: name 'x' is not defined", False, None, 0.0), "NameError: name 'x' is not defined"),
    (ExecResult("1\n2\n", "ZeroDivisionError: division by zero", False, None, 0.0),
     "1\n2\nZeroDivisionError: division by zero"),
    (ExecResult("", "Timeout: the program ran past the 2 s time limit", True, None, 0.0),
     "Timeout: the program ran past the 2 s time limit"),
    (ExecResult("", None, False, None, 0.0), ""),
])
def test_notebook_output(result, shown):
    assert notebook_output(result) == shown


def test_notebook_output_keeps_head_and_tail():
    text = "".join(f"{i}\n" for i in range(1000))
    shown = notebook_output(ExecResult(text, None, False, None, 0.0), limit=100)
    cut = len(text.rstrip("\n")) - 100
    assert shown == f"{text[:50]}\n... [{cut} characters cut] ...\n{text.rstrip(chr(10))[-50:]}"


def test_a_session_capacity_out_of_range_is_refused():
    with pytest.raises(ValueError, match="sessions_per_worker"):
        Sandbox(sessions_per_worker=0)


def test_a_dead_session_worker_ends_its_sessions_and_is_replaced(one):
    with one.session() as s:
        s.run("x = 1")
        dead = s._worker
        dead.kill()  # as if the sandbox itself died: every session on it ends, none hangs
        for _ in range(3000):  # the kill lands asynchronously: a call sent before it may still be answered
            if dead.dead:
                break
            time.sleep(0.01)
        result = s.run("print(x)")
        assert result.error is not None and not s.alive, result
    with one.session() as fresh:  # a new worker took its place
        assert fresh.run("print(3)").stdout == "3\n" and one._sessions.workers[0] is not dead


def test_a_thread_left_running_between_calls_disturbs_no_one_else(one):
    """A block may leave a thread behind (notebook semantics); one that floods the report pipe is read
    and dropped between calls, and forges only its own session's report, which ends that session."""
    with one.session() as noisy, one.session() as other:
        noisy.run("import os, threading\ndef flood():\n    while True:\n        os.write(3, b'x' * 4096)\n"
                  "threading.Thread(target=flood, daemon=True).start()")
        assert [other.run(f"print({i})").stdout for i in range(20)] == [f"{i}\n" for i in range(20)]
        result = noisy.run("print(1)")  # or the block that started it already got the forged report
        assert result.error.startswith(("BadReport", "SessionEnded: an earlier block ended it (BadReport")), result
        assert not noisy.alive
    _clean(one)


def test_sandbox_check_reports_session_isolation(one, report):
    assert report.active("sessions"), report.detail("sessions")
