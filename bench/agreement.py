"""Agreement with the field's own graders: their test suites, and PRM800K's grader on other harnesses' outputs.

Reads the (gold, prediction, expected) cases of Math-Verify's ``tests/`` and Hendrycks' ``math_equivalence_test.py``
from copies you fetched (never vendored here), grades each as an EXPRESSION answer the way an evaluation does
(``extract_answer`` on both texts, then ``rule_verdict``), and prints the agreement per suite and file and every
disagreement. Options a suite sets per case (math-verify's ``precision``, ``strict``, ``allow_set_relation_comp``)
are shown with the disagreement: our grader has one rule set, so they are not applied.

``--outputs`` grades public model responses saved by other harnesses (the math-evaluation-harness format that
Qwen2.5-Math and ToRA release: ``gt``, ``code`` = responses, ``pred``, ``score``) with ours and with PRM800K's
``grading/grader.py``, loaded from the copy ``--prm800k-dir`` names (openai/prm800k's ``prm800k/`` folder; it
needs ``pylatexenc``); where the file has its harness's own ``score`` that agreement is printed too. Every
disagreement with PRM800K is printed with its category (:mod:`agreement_cases`).

    python bench/agreement.py --math-verify Math-Verify/tests --hendrycks math/modeling/math_equivalence_test.py \
        --prm800k-dir prm800k/prm800k --outputs qwen_math_cot_100.jsonl tora_gsm8k.jsonl
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

from mammoth_math.grading import AnswerKind, GradeConfig, extract_answer, grade, rule_verdict, last_boxed, parse_gold

sys.path.insert(0, str(Path(__file__).resolve().parent))
from agreement_cases import ARGUED  # noqa: E402  (a sibling file of this script, not a package)

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
    verdict = rule_verdict(pred, gold, GradeConfig(E, timeout=10))
    return verdict.correct, verdict.method, gold, pred


@dataclass
class Response:
    """One saved model response of another harness, with its gold and that harness's verdict (None if not saved)."""

    source: str
    key: str  # file stem:row:sample, stable across runs
    text: str
    gold: str
    harness_pred: str | None
    harness_score: bool | None


def harness_responses(path: Path) -> list[Response]:
    """Every response of a math-evaluation-harness output file (Qwen2.5-Math, ToRA): ``gt``, ``code``, ``pred``."""
    out = []
    for row_no, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if not line.strip():
            continue
        row = json.loads(line)
        preds, scores = row.get("pred") or [], row.get("score") or []
        for i, text in enumerate(row["code"]):
            out.append(Response(path.stem, f"{path.stem}:{row_no}:{i}", text, str(row["gt"]),
                                preds[i] if i < len(preds) else None, bool(scores[i]) if i < len(scores) else None))
    return out


def load_prm800k(folder: Path) -> Callable[[str | None, str], bool]:
    """PRM800K's ``grade_answer(given_answer, ground_truth)`` from a fetched copy (never vendored here)."""
    if not (folder / "grading" / "grader.py").is_file():
        raise SystemExit(f"{folder}: no grading/grader.py (give openai/prm800k's prm800k/ folder)")
    sys.path.insert(0, str(folder))
    return importlib.import_module("grading.grader").grade_answer


def prm800k_answer(text: str) -> str | None:
    """What PRM800K's grader is given: its own format's `# Answer` section, else the last box (MATH's rule)."""
    if "# Answer" in text:
        return text.rsplit("# Answer", 1)[1].strip().split("\n")[0].strip()
    return last_boxed(text)


def compare_outputs(paths: list[Path], prm800k: Callable[[str | None, str], bool] | None, console: Console,
                    jsonl: Path | None) -> None:
    """Grade every response with ours and PRM800K's grader; print agreement and each disagreement, argued."""
    responses = [r for path in paths for r in harness_responses(path)]
    table = Table("source", "responses", "ours correct", "PRM800K agree", "harness agree")
    disagreements, by_source = [], {}
    for r in responses:
        ours_grade = grade(r.text, parse_gold(r.gold, E), E)
        peer = prm800k(prm800k_answer(r.text), r.gold) if prm800k else None
        stats = by_source.setdefault(r.source, Counter())
        stats["n"] += 1
        stats["ours"] += ours_grade.correct
        if peer is not None:
            stats["peer n"] += 1
            stats["peer agree"] += peer == ours_grade.correct
            if peer != ours_grade.correct:
                disagreements.append((r, ours_grade, peer))
        if r.harness_score is not None:
            stats["harness n"] += 1
            stats["harness agree"] += r.harness_score == ours_grade.correct
    total = Counter()
    for source, stats in by_source.items():
        total.update(stats)
        table.add_row(source, *_share_cells(stats))
    table.add_row("all", *_share_cells(total))
    console.print(table)
    categories = Counter()
    for r, ours_grade, peer in disagreements:
        category, argument = ARGUED.get(r.key, ("UNARGUED", "not yet examined"))
        argument = argument.replace("{gold}", r.gold)
        categories[category] += 1
        console.print(f"[bold]{r.key}[/bold] ours {int(ours_grade.correct)}, PRM800K {int(peer)}: {category}: "
                      f"{argument}\n  gold {r.gold!r}; ours read {ours_grade.answer!r} ({ours_grade.extraction.rule}); "
                      f"PRM800K read {prm800k_answer(r.text)!r}; harness read {r.harness_pred!r}", highlight=False)
    for category, n in categories.most_common():
        console.print(f"{n:4d}  {category}")
    if jsonl:
        with jsonl.open("a", encoding="utf-8") as f:
            for r, ours_grade, peer in disagreements:
                f.write(json.dumps({"key": r.key, "gold": r.gold, "ours": ours_grade.correct, "prm800k": peer,
                                    "ours_answer": ours_grade.answer, "peer_answer": prm800k_answer(r.text),
                                    "tail": r.text[-300:]}) + "\n")


def _share_cells(stats: Counter) -> list[str]:
    def share(agree: str, n: str) -> str:
        return f"{stats[agree]}/{stats[n]} = {stats[agree] / stats[n]:.2%}" if stats[n] else "-"

    return [str(stats["n"]), str(stats["ours"]), share("peer agree", "peer n"), share("harness agree", "harness n")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--math-verify", type=Path, help="the tests/ folder of huggingface/Math-Verify")
    ap.add_argument("--hendrycks", type=Path, help="modeling/math_equivalence_test.py of hendrycks/math")
    ap.add_argument("--prm800k-dir", type=Path, help="openai/prm800k's prm800k/ folder (holds grading/grader.py)")
    ap.add_argument("--outputs", type=Path, nargs="*", default=[], help="harness output JSONL files to grade")
    ap.add_argument("--jsonl", type=Path, help="also write every disagreement here")
    args = ap.parse_args()
    console = Console()
    if args.jsonl:
        args.jsonl.write_text("", encoding="utf-8")
    if args.outputs:
        compare_outputs(args.outputs, load_prm800k(args.prm800k_dir) if args.prm800k_dir else None, console,
                        args.jsonl)

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
        with args.jsonl.open("a", encoding="utf-8") as f:
            f.write("".join(json.dumps(d) + "\n" for d in disagreements))


if __name__ == "__main__":
    main()
