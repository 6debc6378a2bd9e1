"""Agreement with the field's own grader test suites, through our extract-then-judge path.

Reads the (gold, prediction, expected) cases of Math-Verify's ``tests/`` and Hendrycks' ``math_equivalence_test.py``
from copies you fetched (never vendored here), grades each as an EXPRESSION answer the way an evaluation does
(``extract_answer`` on both texts, then ``judge``), and prints the agreement per suite and file and every
disagreement. Options a suite sets per case (math-verify's ``precision``, ``strict``, ``allow_set_relation_comp``)
are shown with the disagreement: our grader has one rule set, so they are not applied.

    python bench/agreement.py --math-verify Math-Verify/tests --hendrycks math/modeling/math_equivalence_test.py
"""

from __future__ import annotations

import argparse
import ast
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mammoth_math.grading import AnswerKind, GradeConfig, extract_answer, judge

E = AnswerKind.EXPRESSION


@dataclass
class Case:
    suite: str
    where: str  # file::test
    gold: str
    pred: str
    expected: bool
    options: dict = field(default_factory=dict)  # the suite's per-case settings we do not apply


def _param_rows(decorator: ast.Call) -> tuple[list[str], list[ast.expr]]:
    names = ast.literal_eval(decorator.args[0])
    names = [n.strip() for n in (names.split(",") if isinstance(names, str) else names)]
    return names, list(decorator.args[1].elts) if isinstance(decorator.args[1], ast.List | ast.Tuple) else []


def math_verify_cases(tests: Path) -> tuple[list[Case], int]:
    """Every parametrized (gold, pred, expected) row of Math-Verify's tests; also how many rows could not be read."""
    cases, unreadable = [], 0
    for path in sorted(tests.glob("test_*.py")):
        for fn in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(fn, ast.FunctionDef):
                continue
            for dec in fn.decorator_list:
                if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
                    continue
                names, rows = _param_rows(dec)
                verdict = "expected" if "expected" in names else "result" if "result" in names else None
                if "gold" not in names or verdict is None:
                    continue
                for row in rows:
                    try:
                        values = dict(zip(names, ast.literal_eval(row), strict=True))
                    except (ValueError, SyntaxError):  # an f-string computed at test time
                        unreadable += 1
                        continue
                    extra = {k: v for k, v in values.items() if k not in ("gold", "pred", verdict)}
                    cases.append(Case("math-verify", f"{path.name}::{fn.name}", values["gold"], values["pred"],
                                      bool(values[verdict]), extra))
    return cases, unreadable


def hendrycks_cases(test_file: Path) -> list[Case]:
    """Each ``test_in``/``test_out`` pair of Hendrycks' unittest file with its assertTrue/assertFalse verdict."""
    cases = []
    for fn in ast.walk(ast.parse(test_file.read_text(encoding="utf-8"))):
        if not isinstance(fn, ast.FunctionDef):
            continue
        values: dict[str, str] = {}
        for node in fn.body:
            if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                values[node.targets[0].id] = ast.literal_eval(node.value)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                check = getattr(node.value.func, "attr", "")
                if check in ("assertTrue", "assertFalse"):
                    cases.append(Case("hendrycks", f"{test_file.name}::{fn.name}", values["test_in"],
                                      values["test_out"], check == "assertTrue"))
    return cases


def ours(case: Case) -> tuple[bool, str, str | None, str | None]:
    """Our verdict, its method, and the two extracted answers."""
    gold = extract_answer(case.gold, E).answer or case.gold.strip()
    pred = extract_answer(case.pred, E).answer
    verdict = judge(pred, gold, GradeConfig(E, timeout=10))
    return verdict.correct, verdict.method, gold, pred


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--math-verify", type=Path, help="the tests/ folder of huggingface/Math-Verify")
    ap.add_argument("--hendrycks", type=Path, help="modeling/math_equivalence_test.py of hendrycks/math")
    ap.add_argument("--jsonl", type=Path, help="also write every disagreement here")
    args = ap.parse_args()
    console = Console()

    cases: list[Case] = []
    if args.math_verify and args.math_verify.is_dir():
        found, unreadable = math_verify_cases(args.math_verify)
        cases += found
        if unreadable:
            console.print(f"math-verify: {unreadable} rows computed at test time were skipped")
    else:
        console.print("math-verify tests not given or absent: skipped")
    if args.hendrycks and args.hendrycks.is_file():
        cases += hendrycks_cases(args.hendrycks)
    else:
        console.print("hendrycks test file not given or absent: skipped")

    table = Table("suite / file", "cases", "agree", "share")
    totals: dict[str, list[int]] = {}
    disagreements = []
    for case in cases:
        correct, method, gold, pred = ours(case)
        agree = correct == case.expected
        for key in (case.suite, f"  {case.where.split('::')[0]}"):
            totals.setdefault(key, [0, 0])
            totals[key][0] += 1
            totals[key][1] += agree
        if not agree:
            disagreements.append({**asdict(case), "ours": correct, "method": method, "gold_answer": gold,
                                  "pred_answer": pred})
    for key, (n, agree) in totals.items():
        table.add_row(key, str(n), str(agree), f"{agree / n:.1%}")
    console.print(table)
    for d in disagreements:
        console.print(f"[bold]{d['where']}[/bold] expected {int(d['expected'])}, ours {int(d['ours'])} ({d['method']})"
                      f" {d['options'] or ''}\n  gold {d['gold'][-120:]!r} -> {d['gold_answer']!r}\n"
                      f"  pred {d['pred'][-160:]!r} -> {d['pred_answer']!r}", highlight=False)
    if args.jsonl:
        args.jsonl.write_text("".join(json.dumps(d) + "\n" for d in disagreements), encoding="utf-8")


if __name__ == "__main__":
    main()
