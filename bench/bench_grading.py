"""Grading speed: our grader vs math-verify (and PRM800K's grader) on the same answers, with ratios.

Two workloads. Default: the 5,000 MATH gold answers, each graded against a perturbed copy (seeded): half an equal
answer in another form (`18.0`, `1/2` for `\\frac{1}{2}`, `\\dfrac`, spacing, `0 + x`, `1\\cdot (x)`), half a wrong one
(off by one, a changed fraction, `+1`). With ``--outputs``: other harnesses' saved model responses (as in
``bench/agreement.py``), each extracted and judged by every grader. Prints answers/s, the ratios, the slowest
single case, the median time per answer (robust to a shared machine's scheduling stalls), and how often each
grader agrees with the label (the intended one, or ours on real responses).
``--prm800k-dir`` adds PRM800K's ``grade_answer`` (loaded from your copy, never vendored here). Caches are cleared
before the clock starts; each grader sees every pair once.

    python bench/bench_grading.py [--data-dir ../shared/data/eval] [--limit N] [--prm800k-dir prm800k/prm800k]
    python bench/bench_grading.py --outputs qwen_math_cot_100.jsonl tora_gsm8k.jsonl --prm800k-dir prm800k/prm800k
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mammoth_math.grading import AnswerKind, grade, is_equivalent, last_boxed, parse_gold
from mammoth_math.grading.equivalence import _rule_verdict_cached
from mammoth_math.progress import track

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agreement import harness_responses, load_prm800k, prm800k_answer  # noqa: E402  (a sibling script)

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


Timed = tuple[list[bool], list[float]]


def _timed(name: str, pairs: list[tuple[str, str]], check: Callable[[str, str], bool]) -> Timed:
    gc.collect()
    gc.freeze()  # what earlier graders left on the heap (sympy's caches) is not rescanned on this one's clock
    verdicts, times = [], []
    for pred, gold in track(pairs, name):
        t = time.perf_counter()
        verdicts.append(bool(check(pred, gold)))
        times.append(time.perf_counter() - t)
    return verdicts, times


def run_ours(pairs: list[tuple[str, str]], texts: bool) -> Timed:
    """Ours: ``grade`` (extract, then rule_verdict) on texts; ``is_equivalent`` on answers. The gold is parsed outside
    the clock, as a benchmark loader does once per problem."""
    warm = [(f"\\sqrt{{{4 * n}}}", f"2\\sqrt{{{n}}}") for n in (2, 3, 5, 6)]  # only sympy proves these equal
    with ThreadPoolExecutor(len(warm)) as pool:  # every worker started (and busy once) outside the clock
        list(pool.map(lambda pair: is_equivalent(*pair, AnswerKind.EXPRESSION), warm))
    _rule_verdict_cached.cache_clear()
    canon = [(pred, parse_gold(gold, AnswerKind.EXPRESSION) if gold.strip() else "") for pred, gold in pairs]
    if texts:
        return _timed("ours", canon, lambda text, gold: grade(text, gold, AnswerKind.EXPRESSION).correct)
    return _timed("ours", canon, lambda pred, gold: is_equivalent(pred, gold, AnswerKind.EXPRESSION))


def run_math_verify(pairs: list[tuple[str, str]], texts: bool) -> Timed:
    from math_verify import parse, verify

    verify(parse("\\boxed{1}"), parse("\\boxed{1}"))  # load the grammar outside the clock
    wrap = (lambda t: t) if texts else (lambda t: "\\boxed{" + t + "}")
    return _timed("math-verify", pairs, lambda pred, gold: verify(parse("\\boxed{" + gold + "}"), parse(wrap(pred))))


def run_prm800k(pairs: list[tuple[str, str]], texts: bool, grade_answer: Callable[[str | None, str], bool]) -> Timed:
    read = prm800k_answer if texts else (lambda t: t)
    return _timed("PRM800K", pairs, lambda pred, gold: grade_answer(read(pred), gold))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", type=Path, default=REPO.parent / "shared" / "data" / "eval")
    ap.add_argument("--limit", type=int, default=None, help="first N MATH problems (default: all 5,000)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--outputs", type=Path, nargs="*", default=[], help="harness output JSONL files (real responses)")
    ap.add_argument("--prm800k-dir", type=Path, help="openai/prm800k's prm800k/ folder (holds grading/grader.py)")
    args = ap.parse_args()

    texts = bool(args.outputs)
    if texts:
        responses = [r for path in args.outputs for r in harness_responses(path)][:args.limit]
        pairs, labels = [(r.text, r.gold) for r in responses], None
    else:
        golds = load_golds(args.data_dir, args.limit)
        rng = random.Random(args.seed)
        perturbed = [perturb(g, rng) for g in golds]
        pairs, labels = [(p, g) for (p, _), g in zip(perturbed, golds)], [lab for _, lab in perturbed]

    runs = {"math-verify (direct)": run_math_verify(pairs, texts)}
    if args.prm800k_dir:
        runs["PRM800K grader"] = run_prm800k(pairs, texts, load_prm800k(args.prm800k_dir))
    runs["mammoth-math"] = run_ours(pairs, texts)
    reference = labels or runs["mammoth-math"][0]

    table = Table("grader", "answers/s", "total s", "median µs", "max case s",
                  "agrees with " + ("label" if labels else "ours"))
    speed, median = {}, {}
    for name, (verdicts, times) in runs.items():
        speed[name] = len(times) / sum(times)
        median[name] = statistics.median(times)
        agree = sum(v == lab for v, lab in zip(verdicts, reference)) / len(reference)
        table.add_row(name, f"{speed[name]:,.0f}", f"{sum(times):.2f}", f"{median[name] * 1e6:,.0f}",
                      f"{max(times):.3f}", f"{agree:.1%}")
    console = Console()
    console.print(table)
    what = "real responses" if texts else "MATH gold answers, half perturbed equal, half wrong"
    console.print(f"{len(pairs)} {what}")
    for name in runs:
        if name != "mammoth-math":
            console.print(f"speed ratio mammoth-math / {name}: {speed['mammoth-math'] / speed[name]:.2f}x "
                          f"(median answer: {median[name] / median['mammoth-math']:.2f}x)")
    console.print(f"slowest single case (ours): {max(runs['mammoth-math'][1]):.3f}s (timeout 5s)")


if __name__ == "__main__":
    main()
