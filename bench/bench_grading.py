"""Grading speed: our grader vs math-verify called directly, on the 5,000 MATH gold answers.

Each gold is graded against a perturbed copy (seeded): half an equal answer in another form
(`18.0`, `1/2` for `\\frac{1}{2}`, `\\dfrac`, spacing, `0 + x`, `1\\cdot (x)`), half a wrong one (off by one, a changed
fraction, `+1`). Prints answers/s for both, the ratio (target >= 1x), the slowest single case,
and how often each grader agrees with the intended label.

    python bench/bench_grading.py [--data-dir ../shared/data/eval] [--limit N]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mammoth_math.grading import AnswerKind, is_equivalent, last_boxed, parse_gold
from mammoth_math.progress import track

REPO = Path(__file__).resolve().parents[1]


def load_golds(data_dir: Path, limit: int | None) -> list[str]:
    files = sorted((data_dir / "math").rglob("*.json"))[:limit]
    return [last_boxed(json.loads(f.read_text(encoding="utf-8"))["solution"]) or "" for f in files]


def perturb(gold: str, rng: random.Random) -> tuple[str, bool]:
    """Another rendering of ``gold`` and whether it should still grade equal."""
    equal = rng.random() < 0.5
    if re.fullmatch(r"-?\d+", gold):
        n = int(gold)
        return (rng.choice([f"{n}.0", f"{n:,}", f"{n}.00"]) if equal else str(n + rng.choice([-1, 1, 10]))), equal
    m = re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", gold)
    if m:
        sign, a, b = m.groups()
        return (f"{sign}{a}/{b}" if equal else f"{sign}\\frac{{{int(a) + 1}}}{{{b}}}"), equal
    structured = (gold.startswith(("(", "[", "\\{", "\\left"))
                  or any(t in gold for t in (",", "=", "\\text", "\\begin")) or gold.isalpha() or not gold)
    if equal and structured:
        return (gold.replace("\\frac", "\\dfrac") if "\\frac" in gold else re.sub(r",(?!\d{3})", ", ", gold)), True
    if equal:  # a spelling only normalisation unifies, or an algebraic one only sympy does
        return rng.choice([f"{{{gold}}}", f"0 + {gold}", f"1\\cdot ({gold})"]), True
    if structured:
        return (gold.replace("1", "2", 1) if "1" in gold else gold + "0"), False
    return f"{gold}+1", False


def run_ours(golds: list[str], preds: list[str]) -> tuple[list[bool], list[float]]:
    verdicts, times = [], []
    canon = [parse_gold(g, AnswerKind.EXPRESSION) if g.strip() else "" for g in golds]
    is_equivalent("\\sqrt{2}", "\\sqrt{2}+0", AnswerKind.EXPRESSION)  # start the worker outside the clock
    for gold, pred in track(list(zip(canon, preds)), "ours"):
        t = time.perf_counter()
        verdicts.append(is_equivalent(pred, gold, AnswerKind.EXPRESSION))
        times.append(time.perf_counter() - t)
    return verdicts, times


def run_math_verify(golds: list[str], preds: list[str]) -> tuple[list[bool], list[float]]:
    from math_verify import parse, verify

    verify(parse("\\boxed{1}"), parse("\\boxed{1}"))  # load the grammar outside the clock
    verdicts, times = [], []
    for gold, pred in track(list(zip(golds, preds)), "math-verify"):
        t = time.perf_counter()
        verdicts.append(bool(verify(parse("\\boxed{" + gold + "}"), parse("\\boxed{" + pred + "}"))))
        times.append(time.perf_counter() - t)
    return verdicts, times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data" / "eval")
    ap.add_argument("--limit", type=int, default=None, help="first N MATH problems (default: all 5,000)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    golds = load_golds(args.data_dir, args.limit)
    rng = random.Random(args.seed)
    pairs = [perturb(g, rng) for g in golds]
    preds, labels = [p for p, _ in pairs], [lab for _, lab in pairs]

    mv_verdicts, mv_times = run_math_verify(golds, preds)
    our_verdicts, our_times = run_ours(golds, preds)

    table = Table("grader", "answers/s", "total s", "max case s", "agrees with label")
    rows = {}
    runs = (("math-verify (direct)", mv_verdicts, mv_times), ("mammoth-math", our_verdicts, our_times))
    for name, verdicts, times in runs:
        total = sum(times)
        rows[name] = len(times) / total
        agree = sum(v == lab for v, lab in zip(verdicts, labels)) / len(labels)
        table.add_row(name, f"{rows[name]:,.0f}", f"{total:.2f}", f"{max(times):.3f}", f"{agree:.1%}")
    console = Console()
    console.print(table)
    ratio = rows["mammoth-math"] / rows["math-verify (direct)"]
    disagree = sum(a != b for a, b in zip(mv_verdicts, our_verdicts))
    console.print(f"{len(golds)} MATH gold answers; {sum(labels)} perturbed equal, {len(labels) - sum(labels)} wrong; "
                  f"graders disagree on {disagree}")
    console.print(f"speed ratio (mammoth-math / math-verify): {ratio:.2f}x (target >= 1x); "
                  f"slowest single case: {max(our_times):.3f}s (timeout 5s)")


if __name__ == "__main__":
    main()
