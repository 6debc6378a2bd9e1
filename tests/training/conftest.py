"""A small Alpaca export written inside the tests: CoT and PoT rows shaped like the data builder's output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def alpaca_rows(n: int = 40) -> list[dict]:
    rows = []
    for i in range(n):
        a, b = i % 9 + 1, (i * 7) % 13 + 2
        if i % 2:
            rows.append({"instruction": f"What is {a} plus {b}? Let's write a program.", "input": "",
                         "output": f"a = {a}\nb = {b}\nprint(a + b)", "source": "synthetic", "rationale_type": "pot"})
        else:
            rows.append({"instruction": f"Tom has {a} apples and buys {b} more. How many apples does he have?",
                         "input": "", "output": f"Tom has {a} + {b} = {a + b} apples. The answer is {a + b}.",
                         "source": "synthetic", "rationale_type": "cot"})
    return rows


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    path = tmp_path / "export.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in alpaca_rows()), encoding="utf-8")
    return path
