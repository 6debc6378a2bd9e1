"""Every gold answer of the ten real eval sets grades equal to itself and to other renderings of it.

Renderings are what a model or program would plausibly print (`18.0`, `1,000`, `(B)`, the option's
text, `\\dfrac`, `yes`), read back through ``extract_answer`` from CoT text and from program output.
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import pytest

from mammoth_math.benchmarks import load_problems
from mammoth_math.grading import AnswerKind, extract_answer, is_equivalent
from mammoth_math.grading.extract import final_boxed

K = AnswerKind
NAMES = ("gsm8k", "math", "aqua", "numglue", "svamp", "deepmind", "simuleq", "sat", "mmlu_math", "theoremqa")


def renderings(gold: str, kind: AnswerKind, options: tuple[str, ...] | None) -> list[str]:
    """Other spellings of ``gold`` that must grade equal to it."""
    out: list[str] = []
    if kind in (K.NUMBER, K.EXPRESSION) and re.fullmatch(r"-?\d+", gold):
        big, number = abs(int(gold)) >= 1000, kind is K.NUMBER
        out += [gold + ".0", f"{int(gold):,}" if big else "$" + gold if number else gold + ".00"]
    elif kind in (K.NUMBER, K.EXPRESSION) and re.fullmatch(r"-?\d*\.\d+", gold):
        out += [gold + "0", str(Fraction(gold).numerator) + "/" + str(Fraction(gold).denominator)]
    elif kind is K.NUMBER and re.fullmatch(r"-?\d+/\d+", gold):
        num, den = gold.split("/")
        out += [f"\\frac{{{num}}}{{{den}}}", f"{int(num) / int(den):.6f}"]
    elif kind is K.EXPRESSION and re.fullmatch(r"-?\\frac\{\d+\}\{\d+\}", gold):
        num, den = re.findall(r"\d+", gold)
        sign = "-" if gold.startswith("-") else ""
        out += [f"{sign}{num}/{den}", f"{sign}\\dfrac{num}{den}" if len(num + den) == 2 else f"{sign}{num} / {den}"]
    elif kind is K.EXPRESSION:
        alt = gold.replace("\\frac", "\\dfrac").replace(",", ", ")
        out += [f"${alt}$" if alt != gold else f"$ {gold} $", f"\\left.{gold}\\right."[6:-7] + " "]
    elif kind is K.CHOICE:
        out += [f"({gold})", f"{gold})"]
        if options and [o.strip().lower() for o in options].count(options[ord(gold) - 65].strip().lower()) == 1:
            out.append(options[ord(gold) - 65])
    elif kind is K.BOOL:
        out += ["yes" if gold == "True" else "no", gold.lower()]
    elif kind is K.LIST:
        inner = gold[1:-1]
        out += [inner, "(" + inner.replace(", ", ",") + ")"]
    elif kind is K.TEXT:
        out += [gold.lower(), f"\\text{{{gold}}}"]
    return out


@pytest.mark.parametrize("name", NAMES)
def test_every_gold_matches_itself_and_other_renderings(name: str, eval_dir: Path) -> None:
    problems = load_problems(name, eval_dir)
    assert problems
    failures = []
    for p in problems:
        alts = renderings(p.gold, p.kind, p.options)
        assert len(alts) >= 1 and all(a != p.gold for a in alts), (p.id, p.gold, alts)
        checks = [("self", p.gold)] + [("rendering", a) for a in alts]
        for label, text in checks:
            if not is_equivalent(text, p.gold, p.kind, options=p.options):
                failures.append((p.id, label, text, p.gold))
        cot = extract_answer(f"Let's solve it step by step.\nSo the answer is {alts[0]}.", p.kind, p.options)
        program = extract_answer(f"{alts[-1]}\n", p.kind, p.options, from_program=True)
        for label, ex in (("cot", cot), ("program", program)):
            if not is_equivalent(ex, p.gold, p.kind, options=p.options):
                failures.append((p.id, label, ex, p.gold))
    assert not failures, f"{len(failures)} failures, first: {failures[:5]}"


def test_gsm8k_gold_extracted_from_its_rationale(eval_dir: Path) -> None:
    problems = load_problems("gsm8k", eval_dir)
    lines = (eval_dir / "gsm8k" / "gsm8k.jsonl").read_text(encoding="utf-8").splitlines()
    rationales = [json.loads(line)["answer"] for line in lines if line.strip()]
    bad = [(p.id, ex) for p, r in zip(problems, rationales)
           if not is_equivalent(ex := extract_answer(r, K.NUMBER), p.gold) or ex.rule != "####"]
    assert not bad, bad[:5]


def test_math_gold_extracted_from_its_solution(eval_dir: Path) -> None:
    solutions = sorted((eval_dir / "math").rglob("*.json"))
    assert len(solutions) == 5000
    bad = []
    for path in solutions:
        solution = json.loads(path.read_text(encoding="utf-8"))["solution"]
        ex = extract_answer(solution, K.EXPRESSION)
        if ex.rule != "boxed" or not is_equivalent(ex, final_boxed(solution), K.EXPRESSION):
            bad.append((path.name, ex))
    assert not bad, bad[:5]
