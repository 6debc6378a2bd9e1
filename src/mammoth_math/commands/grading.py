"""``mammoth-math grade`` (one prediction) and ``regrade`` (another harness's saved outputs, optionally judged)."""

from __future__ import annotations

import argparse
from pathlib import Path

from mammoth_math.commands.common import add_cache_flags, add_grading_mode, add_judge_flags, cache_dir, print_json


def add_commands(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("grade", help="extract the answer from one prediction and grade it against a gold answer")
    g.add_argument("--pred", required=True, help="model output (CoT text) or, with --from-program, a program's output")
    g.add_argument("--gold", required=True, help="the gold answer (raw: 1363.0, (b), [1, 2], True ...)")
    _add_grading_flags(g)
    g.add_argument("--options", nargs="+", help="option texts in letter order (A, B, ...) for --kind choice")
    g.add_argument("--from-program", action="store_true", help="--pred is what a PoT program printed")
    g.set_defaults(handler=_grade)
    r = sub.add_parser("regrade", help="re-grade the saved outputs of any harness (JSONL); prints accuracy")
    r.add_argument("file", help="JSONL with one prediction and one gold answer per row")
    r.add_argument("--pred-key", required=True, help="row field holding the model output")
    r.add_argument("--gold-key", required=True, help="row field holding the gold answer")
    _add_grading_flags(r)
    r.add_argument("--kind-key", help="row field naming each row's kind (wins over --kind)")
    r.add_argument("--options-key", help="row field holding the option texts, for choice rows")
    r.add_argument("--answers", action="store_true", help="the prediction field is an extracted answer, not text")
    r.add_argument("--out", help="where to write rows with their verdicts (default: FILE.graded.jsonl)")
    add_judge_flags(r)
    r.add_argument("--question-key", default="question", help="row field holding the question, shown to the judge")
    add_cache_flags(r)
    r.set_defaults(handler=_regrade)


def _add_grading_flags(p: argparse.ArgumentParser) -> None:
    from mammoth_math.grading.kinds import AnswerKind

    p.add_argument("--kind", choices=[k.value for k in AnswerKind], default="number", help="answer kind")
    add_grading_mode(p)
    p.add_argument("--rel-tol", type=float,
                   help="relative tolerance for non-integer golds (default 1e-4; TheoremQA 0.04)")


def _grade(args: argparse.Namespace) -> int:
    from mammoth_math.grading import grade, parse_gold

    try:
        gold = parse_gold(args.gold, args.kind)
    except ValueError as e:
        raise ValueError(f"--gold: {e}") from e
    result = grade(args.pred, gold, args.kind, args.options, args.grading, rel_tol=args.rel_tol,
                   from_program=args.from_program)
    found = result.extraction
    print_json({"correct": result.correct, "method": result.method, "mode": args.grading, "kind": args.kind,
                "gold": gold, "extraction": {"answer": found.answer, "rule": found.rule, "span": found.span}})
    return 0


def _regrade(args: argparse.Namespace) -> int:
    from mammoth_math.grading.regrade import RegradeSpec, regrade_file

    spec = RegradeSpec(args.pred_key, args.gold_key, args.kind, args.kind_key, args.options_key, args.grading,
                       args.rel_tol, args.answers)
    out = args.out or (args.file[:-len(".jsonl")] if args.file.endswith(".jsonl") else args.file) + ".graded.jsonl"
    summary = regrade_file(args.file, spec, out)
    result = {"file": args.file, "rows": summary.rows, "correct": summary.correct,
              "accuracy": round(summary.accuracy, 6), "mode": summary.mode, "out": summary.out}
    if args.judge:
        from mammoth_math.evaluation.judge import judge_regraded

        if not args.judge_base_url:
            raise ValueError("--judge needs --judge-base-url (the judge's server, ending in /v1)")
        result["judge"] = judge_regraded(out, args.judge, args.judge_base_url, cache_dir(args, str(Path(out).parent)),
                                         args.pred_key, args.question_key)
    print_json(result)
    return 0
