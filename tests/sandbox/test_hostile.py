"""The adversarial corpus: each hostile program is contained, the host is untouched, the result says what
happened, and the sandbox then serves a normal program correctly. Tests needing an isolation feature this
machine lacks skip with the reason (they never run unconfined)."""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[2]
HOME = Path(os.path.expanduser("~"))
TAG = uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def canaries():
    """A file in the repository and one in $HOME that programs try to read, overwrite and delete."""
    paths = {"repo": REPO / f".sandbox-canary-{TAG}", "home": HOME / f".sandbox-canary-{TAG}"}
    for p in paths.values():
        p.write_text("canary", encoding="utf-8")
    yield paths
    for p in paths.values():
        p.unlink(missing_ok=True)


@pytest.fixture()
def listener():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        s.setblocking(False)
        yield s


def _accepted(s: socket.socket) -> bool:
    try:
        s.accept()[0].close()
        return True
    except BlockingIOError:
        return False


# (name, program, needed feature or None, check(result) -> bool)
CASES = [
    ("infinite_loop", "while True:\n    pass", "limits", lambda r: r.timed_out and r.error.startswith("Timeout")),
    ("fork_bomb", "import os\nwhile True:\n    os.fork()", "processes", lambda r: r.error.startswith("PermissionError")),
    ("fork_bomb_multiprocessing", "import multiprocessing as m\nps = [m.Process(target=print) for _ in range(100)]\n"
     "[p.start() for p in ps]", "processes", lambda r: r.error is not None and not r.timed_out),
    ("subprocess", "import subprocess\nprint(subprocess.run(['id'], capture_output=True).stdout)", "processes",
     lambda r: r.error.startswith("PermissionError")),
    ("os_system", "import os\nprint(os.system('echo pwned > /tmp/x'))", "processes", lambda r: r.answer != "0"),
    ("memory_bomb", "x = bytearray(8 * 1024 ** 3)", "limits", lambda r: r.memory_exceeded),
    ("memory_growth", "a = []\nwhile True:\n    a.append(' ' * 10 ** 7)", "limits",
     lambda r: r.memory_exceeded or r.timed_out),
    ("deep_recursion", "def f(n):\n    return f(n + 1)\nf(0)", None, lambda r: r.error.startswith("RecursionError")),
    ("deep_recursion_unlimited", "import sys\nsys.setrecursionlimit(10 ** 8)\ndef f(n):\n    return f(n + 1) + 1\nf(0)",
     None, lambda r: r.error is not None),
    ("huge_output_loop", "while True:\n    print('x' * 1000)", None,
     lambda r: r.timed_out and len(r.stdout) < 70_000 and r.stdout_truncated),
    ("huge_single_print", "print('y' * 2 * 10 ** 7)\nprint('done')", None,
     lambda r: r.answer == "done" and len(r.stdout) < 70_000),
    ("connect_outside", "import socket\nsocket.create_connection(('1.1.1.1', 53), timeout=1)", "network",
     lambda r: r.error is not None),
    ("dns_lookup", "import socket\nprint(socket.gethostbyname('example.com'))", "network", lambda r: r.error is not None),
    ("write_project_dir", f"open({str(REPO / ('pwned-' + TAG))!r}, 'w').write('x')", "filesystem",
     # refused, or (a checkout under /tmp) written into the private tmpfs: never onto the host
     lambda r: not (REPO / f"pwned-{TAG}").exists()),
    ("delete_project_canary", f"import os\nos.remove({str(REPO / ('.sandbox-canary-' + TAG))!r})", "filesystem",
     lambda r: r.error is not None),
    ("read_project_canary", f"print(open({str(REPO / ('.sandbox-canary-' + TAG))!r}).read())", "filesystem",
     lambda r: r.error is not None and "canary" not in r.stdout),
    ("write_home", f"open({str(HOME / ('pwned-' + TAG))!r}, 'w').write('x')", "filesystem",
     lambda r: r.error is not None and not (HOME / f"pwned-{TAG}").exists()),
    ("delete_home_canary", f"import os\nos.remove({str(HOME / ('.sandbox-canary-' + TAG))!r})", "home",
     lambda r: r.error is not None),
    ("read_ssh", f"import os\nprint(os.listdir({str(HOME / '.ssh')!r}))", "home", lambda r: r.error is not None),
    ("read_env", "import os\nprint(dict(os.environ))", "environment",
     lambda r: "s3cret" not in r.stdout and "MAMMOTH_SECRET" not in r.stdout),
    ("read_worker_environ", "print(open('/proc/1/environ').read()); print(open(f'/proc/{__import__(\"os\").getppid()}/environ').read())",
     "environment", lambda r: "s3cret" not in r.stdout),
    ("os_exit", "print('partial')\nimport os\nos._exit(0)", None,
     lambda r: r.error.startswith("Exit") and r.stdout == "partial\n"),
    ("sys_exit", "import sys\nsys.exit(3)", None, lambda r: r.error == "SystemExit: 3"),
    ("signal_tampering", "import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGXCPU, signal.SIGALRM):\n"
     "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    pass", "limits", lambda r: r.timed_out),
    ("kill_worker", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)", "signals",
     lambda r: r.error.startswith("PermissionError")),
    ("kill_everything", "import os, signal\nos.kill(-1, signal.SIGKILL)", "signals",
     lambda r: r.error.startswith("PermissionError")),
    ("endless_thread", "import threading, time\nthreading.Thread(target=lambda: time.sleep(10 ** 6)).start()\n"
     "print('main done')", None, lambda r: r.answer == "main done" and not r.timed_out),
    ("busy_threads", "import threading\nfor _ in range(4):\n    threading.Thread(target=lambda: [0 for _ in iter(int, 1)]).start()",
     None, lambda r: r.error is None or r.timed_out),
    ("thread_bomb", "import threading, time\nwhile True:\n    threading.Thread(target=time.sleep, args=(100,)).start()",
     "limits", lambda r: r.error is not None),
    ("ctypes_segfault", "import ctypes\nctypes.string_at(0)", None, lambda r: r.error.startswith("Crash")),
    # closing the report pipe loses the report (the worker believes nothing else), never the worker
    ("close_result_pipe", "import os\nfor fd in range(3, 64):\n    try:\n        os.close(fd)\n    except OSError:\n"
     "        pass\nprint('still here')", None, lambda r: r.error.startswith("Exit") and r.stdout == "still here\n"),
    ("big_file", "open('big', 'wb').write(b'0' * (200 * 1024 ** 2))", None, lambda r: r.error is not None),
    ("raise_limits", "import resource\nresource.setrlimit(resource.RLIMIT_AS, (-1, -1))", "limits",
     lambda r: r.error.startswith("ValueError")),
    ("unshare_namespace", "import ctypes\nprint(ctypes.CDLL(None).unshare(0x10000000))", "processes",
     lambda r: r.answer == "-1"),
    ("monkeypatch_builtins", "import builtins, math\nmath.pi = 3\nbuiltins.print = None\nbuiltins.len = lambda x: 0",
     None, lambda r: r.ok),
]


@pytest.mark.parametrize("name,code,feature,check", CASES, ids=[c[0] for c in CASES])
def test_hostile_program_is_contained(name, code, feature, check, sandbox, report, canaries, listener):
    if feature is not None and not report.active(feature):
        pytest.skip(f"isolation feature {feature!r} is not active here: {report.detail(feature)}")
    result = sandbox.run(code)
    assert check(result), result
    assert canaries["repo"].read_text(encoding="utf-8") == "canary"
    assert canaries["home"].read_text(encoding="utf-8") == "canary"
    after = sandbox.run("import math\nprint(len('abc'), math.pi)")
    assert after.answer == f"3 {__import__('math').pi}", after


def test_loopback_connection_never_reaches_the_host(sandbox, report, listener):
    if not report.active("network"):
        pytest.skip(f"network isolation is not active here: {report.detail('network')}")
    port = listener.getsockname()[1]
    result = sandbox.run(f"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=1)\nprint('connected')")
    assert result.error is not None and result.answer is None
    assert not _accepted(listener)


def test_tmp_is_private_and_wiped_between_programs(sandbox):
    wrote = sandbox.run("import os\nopen('left-behind', 'w').write('x')\nos.mkdir('d')\nos.chmod('d', 0)\n"
                        "print(sorted(os.listdir('.')))")
    assert wrote.answer == "['d', 'left-behind']", wrote
    for _ in range(3):  # every worker: no program sees another's files
        assert sandbox.run("import os\nprint(sorted(os.listdir('.')))").answer == "[]"


def test_worker_dies_and_is_replaced(sandbox):
    """Even a program that kills its worker through some hole costs only its own result."""
    worker = sandbox._idle.get()
    os.killpg(worker.proc.pid, 9)
    sandbox._idle.put(worker)
    results = sandbox.run_many(["print(1)"] * 4)
    assert sum(r.answer != "1" for r in results) <= 1  # only the program on the killed worker may fail
    assert [r.answer for r in sandbox.run_many(["print(2)"] * 4)] == ["2"] * 4
