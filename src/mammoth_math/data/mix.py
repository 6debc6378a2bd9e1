"""Mixing: per-source caps and weights (per rationale type: cot, pot, tir), an optional PoT share, then one
seeded shuffle.

Everything is drawn from ``random.Random(seed)`` over rows in build order, so the same config and seed
give the same rows in the same order.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mammoth_math.data.examples import Example, base_source


@dataclass(frozen=True)
class SourceMix:
    cap: int | None = None  # most rows kept per rationale type of this source
    weight: float = 1.0  # 0.5 keeps a random half, 2.0 repeats every row twice, 1.5 repeats a random half


def mix(examples: Sequence[Example], per_source: Mapping[str, SourceMix], seed: int = 0,
        pot_ratio: float | None = None) -> list[Example]:
    """Apply caps, weights and the PoT share (``pot / (cot + pot)``), then shuffle with ``seed``."""
    rng = random.Random(seed)
    groups: dict[tuple[str, str], list[Example]] = {}
    for e in examples:
        groups.setdefault((base_source(e.source), e.rationale_type), []).append(e)
    chosen: list[Example] = []
    for (source, _), rows in sorted(groups.items()):
        rule = per_source.get(source, SourceMix())
        if rule.cap is not None and len(rows) > rule.cap:
            rows = rng.sample(rows, rule.cap)
        chosen += _weighted(rows, rule.weight, rng)
    if pot_ratio is not None:
        chosen = _balance(chosen, pot_ratio, rng)
    rng.shuffle(chosen)
    return chosen


def _weighted(rows: list[Example], weight: float, rng: random.Random) -> list[Example]:
    if weight < 0:
        raise ValueError(f"weight must be >= 0, got {weight}")
    whole, part = int(weight), weight - int(weight)
    return rows * whole + rng.sample(rows, round(len(rows) * part))


def _balance(rows: list[Example], pot_ratio: float, rng: random.Random) -> list[Example]:
    """Downsample the over-represented type so that PoT makes up ``pot_ratio`` of the CoT and PoT rows (other
    types, TIR, are left as they are)."""
    if not 0.0 <= pot_ratio <= 1.0:
        raise ValueError(f"pot_ratio must be in [0, 1], got {pot_ratio}")
    pot = [r for r in rows if r.rationale_type == "pot"]
    cot = [r for r in rows if r.rationale_type == "cot"]
    others = {id(r) for r in rows if r.rationale_type not in ("cot", "pot")}
    if pot_ratio in (0.0, 1.0):
        keep = {id(r) for r in (pot if pot_ratio == 1.0 else cot)} | others
        return [r for r in rows if id(r) in keep]
    want_pot = min(len(pot), round(len(cot) * pot_ratio / (1 - pot_ratio)))
    want_cot = min(len(cot), round(want_pot * (1 - pot_ratio) / pot_ratio))
    keep = {id(r) for r in rng.sample(pot, want_pot) + rng.sample(cot, want_cot)} | others
    return [r for r in rows if id(r) in keep]
