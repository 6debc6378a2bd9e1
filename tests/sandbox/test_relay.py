"""The session relay (``_sessions._Relay``) driven through its pipes, without a fork server or sessions."""

from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from mammoth_math.sandbox.isolation import WORKER_DIR

sys.path.insert(0, str(WORKER_DIR))  # as inside the jail: the modules import each other by top-level name
_sessions = pytest.importorskip("_sessions")
_protocol = pytest.importorskip("_protocol")


def test_a_report_and_the_exit_in_one_poll_round_do_not_wedge_the_relay():
    """A session reports its block and exits at once (its request pipe gave end of file): the relay sees
    the fork server's exit news and the report in one round, answers from the news and must not then
    read the drained report pipe (a blocking read that would never return)."""
    requests_read, requests_write = os.pipe()
    responses_read, responses_write = os.pipe()
    commands_read, commands_write = os.pipe()
    messages_read, messages_write = os.pipe()
    slot = _sessions._Slot.make(0, 1024)
    os.set_blocking(slot.request_write, False)
    slot.sid, slot.pid, slot.rid, slot.timeout, slot.started = 7, 4242, 1, 60.0, time.monotonic()
    _protocol.write_frame(slot.report_write, {"error": None, "answer": None, "answer_source": None,
                                              "memory_exceeded": False})
    _protocol.write_frame(messages_write, {"exited": 4242, "status": 0})
    relay = _sessions._Relay(requests_read, responses_write, commands_write, messages_read, [slot])
    serving = threading.Thread(target=relay.serve, daemon=True)  # daemon: a wedged relay must not hang pytest
    serving.start()
    answer = _protocol.read_frame(responses_read, deadline=time.monotonic() + 60)
    assert answer["rid"] == 1 and answer["ended"] is True
    _protocol.write_frame(requests_write, {"op": "run", "rid": 2, "sid": 7, "code": "", "timeout": 1.0,
                                           "memory_mb": 64})
    answer = _protocol.read_frame(responses_read, deadline=time.monotonic() + 60)  # TimeoutError if wedged
    assert answer["rid"] == 2 and answer["error"].startswith("SessionEnded")
    os.close(requests_write)
    serving.join()
    assert _protocol.read_frame(commands_read, deadline=time.monotonic() + 60) == {"op": "kill", "pid": 4242}
