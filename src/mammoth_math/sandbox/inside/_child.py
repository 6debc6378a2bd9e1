"""The forked child: lock itself down, run one program (or one session's blocks), report on a pipe, exit.

Forked by the sandbox worker's fork server before its program arrives; it runs exactly one program, or
the blocks of exactly one session in order in one namespace (``serve_session``), and never returns
into the fork server's loop. Everything here after the program starts is the program's to tamper with:
the worker treats the report as untrusted data (``_verdict``) and kills the process once it has it.
Standard library only.
"""

from __future__ import annotations

import builtins
import ctypes
import io
import math
import os
import resource
import signal
import sys
import traceback
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, NoReturn

import _capture
import _protocol
import _seccomp
from _verdict import ANSWER_MAX, ERROR_MAX

RESULT_FD, REQUEST_FD = 3, 4
_PR_SET_PDEATHSIG = 1
_exit = os._exit  # kept here: a program may replace it


@dataclass
class ChildSetup:
    """What every child of one worker shares: built once, before the first fork."""

    namespace: dict[str, Any]  # the preamble's globals; the program gets a copy
    capture: _capture.SharedCapture | None  # None in a session worker: each session slot has its own
    tmp: str  # the private temporary directory, the program's cwd
    base_vm: int  # bytes of address space the worker already maps (the preamble)
    file_size: int  # RLIMIT_FSIZE, bytes
    seccomp: _seccomp.Loader | None
    drop_uid: bool  # without bubblewrap, as root: become nobody
    max_tasks: int | None  # RLIMIT_NPROC where the kernel counts it per sandbox (None: leave as is)
    builtins: dict[str, Any]  # the builtins as the worker had them, restored after the program
    streams: tuple[Any, Any, io.StringIO]  # the program's stdout, stderr (into ``capture``) and empty stdin


def fork_helper(body: Callable[[], None]) -> int:
    """Fork a helper of the worker (the heavy worker, a fork server) and return its pid; it is
    killed when its parent dies, and exits when ``body`` returns (status 0) or raises (1)."""
    pid = os.fork()
    if pid == 0:
        status = 1
        try:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
            body()
            status = 0
        finally:
            os._exit(status)
    return pid


def prctl(option: int, value: int) -> None:
    ctypes.CDLL(None).prctl(option, ctypes.c_ulong(value), ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0))


def serve(setup: ChildSetup, request_fd: int, result_fd: int, others: list[Any]) -> NoReturn:
    """Lock down, wait for the request (this child is forked ahead of it), run it, report, exit.

    ``others``: the worker's other output capture (the previous child's, which may still be running),
    unmapped first: a child shares no writable mapping with another child.
    """
    status = 70
    try:
        for mapping in others:
            mapping.close()
        _lock_down(setup, request_fd, result_fd)
        request = _protocol.read_frame(REQUEST_FD)
        if request is not None:
            _limit(request, setup)
            _protocol.write_frame(RESULT_FD, _execute(request, setup))
        status = 0
    finally:
        _exit(status)


def _lock_down(setup: ChildSetup, request_fd: int, result_fd: int) -> None:
    """Everything that does not depend on the program: done before it arrives, off the critical path.

    Lean on purpose: every page a forked child writes is copied, so what can be prepared once in the
    worker is (the filter, the streams, SIGXFSZ ignored, fd 0 on /dev/null, the process group).
    """
    os.dup2(result_fd, RESULT_FD)
    os.dup2(request_fd, REQUEST_FD)
    for fd in (1, 2):  # the worker's protocol pipes to the host must be out of the program's reach
        os.dup2(0, fd)
    os.closerange(REQUEST_FD + 1, 1 << 16)
    os.chdir(setup.tmp)
    limits = [(resource.RLIMIT_FSIZE, setup.file_size), (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0)]
    if setup.max_tasks:
        limits.append((resource.RLIMIT_NPROC, setup.max_tasks))
    for which, value in limits:
        resource.setrlimit(which, (value, value))
    if setup.drop_uid:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    if setup.seccomp is not None:
        setup.seccomp.load(os.getpid())
    sys.stdout, sys.stderr, sys.stdin = setup.streams  # input() raises EOFError


def _limit(request: dict[str, Any], setup: ChildSetup) -> None:
    """Memory and CPU for this program (CPU counted from what the process used so far: almost nothing)."""
    _limit_memory(int(request["memory_mb"]), setup)
    _limit_cpu(float(request["timeout"]), None)


def _limit_memory(memory_mb: int, setup: ChildSetup) -> None:
    memory = setup.base_vm + memory_mb * (1 << 20)
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def _limit_cpu(timeout: float, budget: int | None) -> None:
    """CPU seconds for one call on top of what the process used; ``budget``: a hard cap that stays (a
    session's later calls raise the soft limit up to it: a hard limit, once lowered, cannot be raised)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = int(usage.ru_utime + usage.ru_stime) + math.ceil(timeout) + 1
    hard = resource.getrlimit(resource.RLIMIT_CPU)[1]
    if budget is not None:
        hard = budget if hard == resource.RLIM_INFINITY else min(hard, budget)
    else:
        hard = cpu + 1 if hard == resource.RLIM_INFINITY else min(hard, cpu + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (min(cpu, hard), hard))


def serve_session(setup: ChildSetup, request_fd: int, result_fd: int, opened: dict[str, Any],
                  others: list[Any]) -> NoReturn:
    """Lock down, then run each block that comes in one namespace and report it; exit when the pipe closes.

    ``setup`` carries this session's own capture; ``others`` are every other session slot's capture
    (shared mappings inherited through the fork), unmapped first. A block's exception is reported and
    the next block runs (notebook semantics).
    """
    status = 70
    try:
        for mapping in others:
            mapping.close()
        _lock_down(setup, request_fd, result_fd)
        _limit_memory(int(opened["memory_mb"]), setup)
        budget = int(opened["cpu_budget_s"])
        env = dict(setup.namespace)
        env["__name__"] = "__main__"
        stdout, stderr = sys.stdout, sys.stderr
        while (request := _protocol.read_frame(REQUEST_FD)) is not None:
            _limit_cpu(float(request["timeout"]), budget)
            stdout.reset()
            stderr.reset()
            error = _run_code(lambda: exec(compile(request["code"], "<program>", "exec"), env), request)
            vars(builtins).update(setup.builtins)
            sys.stdout, sys.stderr, sys.stdin = setup.streams  # a block may have replaced them
            report = _failed(error) if error is not None else _printed() if stdout.has_text else _answered(None, None)
            _protocol.write_frame(RESULT_FD, report)
        status = 0
    finally:
        _exit(status)


def _execute(request: dict[str, Any], setup: ChildSetup) -> dict[str, Any]:
    """Run the program; the answer by convention: printed line, then ``ans``, then ``solution()``."""
    stdout = sys.stdout
    env = dict(setup.namespace)
    env["__name__"] = "__main__"
    error = _run_code(lambda: exec(compile(request["code"], "<program>", "exec"), env), request)
    vars(builtins).update(setup.builtins)  # a program that replaced len or str must not break the report
    if error is not None:
        return _failed(error)
    if stdout.has_text:
        return _printed()
    source, value = None, None
    if env.get("ans") is not None:
        source, value = "variable", env["ans"]
    elif callable(env.get("solution")):
        box: list[Any] = []
        error = _run_code(lambda: box.append(env["solution"]()), request)
        vars(builtins).update(setup.builtins)
        if error is not None:
            return _failed(error)
        if box[0] is None and stdout.has_text:
            return _printed()
        source, value = "solution", box[0]
    return _answered(source, value)


def _failed(error: str) -> dict[str, Any]:
    return {"error": error, "answer": None, "answer_source": None, "memory_exceeded": error.startswith("MemoryError")}


def _printed() -> dict[str, Any]:
    return {"error": None, "answer": None, "answer_source": "print", "memory_exceeded": False}


def _answered(source: str | None, value: Any) -> dict[str, Any]:
    answer, error = (None, None) if value is None else _to_text(value)
    return {"error": error, "answer": answer, "answer_source": source if answer is not None else None,
            "memory_exceeded": False}


def _run_code(call: Any, request: dict[str, Any]) -> str | None:
    """None when ``call`` finishes (or exits with status 0), else "ExcType: message" (traceback to stderr)."""
    try:
        call()
    except SystemExit as e:
        return None if e.code in (None, 0) else _cap(f"SystemExit: {_safe_str(e.code)}", ERROR_MAX)
    except BaseException as e:  # noqa: BLE001 - the program's failure is data
        try:
            sys.stderr.write("".join(traceback.format_exception(type(e), e, _program_frames(e.__traceback__))))
        except BaseException:  # noqa: BLE001
            pass
        message = _safe_str(e)
        if isinstance(e, MemoryError) and not message:
            message = f"exceeded the {request['memory_mb']} MB memory limit"
        return _cap(f"{type(e).__name__}: {message}" if message else type(e).__name__, ERROR_MAX)
    return None


def _program_frames(tb: Any) -> Any:
    """The traceback from the program's first frame on (our own frames are noise to the reader)."""
    while tb is not None and tb.tb_frame.f_code.co_filename != "<program>":
        tb = tb.tb_next
    return tb


def _to_text(value: Any) -> tuple[str | None, str | None]:
    """``str(value)`` (1/2 for a sympy Rational, 0.1 for a float); errors such as a huge int become data."""
    try:
        text = str(value)
    except BaseException as e:  # noqa: BLE001
        return None, _cap(f"{type(e).__name__}: the answer could not be turned into text: {_safe_str(e)}", ERROR_MAX)
    if not isinstance(text, str):
        return None, "TypeError: __str__ returned a non-string"
    return _cap(text.strip(), ANSWER_MAX), None


def _safe_str(obj: Any) -> str:
    try:
        return str(obj)
    except BaseException:  # noqa: BLE001
        return "<unprintable>"


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 3] + "..."

