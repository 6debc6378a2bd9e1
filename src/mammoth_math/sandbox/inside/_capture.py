"""A program's stdout/stderr, kept in memory shared between the worker and its forked child.

Shared memory means the output survives a crash, ``os._exit`` or a kill on timeout. The program can
write anything there: the worker reads it as untrusted text (any length field, any bytes). Each stream keeps
the first half of its cap and a ring of the last half, so the final line (the MAmmoTH answer) is never
lost to a long print loop. Standard library only (runs inside the sandbox).
"""

from __future__ import annotations

import io
import mmap
import struct

_TOTAL = struct.Struct("<Q")


class SharedCapture:
    """Two capped streams (0: stdout, 1: stderr) in one anonymous shared mapping."""

    def __init__(self, cap: int):
        self.head = max(cap // 2, 1)
        self.tail = max(cap - self.head, 1)
        self._stream_size = _TOTAL.size + self.head + self.tail
        # MAP_SHARED | MAP_ANONYMOUS, whole pages: the kernel maps whole pages anyway, and a program can write
        # the slack past a shorter length, which ``clear`` would then never reach
        self.buf = mmap.mmap(-1, -(-2 * self._stream_size // mmap.PAGESIZE) * mmap.PAGESIZE)

    def reset(self) -> None:
        for stream in (0, 1):
            _TOTAL.pack_into(self.buf, stream * self._stream_size, 0)

    def clear(self) -> None:
        """Zero every byte (reset only forgets the lengths): the next user of this capture reads nothing."""
        self.buf[:] = bytes(len(self.buf))

    def writer(self, stream: int) -> _Writer:
        return _Writer(self, stream * self._stream_size)

    def read(self, stream: int) -> tuple[str, int]:
        """The kept text of ``stream`` and the number of bytes the program wrote to it."""
        base = stream * self._stream_size
        (total,) = _TOTAL.unpack_from(self.buf, base)
        start = base + _TOTAL.size
        if total <= self.head:
            return self.buf[start:start + total].decode("utf-8", "replace"), total
        head = self.buf[start:start + self.head]
        kept = min(total - self.head, self.tail)
        ring = self.buf[start + self.head:start + self.head + self.tail]
        at = (total - kept - self.head) % self.tail
        tail = (ring[at:] + ring[:at])[:kept]
        dropped = total - self.head - kept
        marker = f"\n[... {dropped} bytes of output dropped ...]\n" if dropped else ""
        return head.decode("utf-8", "replace") + marker + tail.decode("utf-8", "replace"), total


class _Writer(io.TextIOBase):
    """``sys.stdout`` of the program: every write lands in the shared mapping at once (nothing buffered)."""

    def __init__(self, capture: SharedCapture, base: int):
        self._buf, self._base = capture.buf, base
        self._head, self._tail = capture.head, capture.tail
        self._total = 0
        self.has_text = False  # anything but whitespace written (the print convention applies)

    @property
    def encoding(self) -> str:
        return "utf-8"

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, s: str) -> int:
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        data = s.encode("utf-8", "replace")
        if not self.has_text and not s.isspace():
            self.has_text = bool(s)
        start, total = self._base + _TOTAL.size, self._total
        if total < self._head:
            n = min(len(data), self._head - total)
            self._buf[start + total:start + total + n] = data[:n]
            rest, pos = data[n:], total + n
        else:
            rest, pos = data, total
        if len(rest) > self._tail:
            pos += len(rest) - self._tail
            rest = rest[-self._tail:]
        ring = start + self._head
        while rest:
            at = (pos - self._head) % self._tail
            n = min(len(rest), self._tail - at)
            self._buf[ring + at:ring + at + n] = rest[:n]
            rest, pos = rest[n:], pos + n
        self._total = total + len(data)
        _TOTAL.pack_into(self._buf, self._base, self._total)
        return len(s)

    def flush(self) -> None:
        pass

    def reset(self) -> None:
        """Start over empty (a session's next call)."""
        self._total, self.has_text = 0, False
        _TOTAL.pack_into(self._buf, self._base, 0)
