"""The sandbox worker: one long-lived process that loads the preamble once, then forks a child per program.

The host starts it (inside bubblewrap when available) as ``python -I -B -X utf8 _worker.py`` and talks
length-prefixed JSON on its stdin/stdout (see ``_protocol``): a config frame, then one request and one
response per program. Standard library only: the package is not visible inside the sandbox.
"""

from __future__ import annotations

import builtins
import ctypes
import gc
import math
import os
import platform
import select
import shutil
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, _HERE)
import _capture  # noqa: E402
import _child  # noqa: E402
import _protocol  # noqa: E402
import _seccomp  # noqa: E402

sys.path.remove(_HERE)

_PR_SET_DUMPABLE, _PR_SET_CHILD_SUBREAPER = 4, 36
_CRASH_SIGNALS = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT}


@dataclass
class _Running:
    pid: int
    notify: int  # read end of the child's "result ready" pipe
    request: int  # write end of the child's request pipe
    pidfd: int | None  # readable once the child has exited (Linux >= 5.3)
    started: float
    status: int | None = None  # wait status, once reaped


def main() -> None:
    # fds 0/1 carry the protocol; the preamble and anything else printing must not corrupt it
    proto_in, proto_out = os.dup(0), os.dup(1)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(2, 1)
    os.close(null)
    config = _protocol.read_frame(proto_in)
    if config is None:
        return
    namespace: dict[str, Any] = {"__builtins__": builtins}
    try:
        exec(compile(config["preamble"], "<preamble>", "exec"), namespace)
    except BaseException:  # noqa: BLE001 - reported to the host, which raises
        _protocol.write_frame(proto_out, {"ready": False, "error": traceback.format_exc(limit=-4)})
        return
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    drop_uid = bool(config["drop_uid"]) and os.geteuid() == 0
    if drop_uid:
        os.chown(config["tmp"], 65534, 65534)
    seccomp = bool(config["seccomp"]) and _seccomp.supported() and _seccomp_works()  # also caches the filter
    setup = _child.ChildSetup(namespace, _capture.SharedCapture(int(config["output_limit"])), config["tmp"],
                              _address_space(), int(config["file_size"]), seccomp, drop_uid, config["max_tasks"],
                              dict(vars(builtins)), tuple(config["keep"]))
    # Not dumpable: a program (same uid) cannot open /proc/<worker>/fd or ptrace its worker.
    libc.prctl(_PR_SET_DUMPABLE, ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))
    gc.collect()
    gc.freeze()  # children share the preamble's pages instead of copying them on the first collection
    _protocol.write_frame(proto_out, {"ready": True, "pid": os.getpid(), "uid": os.getuid(), "seccomp": seccomp,
                                      "python": platform.python_version(), "base_vm_mb": setup.base_vm >> 20})
    spare = _spawn(setup)
    while (request := _protocol.read_frame(proto_in)) is not None:
        run = _hand_over(spare, request, setup)
        _protocol.write_frame(proto_out, _finish(run, request, setup))
        _clean_up(run, setup)  # after answering: the exit, wipe and next fork overlap the host's work
        spare = _spawn(setup)


def _spawn(setup: _child.ChildSetup) -> _Running:
    """Fork the next child now; it locks itself down and waits for its request on a pipe."""
    setup.capture.reset()
    request_read, request_write = os.pipe()
    notify_read, notify_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child.serve(setup, request_read, notify_write)
    os.close(request_read)
    os.close(notify_write)
    try:
        os.setpgid(pid, pid)  # also done by the child; whichever runs first wins the race
    except OSError:
        pass
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    return _Running(pid, notify_read, request_write, pidfd, 0.0)


def _hand_over(spare: _Running, request: dict[str, Any], setup: _child.ChildSetup) -> _Running:
    for _ in range(3):
        spare.started = time.monotonic()
        try:
            _protocol.write_frame(spare.request, request)
            os.close(spare.request)
            return spare
        except OSError:  # the spare died before its program came: replace it
            _clean_up(spare, setup)
            spare = _spawn(setup)
    raise RuntimeError("cannot start a child for the program")


def _finish(run: _Running, request: dict[str, Any], setup: _child.ChildSetup) -> dict[str, Any]:
    timeout = float(request["timeout"])
    done = _wait(run, run.started + timeout)
    if not done:
        _kill(run.pid)
    duration = time.monotonic() - run.started
    stdout, stdout_bytes = setup.capture.read(0)
    stderr, _ = setup.capture.read(1)
    response: dict[str, Any] = {"stdout": stdout, "stderr": stderr, "timed_out": not done, "duration_s": duration,
                                "stdout_truncated": stdout_bytes > setup.capture.head + setup.capture.tail,
                                "error": None, "answer": None, "answer_source": None, "memory_exceeded": False}
    result = setup.capture.read_result() if done else None
    if not done:
        response["error"] = f"Timeout: the program ran past the {timeout:g} s time limit"
    elif result is None:
        response["error"] = _describe_exit(run, request)
    else:
        response.update({k: result.get(k) for k in ("error", "answer", "answer_source", "memory_exceeded")})
        if result.get("answer_source") == "print":
            response["answer"] = _last_line(stdout)
    return response


def _wait(run: _Running, deadline: float) -> bool:
    """True once the child reported its result or exited; False at the deadline."""
    poller = select.poll()
    poller.register(run.notify, select.POLLIN)
    if run.pidfd is not None:
        poller.register(run.pidfd, select.POLLIN)
    listening = True
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        blind = run.pidfd is None and not listening  # no pidfd and the program closed our pipe: poll the pid
        for fd, _ in poller.poll(min(left, 0.002) * 1000 if blind else math.ceil(left * 1000)):
            if fd != run.notify:
                return True
            if os.read(run.notify, 1):
                return True
            poller.unregister(run.notify)  # closed: the child exited, or the program closed fd 3 itself
            listening = False
            if run.pidfd is None and _reap(run, block=False):
                return True
        if blind and _reap(run, block=False):
            return True


def _kill(pid: int) -> None:
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _reap(run: _Running, block: bool = True) -> bool:
    if run.status is None:
        try:
            pid, status = os.waitpid(run.pid, 0 if block else os.WNOHANG)
        except ChildProcessError:
            pid, status = run.pid, 0
        if pid == 0:
            return False
        run.status = status
    return True


def _describe_exit(run: _Running, request: dict[str, Any]) -> str:
    """Why a child ended without a result, as "Kind: message"."""
    _reap(run)
    status = run.status or 0
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else f"signal {sig}"
        if sig == signal.SIGXCPU:
            return f"CPULimit: the program used more than {math.ceil(float(request['timeout'])) + 1} s of CPU time"
        if sig in _CRASH_SIGNALS:
            return f"Crash: the process died of {name} (a segmentation fault, abort or bad instruction)"
        return f"Killed: the process died of {name}"
    return f"Exit: the process ended with status {os.WEXITSTATUS(status)} before the program finished (os._exit?)"


def _clean_up(run: _Running, setup: _child.ChildSetup) -> None:
    _kill(run.pid)  # the group may still hold processes a program started (only possible without seccomp)
    _reap(run)
    _reap_strays()
    for fd in (run.notify, run.request):
        try:
            os.close(fd)
        except OSError:
            pass
    if run.pidfd is not None:
        os.close(run.pidfd)
    _wipe(setup.tmp, setup.keep)


def _reap_strays() -> None:
    """Kill and reap processes that left the group: as subreaper, orphans become this worker's children."""
    path = f"/proc/self/task/{os.getpid()}/children"
    for _ in range(100):
        try:
            with open(path) as f:
                pids = [int(p) for p in f.read().split()]
        except OSError:
            pids = []
        for pid in pids:
            _kill(pid)
        for pid in pids:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        while True:  # zombies already handed to us
            try:
                if os.waitpid(-1, os.WNOHANG)[0] == 0:
                    break
            except ChildProcessError:
                break
        if not pids:
            return


def _wipe(tmp: str, keep: tuple[str, ...] = ()) -> None:
    """Empty the private temporary directory, even where the program removed its own permissions.

    ``keep`` are read-only binds inside it (the interpreter's virtualenv): skipped, their parents emptied.
    """
    try:
        names = os.listdir(tmp)
    except OSError:
        return
    for name in names:
        path = os.path.join(tmp, name)
        if path in keep:
            continue
        if any(k.startswith(path + os.sep) for k in keep):
            _wipe(path, keep)
            continue
        for _ in range(3):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
            if not os.path.lexists(path):
                break
            try:
                os.chmod(path, 0o700)
            except OSError:
                pass
            for root, dirs, _ in os.walk(path):
                for d in [root, *(os.path.join(root, d) for d in dirs)]:
                    try:
                        os.chmod(d, 0o700)
                    except OSError:
                        pass


def _seccomp_works() -> bool:
    """Load the filter in a throwaway child and check that fork is refused there."""
    pid = os.fork()
    if pid == 0:
        code = 2
        try:
            _seccomp.install(_seccomp.build_filter(os.getpid()))
            code = 1
            if os.fork() == 0:
                os._exit(0)
        except OSError:
            code = 0 if code == 1 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _last_line(text: str) -> str | None:
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()[:_child.ANSWER_MAX]
    return None


if __name__ == "__main__":
    main()
