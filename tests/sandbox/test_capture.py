"""The capped output capture keeps the head and the tail (where the printed answer is)."""

from __future__ import annotations

import sys

import pytest

from mammoth_math.sandbox.isolation import WORKER_DIR

sys.path.insert(0, str(WORKER_DIR))  # as inside the jail: the modules import each other by top-level name
_capture = pytest.importorskip("_capture")


@pytest.mark.parametrize("chunks", [["abc"], ["0123456789"] * 7, ["x" * 1000, "end\n"], ["a", "b" * 37, "ccc"]])
def test_head_and_tail_survive(chunks):
    cap = _capture.SharedCapture(16)
    cap.reset()
    w = cap.writer(0)
    for c in chunks:
        w.write(c)
    text, total = cap.read(0)
    whole = "".join(chunks)
    assert total == len(whole)
    if len(whole) <= 16:
        assert text == whole
    else:
        assert text.startswith(whole[:8]) and text.endswith(whole[-8:]) and "dropped" in text
