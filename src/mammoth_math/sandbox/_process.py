"""The host's handle on one sandbox worker process: start it, send it a program and read the answer, each
by a deadline, and kill it. ``pool`` keeps a pool of these; see ``inside._worker`` for the other end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from typing import Any

from mammoth_math.sandbox.inside import _protocol
from mammoth_math.sandbox.limits import WorkerLimits

GRACE_S = 15.0  # past the program's own limit, how long the host waits for a worker before replacing it
# After its answer, how long a worker may take to empty /tmp and ready its next child before it is replaced
# (off the critical path: the next program goes to another idle worker, or to the replacement).
WIPE_BOUND_S = 10.0


class SandboxError(RuntimeError):
    """The sandbox itself cannot work (worker cannot start, bad preamble): not a program's failure."""


class NotReady(Exception):
    """The worker did not take the program in time (nor say it had cleaned up after its last): it never ran it."""


class Worker:
    """One worker process and its pipes; used by one thread at a time (it sits in the idle queue)."""

    def __init__(self, argv: list[str], config: dict[str, Any], tmp: str | None, limits: WorkerLimits | None = None):
        self.tmp, self.limits = tmp, limits
        self.log = tempfile.TemporaryFile()
        # bubblewrap's own process (pid 1 inside) keeps the environment it starts with, and a program can
        # read /proc/1/environ: it gets none. The fallback worker gets only the sandbox's variables.
        self.proc = subprocess.Popen(limits.wrap(argv) if limits else argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log,
                                     env={} if tmp is None else fallback_env(tmp), start_new_session=True)
        os.set_blocking(self.proc.stdin.fileno(), False)  # every write to a worker has a deadline
        self.info: dict[str, Any] = {}
        self.dirty = False  # it answered a program and has not yet said that it cleaned up after it
        try:
            _protocol.write_frame(self.proc.stdin.fileno(), config, time.monotonic() + GRACE_S)
        except (OSError, TimeoutError) as e:
            self.info = {"ready": False, "error": f"the config could not be sent ({type(e).__name__}: {e})"}

    def handshake(self, deadline: float) -> None:
        try:
            info = self.info or _protocol.read_frame(self.proc.stdout.fileno(), deadline)
        except (OSError, EOFError, TimeoutError, ValueError) as e:
            info = {"ready": False, "error": f"{type(e).__name__}: {e}"}
        if not info or not info.get("ready"):
            self.log.seek(0)
            stderr = self.log.read().decode("utf-8", "replace")[-2000:]
            self.kill()
            raise SandboxError(f"sandbox worker failed to start: {(info or {}).get('error', 'no answer')}\n{stderr}")
        self.info = info

    def call(self, request: dict[str, Any], limit_s: float, limit: int) -> dict[str, Any]:
        """Send ``request``, then read the response by its deadline (the program's limit plus a grace).

        The request goes at once (the worker reads it only once it has emptied /tmp and readied its next
        child after the last program, and says so): a worker that does not say so within the cleanup bound
        raises ``NotReady``, and the program, never run, can go to another worker.
        """
        ready_by = time.monotonic() + WIPE_BOUND_S
        try:
            _protocol.write_frame(self.proc.stdin.fileno(), request, ready_by)
            if self.dirty and _protocol.read_frame(self.proc.stdout.fileno(), ready_by, 64) != {"clean": True}:
                raise EOFError("the sandbox worker exited instead of cleaning up")
        except (OSError, EOFError, TimeoutError, ValueError) as e:
            raise NotReady(f"{type(e).__name__}: {e}") from e
        self.dirty = True
        response = _protocol.read_frame(self.proc.stdout.fileno(), time.monotonic() + limit_s + GRACE_S, limit)
        if not isinstance(response, dict):
            raise EOFError("the sandbox worker exited")
        return response

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, 9)
        except OSError:
            pass
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass
        self.log.close()
        if self.limits is not None:
            self.limits.release()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def fallback_env(tmp: str) -> dict[str, str]:
    from mammoth_math.sandbox.isolation import ENV

    return {**ENV, "HOME": tmp, "TMPDIR": tmp}
