"""Issue 12: hostile programs that try to escape the seccomp filter, take over their worker, leave
state for later programs, signal other processes or wedge the worker. Each attack runs, then innocent
programs run and must give the answers a clean sandbox gives, with no worker replaced (a replaced
worker means an answer missed the host's deadline of the program's limit plus one second)."""

from __future__ import annotations

import platform

import pytest
from helpers.sandbox_checks import INNOCENT

from mammoth_math.sandbox import Sandbox, _process

# Besides itself a program sees at most its worker and that one's fork server, the other worker (light or
# heavy) and its fork server, and the two spare children (the next one is forked while it runs): a
# process an attack left behind would make a seventh.
PROCESSES = "import os\nprint(len([p for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]) <= 6)"
# Finds every other process in the sandbox (the workers, their spare children): the attacks' targets.
OTHERS = "import os\nothers = [int(p) for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]\n"
X86_64 = platform.machine() == "x86_64"


@pytest.fixture(scope="module")
def sb(report):
    """One worker, so that the programs after an attack are sure to meet whatever it left behind. The
    host gives it one second past each program's limit: a later answer replaces the worker, which
    ``_attack`` counts as a failure (so every answer arrives within its timeout plus one second)."""
    if report.mode != "bubblewrap":
        pytest.skip(f"these attacks need bubblewrap: {report.reason}")
    with pytest.MonkeyPatch.context() as mp, Sandbox(timeout=2.0, memory_mb=256, workers=1) as sandbox:
        mp.setattr(_process, "GRACE_S", 1.0)
        _check_innocents(sandbox)
        yield sandbox


def _check_innocents(sandbox) -> None:
    codes = [c for c, _ in INNOCENT] + [PROCESSES, PROCESSES + "\nimport numpy"]
    expected = [a for _, a in INNOCENT] + ["True", "True"]
    results = sandbox.run_many(codes * sandbox.workers)
    assert [(r.answer, r.error) for r in results] == [(a, None) for a in expected * sandbox.workers]


def _attack(sandbox, code: str, timeout: float = 2.0):
    """Run ``code``, then check that innocent programs on every worker get a clean sandbox's answers and
    that no worker had to be replaced; the attack's result, for more checks."""
    workers = [w.proc.pid for w in sandbox._all]
    result = sandbox.run(code, timeout=timeout)
    _check_innocents(sandbox)
    assert [w.proc.pid for w in sandbox._all] == workers, "a worker had to be replaced"
    return result


def _heavy(code: str) -> str:
    """The same attack routed to the heavy worker (its text names numpy)."""
    return "import numpy\n" + code


def _both(cases: list[str]) -> list[str]:
    return cases + [_heavy(c) for c in cases]


# --- 1. nothing reachable runs without our filter; no other process's memory is writable

REACH = [
    "open('/proc/1/mem', 'r+b')",
    OTHERS + "hits = []\nfor p in others:\n    try:\n        open(f'/proc/{p}/mem', 'r+b').close()\n"
    "        hits.append(p)\n    except OSError:\n        pass\nassert not hits, hits\nraise PermissionError('none')",
    OTHERS + "for p in others:\n    try:\n        s = open(f'/proc/{p}/status').read()\n"
    "    except FileNotFoundError:  # it ended meanwhile\n        continue\n"
    "    assert s.split('Seccomp:')[1].split()[0] != '0', p\nraise PermissionError('all filtered')",
    # their descriptors (the host's protocol pipes among them) cannot be opened or inspected
    OTHERS + "for p in others:\n    try:\n        names = os.listdir(f'/proc/{p}/fd')\n    except (PermissionError, FileNotFoundError):\n"
    "        names = ['0', '1', '3']\n    for n in names:\n        for path in (f'/proc/{p}/fd/{n}', f'/proc/{p}/fdinfo/{n}'):\n"
    "            try:\n                os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))\n                raise AssertionError(path)\n"
    "            except (PermissionError, FileNotFoundError):\n                pass\nraise PermissionError('no fds')",
    "print(open('/proc/1/environ').read())",
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.ptrace(16, 1, 0, 0) != 0:\n"
    "    raise PermissionError(ctypes.get_errno())",  # PTRACE_ATTACH
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nif libc.prctl(4, 1, 0, 0, 0) != 0:\n"
    "    raise PermissionError(ctypes.get_errno())",  # PR_SET_DUMPABLE: stays undumpable
    "import os, mmap\nfd = os.open('/proc/1/mem', os.O_RDWR)",
    OTHERS + "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nbuf = ctypes.create_string_buffer(8)\n"
    "for p in others:\n    local = (ctypes.c_void_p * 2)(ctypes.addressof(buf), 8)\n"
    "    remote = (ctypes.c_void_p * 2)(0x400000, 8)\n"
    "    assert libc.process_vm_writev(p, local, 1, remote, 1, 0) == -1\nraise PermissionError('refused')",
]


@pytest.mark.parametrize("code", _both(REACH))
def test_no_other_process_can_be_written_or_run_unfiltered(sb, code):
    result = _attack(sb, code)  # refused by /proc being read-only (OSError) and, beneath, by the kernel
    assert result.error is not None and result.error.startswith(("PermissionError", "OSError")), result


@pytest.mark.parametrize("code", _both([
    OTHERS + "for p in others:\n    for name in ('mem', 'maps', 'environ', 'auxv', 'syscall'):\n"
    "        try:\n            open(f'/proc/{p}/{name}', 'rb').read(1)\n            raise AssertionError((p, name))\n"
    "        except (PermissionError, FileNotFoundError):  # refused, or it ended meanwhile\n            pass\n"
    "raise PermissionError('all undumpable')",
]))
def test_every_other_process_is_undumpable(sb, code):
    """Beneath the read-only /proc: even reading another process's memory map is refused by the kernel."""
    result = _attack(sb, code)
    assert result.error == "PermissionError: all undumpable", result


def test_pid_1_is_the_worker_itself(sb):
    """No bubblewrap init (unfiltered, dumpable) in the pid namespace: pid 1 is our filtered worker."""
    result = sb.run("s = open('/proc/1/status').read()\nprint(open('/proc/1/cmdline').read().endswith("
                         "'_worker.py\\x00'), s.split('Seccomp:')[1].split()[0] != '0')")
    assert result.answer == "True True", result


# --- 2. a program that tampers with its own process gains nothing: the worker believes only what it sees

TAKEOVER = [
    # stay alive after the report and serve later programs: the process is killed once the report is in
    "import sys, time\nc = sys.modules['_child']\nc._exit = lambda status: time.sleep(60)\nprint(1)",
    "import sys, threading, time, os\n"
    "def lurk():\n    while True:\n        try:\n            print(os.read(4, 1 << 20), file=open('/tmp/stolen', 'a'))\n"
    "        except OSError:\n            time.sleep(0.01)\n"
    "threading.Thread(target=lurk).start()\nprint(1)",
    # claim it may be reused, with a forged report
    "import sys\np = sys.modules['_protocol']\nw = p.write_frame\n"
    "p.write_frame = lambda fd, obj: w(fd, {**obj, 'reusable': True, 'answer': 'forged', 'answer_source': 'variable'})\n"
    "ans = 1",
    # reach the worker's objects through frames and the garbage collector
    "import sys\nf = sys._getframe()\nwhile f.f_back:\n    f = f.f_back\n"
    "    for k, v in list(f.f_locals.items()):\n        if k == 'setup':\n            v.tmp = '/'\nprint(1)",
    "import gc, sys\nfor o in gc.get_objects():\n    if type(o).__name__ == 'ChildSetup':\n        o.namespace['planted'] = 1\n"
    "        o.builtins['print'] = None\nimport builtins\nbuiltins.planted = 1\nsys.planted = 1\nprint(1)",
    "import sys\nsys.modules['_child']._execute = lambda request, setup: {'error': None, 'answer': 'x' * 10,"
    " 'answer_source': 'variable', 'memory_exceeded': False, 'reusable': True}\nprint(1)",
    "import sys, os\nm = sys.modules['_child']\nm.serve.__code__ = (lambda *a: os.read(4, 100)).__code__\nprint(1)",
    # claim reuse from inside: the old worker then fed this process the next program
    "import sys\nsys.planted = 1\nsys.modules['_child']._printed = lambda: {'error': None, 'answer': None, "
    "'answer_source': 'print', 'memory_exceeded': False, 'reusable': True}\nprint(1)",
    # builtins rebound the way the old purity check missed: straight-line code that runs anything
    "exec = exec\nprint = exec\nprint('import builtins, sys; builtins.abs = lambda x: 666; sys.planted = 1')",
    "exec = exec\nprint = exec\nlen = exec",
    "import builtins\nbuiltins.print = lambda *a, **k: None\nbuiltins.__import__ = None\nans = 2",
]


@pytest.mark.parametrize("code", _both(TAKEOVER))
def test_a_program_cannot_take_over_its_worker(sb, code):
    _attack(sb, code)


def test_every_program_runs_in_a_new_process(sb):
    pids = {sb.run("import os\nprint(os.getpid())").answer for _ in range(6)}
    # straight-line code (the old pure path ran several such programs in one process) that runs anything
    pure = "exec = exec\nprint = exec\nprint('import os, builtins; builtins.print(os.getpid())')"
    pids |= {sb.run(pure).answer for _ in range(6)}
    assert len(pids) == 12


# --- 3. planted files and patched modules never reach the next program

PLANT = [
    "open('/tmp/planted.py', 'w').write('print(666)')\nimport os\nos.mkdir('/tmp/sub')\nprint(1)",
    "x = 1\nopen('/tmp/x', 'w').write('planted')",
    "import os\nos.symlink('/usr', '/tmp/usr-link')\n"
    "open('/tmp/.wipe-0', 'w').write('name the wipe might use')\nos.mkdir('/tmp/.wipe-1')\nprint(1)",
    "import os\nfor i in range(2000):\n    open(f'/tmp/f{i}', 'w').close()\nprint(1)",
    "import os\nos.mkfifo('/tmp/fifo')",
]


@pytest.mark.parametrize("code", _both(PLANT))
def test_planted_files_are_gone_for_the_next_program(sb, code):
    _attack(sb, code)


# --- 4. signals and scheduling calls towards other processes are refused

SIGNALS = [
    OTHERS + "import signal\nfor p in others:\n    os.kill(p, signal.SIGKILL)",
    "import os, signal\nos.kill(-1, signal.SIGKILL)",
    "import os, signal\nos.killpg(0, signal.SIGKILL)",
    # a queued SIGKILL with si_code SI_QUEUE, which the kernel lets a process send to its own uid
    OTHERS + "import ctypes, struct\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "info = ctypes.create_string_buffer(struct.pack('iii', 9, 0, -1), 128)\n"
    "for p in others:\n    for nr, args in ((129, (p, 9, info)), (297, (p, p, 9, info)), (234, (p, p, 9)), (200, (p, 9))):\n"
    "        assert libc.syscall(nr, *args) == -1, (nr, p)\nraise PermissionError('all refused')",
    OTHERS + "for p in others:\n    os.setpriority(os.PRIO_PROCESS, p, 19)",
    "import os\nos.setpriority(os.PRIO_PGRP, 0, 19)",
    "import os\nos.setpriority(os.PRIO_USER, 0, 19)",
    OTHERS + "for p in others:\n    os.sched_setscheduler(p, os.SCHED_IDLE, os.sched_param(0))",
    OTHERS + "for p in others:\n    os.sched_setaffinity(p, {0})",
    OTHERS + "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "for p in others:\n    assert libc.syscall(251, 1, p, (3 << 13) | 7) == -1\nraise PermissionError('ioprio')",
    OTHERS + "import resource\nfor p in others:\n    resource.prlimit(p, resource.RLIMIT_CPU, (1, 1))",
    OTHERS + "import fcntl\nr, w = os.pipe()\nfcntl.fcntl(r, fcntl.F_SETOWN, others[0])",
    OTHERS + "for p in others:\n    os.pidfd_open(p)",
]


@pytest.mark.parametrize("code", _both(SIGNALS))
def test_no_signal_or_priority_change_reaches_another_process(sb, code):
    result = _attack(sb, code)
    assert result.error.startswith("PermissionError"), result


@pytest.mark.skipif(not X86_64, reason="syscall numbers below are x86_64's")
def test_syscalls_off_the_allow_list_are_refused_not_fatal(sb):
    """Every syscall number not on the allow-list fails with EPERM (or ENOSYS) and the program goes on."""
    from mammoth_math.sandbox.inside import _seccomp

    # 335 and 336 (uretprobe, uprobe) bypass seccomp by the kernel's design: outside a probe they only
    # fail (SIGILL, ENXIO) and touch nothing.
    allowed = sorted(set(_seccomp._X86_64.values()) | {335, 336})
    code = ("import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nlibc.syscall.restype = ctypes.c_long\n"
            f"allowed = set({allowed})\nbad = []\nfor nr in range(0, 470):\n    if nr in allowed:\n        continue\n"
            "    ctypes.set_errno(0)\n    if libc.syscall(nr, 0, 0, 0, 0, 0, 0) != -1 or ctypes.get_errno() not in (1, 38):\n"
            "        bad.append(nr)\nprint(bad)")
    assert _attack(sb, code).answer == "[]"


@pytest.mark.parametrize("code", [
    "import os\nos.execv('/usr/bin/true', ['true'])",
    "import socket\nsocket.socketpair()",
    "import os\nos.fork()",
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.syscall(56, 0x11, 0, 0, 0, 0) == -1\n"
    "raise PermissionError('clone of a process')",
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\nassert libc.syscall(56, 0x10000 | 0x900 | 0x10000000, 0, 0, 0, 0) == -1\n"
    "raise PermissionError('a thread in a new user namespace')",
    "import fcntl\nfcntl.ioctl(0, 0x5412, b'x')",  # TIOCSTI
])
def test_processes_exec_and_terminal_injection_are_refused(sb, code):
    if "syscall(56" in code and not X86_64:
        pytest.skip("x86_64 syscall number")
    result = _attack(sb, code)
    assert result.error.startswith("PermissionError"), result


# --- 5. no state outlives a program: shared memory, IPC, hostname, memfds

STATE = [
    "open('/dev/shm/planted', 'w').write('x')",
    "import _posixshmem\n_posixshmem.shm_open('/planted', 0o102, 0o600)",
    "open('/proc/sys/kernel/hostname', 'w').write('planted')",
    "import os\nfor p in os.listdir('/proc'):\n    if p.isdigit() and int(p) != os.getpid():\n"
    "        open(f'/proc/{p}/oom_score_adj', 'w').write('1000')",  # make the worker the OOM killer's choice
    "open('/proc/sysrq-trigger', 'w')",  # opened, never written
    "import socket\nsocket.sethostname('planted')",
    "import os\nos.memfd_create('hoard')",
    "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
    "results = [libc.shmget(1234, 1 << 20, 0o1600), libc.msgget(1234, 0o1600), libc.semget(1234, 1, 0o1600)]\n"
    "assert results == [-1, -1, -1], results\nraise PermissionError('SysV IPC refused')",
    "import ctypes\nrt = ctypes.CDLL('librt.so.1', use_errno=True)\nassert rt.mq_open(b'/planted', 0o102, 0o600, None) == -1\n"
    "raise PermissionError('POSIX queue refused')",
    "import os\nfor d in ['/', '/usr', '/dev', '/dev/pts', '/opt/mammoth-sandbox', '/proc/sys/kernel', '/var', '/run']:\n"
    "    try:\n        open(os.path.join(d, 'planted'), 'w').close()\n        raise AssertionError(d)\n"
    "    except OSError:\n        pass\nraise PermissionError('nowhere to plant')",
]


def test_no_output_of_an_earlier_program_is_left_in_the_capture(sb):
    """The capture is shared memory the program can read whole: it must hold nothing of the last program."""
    for heavy in ("", "import numpy\n"):
        assert sb.run(heavy + "print('EARLIER' + 'OUTPUT' * 3)").answer == "EARLIEROUTPUTOUTPUTOUTPUT"
        seen = sb.run(heavy + "import sys\nprint(b'EARLIEROUTPUT' in bytes(sys.stdout._buf[:]))")
        assert seen.answer == "False", seen


@pytest.mark.parametrize("code", _both(STATE))
def test_no_state_outlives_a_program(sb, code):
    result = _attack(sb, code)
    assert result.error is not None and result.error.startswith(("PermissionError", "OSError", "FileNotFound")), result


def test_shared_memory_counts_against_the_memory_limit(sb):
    result = _attack(sb, "import mmap\nm = mmap.mmap(-1, 1 << 30)\nm[-1] = 1\nprint('held')")
    assert result.answer is None and result.error.startswith(("MemoryError", "OSError")), result


# --- 6. wedges, malformed reports and /tmp trees that a recursive wipe cannot remove

FRAME = "import os, struct, time\ndef report(body):\n    os.write(3, struct.pack('>I', len(body)) + body)\n"
WEDGES = [
    FRAME + "os.write(3, b'\\x00\\x00\\x00\\x40{\"answer')\ntime.sleep(60)",  # half a report, then silence
    FRAME + "os.write(3, b'1')\ntime.sleep(60)",  # the old "result ready" byte
    "import os, time\nos.close(3)\ntime.sleep(60)",
    "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)",
    "import threading, time\nthreading.Thread(target=time.sleep, args=(60,)).start()\ntime.sleep(60)",
]


@pytest.mark.parametrize("code", _both(WEDGES))
def test_the_worker_stops_waiting_at_the_deadline(sb, code):
    result = _attack(sb, code, timeout=1.0)
    assert result.timed_out and result.error.startswith("Timeout"), result


BAD_REPORTS = [
    FRAME + "report(b'{\"error\": null, \"answer\": {\"a\": 1}, \"answer_source\": \"variable\", \"memory_exceeded\": false}')",
    FRAME + "report(b'{\"error\": null, \"answer\": NaN, \"answer_source\": \"variable\", \"memory_exceeded\": false}')",
    FRAME + "report(b'{\"error\": null, \"answer\": [1, 2], \"answer_source\": \"variable\", \"memory_exceeded\": false}')",
    FRAME + "report(b'{\"error\": 5, \"answer\": null, \"answer_source\": null, \"memory_exceeded\": false}')",
    FRAME + "report(b'{\"error\": null, \"answer\": \"1\", \"answer_source\": \"evil\", \"memory_exceeded\": 0}')",
    FRAME + "report(b'[' * 30000 + b']' * 30000)",  # under the size cap, too deep for the decoder
    FRAME + "report(b'{\"a\":' * 20000 + b'1' + b'}' * 20000)",
    FRAME + "report(b'{\"error\": null, \"answer\": \"' + b'9' * 100000 + b'\", \"answer_source\": \"variable\", "
    "\"memory_exceeded\": false}')",
    FRAME + "report(b'\\xff\\xfe not json')",
    FRAME + "os.write(3, b'\\xff\\xff\\xff\\xff' + b'x' * 70000)",
    FRAME + "report(b'\"just a string\"')",
    "import sys\nsys.modules['_child']._answered = lambda source, value: {'error': None, 'answer': float('nan'), "
    "'answer_source': 'variable', 'memory_exceeded': False}\nans = 1",
]


@pytest.mark.parametrize("code", _both(BAD_REPORTS))
def test_malformed_reports_are_rejected_not_believed(sb, code):
    result = _attack(sb, code)
    assert result.answer is None and result.error.startswith("BadReport"), result


def test_a_well_formed_report_is_only_the_programs_own_answer(sb):
    code = FRAME + ("report(b'{\"error\": null, \"answer\": \"7\", \"answer_source\": \"variable\", "
                    "\"memory_exceeded\": false, \"reusable\": true}')\ntime.sleep(60)")
    result = _attack(sb, code)
    assert (result.answer, result.error, result.timed_out) == ("7", None, False), result


TREES = [
    "import os\nfor _ in range(3000):\n    os.mkdir('d')\n    os.chdir('d')\nprint(1)",
    "import os\nfor i in range(300):\n    os.mkdir('d')\n    os.chdir('d')\n    os.chmod('..', 0)\nprint(1)",
    "import os\nos.makedirs('/tmp/a/b/c')\nopen('/tmp/a/b/c/f', 'w').write('x')\nos.chmod('/tmp/a/b/c/f', 0)\n"
    "os.chmod('/tmp/a/b/c', 0)\nos.chmod('/tmp/a/b', 0o100)\nos.chmod('/tmp/a', 0o500)\nprint(1)",
    "import os\nos.mkdir('/tmp/x')\nos.symlink('/tmp/x', '/tmp/x/loop')\nos.symlink('/tmp', '/tmp/x/up')\nprint(1)",
    "import os\nos.chmod('/tmp', 0)\nprint(1)",
]


@pytest.mark.parametrize("code", _both(TREES))
def test_no_tree_in_tmp_can_break_the_wipe(sb, code):
    _attack(sb, code, timeout=5.0)


def test_a_wedged_program_on_one_worker_does_not_hold_the_others():
    with Sandbox(timeout=1.0, workers=2) as sb:
        results = sb.run_many([FRAME + "os.write(3, b'1')\ntime.sleep(60)"] + ["print(2)"] * 10)
        assert results[0].timed_out and [r.answer for r in results[1:]] == ["2"] * 10


# --- 7. no code or output of an earlier program is left in the memory a later one inherits

# Reads every readable mapping (/proc/self/mem at the addresses /proc/self/maps lists) for two markers:
# one an earlier program printed, one that only stood in its code. Each is searched for as "MARK" and
# what must follow, so that this program's own text and buffers never hold either marker whole.
MEMORY_SCAN = """
import re
found = set()
with open('/proc/self/mem', 'rb', buffering=0) as mem:
    for line in open('/proc/self/maps').read().splitlines():
        span, perms = line.split()[:2]
        lo, hi = (int(x, 16) for x in span.split('-'))
        if not perms.startswith('r') or hi - lo > 1 << 30:
            continue
        try:
            mem.seek(lo)
            data = mem.read(hi - lo)
        except OSError:  # vvar and the like
            continue
        for m in re.finditer(b'MARK', data):
            tail = data[m.end():m.end() + 6]
            if tail in (b'PRTPRT', b'SRCSRC'):
                found.add(tail.decode())
print(sorted(found))
"""


@pytest.mark.parametrize("heavy", [False, True])
def test_no_earlier_program_is_left_in_a_later_ones_memory(sb, heavy):
    """The process that forks a program never held another program's code or output (the worker's
    relay handles them; its fork server never does), so a fork hands none of it down."""
    prefix = "import numpy\n" if heavy else ""
    secret = prefix + f"secret = '{'MARK' + 'SRC' * 4}'\nprint('MARK' + 'PRT' * 200)"  # in code; printed
    for _ in range(3):  # the earlier programs' frames and results pile up in whoever handled them
        assert sb.run(secret).error is None
    for _ in range(2):
        scanned = sb.run(prefix + MEMORY_SCAN, timeout=30)
        assert (scanned.answer, scanned.error) == ("[]", None), scanned
