"""Length-prefixed JSON frames over pipes: how the host and a sandbox worker talk.

Standard library only: the worker imports this file inside the sandbox, where the package is absent.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME = (1 << 31) - 1


def encode(obj: Any) -> bytes:
    # surrogatepass: a program decoded with surrogateescape still travels (and fails to compile, visibly)
    body = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    if len(body) > MAX_FRAME:
        raise ValueError(f"frame of {len(body)} bytes is too large")
    return _HEADER.pack(len(body)) + body


def write_frame(fd: int, obj: Any, deadline: float | None = None) -> None:
    """Write one frame; ``deadline`` (time.monotonic, for a non-blocking ``fd``) raises TimeoutError when
    the reader stops taking it: a wedged worker cannot hold its writer."""
    data = memoryview(encode(obj))
    while data:
        try:
            data = data[os.write(fd, data):]
        except BlockingIOError:  # the pipe is full: wait for room until the deadline
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0 or not select.select([], [fd], [], left)[1]:
                raise TimeoutError("the sandbox worker stopped reading its requests") from None


def read_frame(fd: int, deadline: float | None = None, limit: int = MAX_FRAME) -> Any:
    """The next frame's object; None at end of file. ``deadline`` (time.monotonic) raises TimeoutError;
    a frame over ``limit`` bytes, or one that does not decode, raises ValueError."""
    header = _read_exact(fd, _HEADER.size, deadline, eof_ok=True)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > limit:
        raise ValueError(f"frame of {size} bytes is over the {limit} byte limit")
    body = _read_exact(fd, size, deadline, eof_ok=False)
    try:
        return json.loads(bytes(body).decode("utf-8", "surrogatepass"))
    except RecursionError as e:  # nesting too deep for the decoder
        raise ValueError(str(e)) from e


def readable(fd: int, timeout: float = 0.0) -> bool:
    """Whether ``fd`` has something to read (or has ended, or, for a pidfd, its process has exited)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(timeout * 1000))


def _read_exact(fd: int, n: int, deadline: float | None, eof_ok: bool) -> bytearray | None:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("no answer from the sandbox worker in time")
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            if eof_ok and not buf:
                return None
            raise EOFError("the sandbox worker closed its pipe mid-frame")
        buf += chunk
    return buf
