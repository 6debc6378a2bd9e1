"""The forked child: lock itself down, run one program, find its answer, report, exit.

Forked by the sandbox worker before its program arrives; it never returns into the worker's loop.
Standard library only.
"""

from __future__ import annotations

import builtins
import io
import math
import os
import resource
import signal
import sys
import traceback
from dataclasses import dataclass
from typing import Any, NoReturn

import _capture
import _protocol
import _seccomp

ANSWER_MAX = 4096
ERROR_MAX = 2048
_exit, _write = os._exit, os.write  # kept here: a program may replace them


@dataclass
class ChildSetup:
    """What every child of one worker shares: built once, before the first fork."""

    namespace: dict[str, Any]  # the preamble's globals; each program gets a copy
    capture: _capture.SharedCapture
    tmp: str  # the private temporary directory, the program's cwd
    base_vm: int  # bytes of address space the worker already maps (the preamble)
    file_size: int  # RLIMIT_FSIZE, bytes
    seccomp: bool
    drop_uid: bool  # fallback as root: become nobody
    max_tasks: int | None  # RLIMIT_NPROC where the kernel counts it per sandbox (None: leave as is)
    builtins: dict[str, Any]  # the builtins as the worker had them, restored after the program
    keep: tuple[str, ...] = ()  # read-only binds inside ``tmp`` (a virtualenv under /tmp), never wiped


def serve(setup: ChildSetup, request_fd: int, notify_fd: int) -> NoReturn:
    """Lock down, wait for the request (this child is forked ahead of it), run it, report, exit."""
    status = 70
    try:
        _lock_down(setup, request_fd, notify_fd)
        request = _protocol.read_frame(4)
        if request is not None:
            _limit(request, setup)
            setup.capture.write_result(_execute(request, setup))
            _write(3, b"1")  # tell the worker the result is ready, before the (slow) exit
        status = 0
    finally:
        _exit(status)


def _lock_down(setup: ChildSetup, request_fd: int, notify_fd: int) -> None:
    """Everything that does not depend on the program: done before it arrives, off the critical path."""
    os.setpgid(0, 0)  # the worker kills this group on timeout
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the file size limit fails instead of killing
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(notify_fd, 3)
    os.dup2(request_fd, 4)
    for fd in (0, 1, 2):  # the worker's protocol pipes to the host must be out of the program's reach
        os.dup2(null, fd)
    os.closerange(5, 1 << 16)
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
    if setup.seccomp:
        _seccomp.install(_seccomp.build_filter(os.getpid()))
    sys.stdout, sys.stderr = setup.capture.writer(0), setup.capture.writer(1)
    sys.stdin = io.StringIO()  # input() raises EOFError


def _limit(request: dict[str, Any], setup: ChildSetup) -> None:
    memory = setup.base_vm + int(request["memory_mb"]) * (1 << 20)
    cpu = math.ceil(float(request["timeout"])) + 1
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))


def _execute(request: dict[str, Any], setup: ChildSetup) -> dict[str, Any]:
    """Run the program; the answer by convention: printed line, then ``ans``, then ``solution()``."""
    stdout = sys.stdout
    env = dict(setup.namespace)
    env["__name__"] = "__main__"
    error = _run_code(lambda: exec(compile(request["code"], "<program>", "exec"), env), request)
    vars(builtins).update(setup.builtins)  # a program that replaced len or str must not break the report
    if error is not None:
        return {"error": error, "answer": None, "answer_source": None, "memory_exceeded": error.startswith("MemoryError")}
    if stdout.has_text:
        return {"error": None, "answer": None, "answer_source": "print", "memory_exceeded": False}
    source, value = None, None
    if env.get("ans") is not None:
        source, value = "variable", env["ans"]
    elif callable(env.get("solution")):
        box: list[Any] = []
        error = _run_code(lambda: box.append(env["solution"]()), request)
        vars(builtins).update(setup.builtins)
        if error is not None:
            return {"error": error, "answer": None, "answer_source": None,
                    "memory_exceeded": error.startswith("MemoryError")}
        if box[0] is None and stdout.has_text:
            return {"error": None, "answer": None, "answer_source": "print", "memory_exceeded": False}
        source, value = "solution", box[0]
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

