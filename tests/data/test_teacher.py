"""The teacher's program reader, shared by ``data synthesize`` and ``data distill``."""

from __future__ import annotations

from mammoth_math.data.teacher import extract_program
from mammoth_math.sandbox.program import unwrap_fences


def test_extract_program():
    assert extract_program("Here:\n```python\nx = 2\nprint(x)\n```") == "x = 2\nprint(x)\n"
    assert extract_program("print(3)") == "print(3)\n"
    assert extract_program("the the the (((") is None
    assert extract_program("x = 3") is None  # prints nothing
    # one fence reader with the sandbox: every python block in order, other languages left out
    reply = "First:\n```python\nx = 2\n```\nRun it:\n```bash\npython a.py\n```\n```py\nprint(x)\n```"
    assert extract_program(reply) == "x = 2\n\nprint(x)\n" == unwrap_fences(reply).strip() + "\n"
