"""Mixing: caps, weights, the PoT share and seeded order."""

from __future__ import annotations

from mammoth_math.data.examples import Example
from mammoth_math.data.mix import SourceMix, mix


def _rows(source: str, kind: str, n: int) -> list[Example]:
    return [Example(source, f"{source}/{kind}/{i}", kind, f"q{i}", "o", "1", "number") for i in range(n)]


def test_caps_weights_and_pot_ratio():
    rows = _rows("gsm8k", "cot", 100) + _rows("gsm8k", "pot", 100) + _rows("math", "cot", 50)
    capped = mix(rows, {"gsm8k": SourceMix(cap=10)}, seed=0)
    assert sum(r.source == "gsm8k" for r in capped) == 20 and sum(r.source == "math" for r in capped) == 50
    doubled = mix(rows, {"math": SourceMix(weight=2.0)}, seed=0)
    assert sum(r.source == "math" for r in doubled) == 100
    halved = mix(rows, {"math": SourceMix(weight=0.5)}, seed=0)
    assert sum(r.source == "math" for r in halved) == 25
    balanced = mix(rows, {}, seed=0, pot_ratio=0.25)
    pot = sum(r.rationale_type == "pot" for r in balanced)
    assert pot == 50 and len(balanced) == 200


def test_same_seed_same_order_other_seed_other_order():
    rows = _rows("gsm8k", "cot", 50)
    assert mix(rows, {}, seed=3) == mix(rows, {}, seed=3)
    assert mix(rows, {}, seed=3) != mix(rows, {}, seed=4)
