"""``mammoth-math data build|synthesize|distill|contamination|stats|step-labels``: build, grow and check a
MathInstruct-style training set."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mammoth_math.commands.common import (
    add_cache_flags,
    add_config_flags,
    add_isolation_flag,
    add_selector_flags,
    cache_dir,
    console,
    log_progress,
    print_json,
    selector_backend,
)


def add_commands(sub: argparse._SubParsersAction) -> None:
    from mammoth_math.backends.openai_api import OpenAIOptions  # synthesis asks a server through the openai client

    p = sub.add_parser("data", help="build a MathInstruct-style set: verify, dedup, decontaminate, mix, export")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    b = dsub.add_parser("build", help="build from the sources of a config (exit 1 when rows were rejected, "
                                      "2 when no row was built)")
    add_config_flags(b, "a YAML under configs/data/ (keys are BuildConfig fields)", "output folder")
    b.add_argument("--eval-dir", help="override the config's eval_dir (decontamination)")
    b.set_defaults(handler=_build)
    add_isolation_flag(b)
    s = dsub.add_parser("synthesize", help="CoT/PoT/TIR rationales for seed problems from an OpenAI-compatible API")
    s.add_argument("--config", required=True, help="build config naming the sources whose problems to use")
    s.add_argument("--out", required=True, help="synthesis folder (cache, accepted, rejects, usage); resumable")
    s.add_argument("--model", required=True, help="model name served at --base-url")
    s.add_argument("--base-url", nargs="+", default=list(OpenAIOptions.base_url),
                   help="server URL(s) ending in /v1; several: requests are spread over them")
    s.add_argument("--types", default="cot,pot", help="comma-separated rationale types: cot, pot, tir")
    s.add_argument("--n", type=int, default=1, help="samples per problem and type")
    s.add_argument("--temperature", type=float, default=0.7)
    s.add_argument("--max-new-tokens", type=int, default=512)
    s.add_argument("--concurrency", type=int, default=OpenAIOptions.concurrency)
    s.add_argument("--usd-per-1k-prompt", type=float, default=0.0)
    s.add_argument("--usd-per-1k-completion", type=float, default=0.0)
    s.add_argument("--shard", default="0/1", help="i/n: every n-th problem from the i-th, into OUT/shard-i-of-n/")
    add_cache_flags(s)
    s.set_defaults(handler=_synthesize)
    add_isolation_flag(s)
    d = dsub.add_parser("distill", help="k CoT/PoT samples per problem from a teacher (any backend), verified, "
                                        "majority-labelled without a gold, filtered; resumable")
    add_config_flags(d, "a YAML like configs/data/distill-gsm8k.yaml (DistillConfig keys)",
                      "output folder (samples, cache, distilled.jsonl, report.json)")
    d.set_defaults(handler=_distill)
    add_isolation_flag(d)
    c = dsub.add_parser("contamination", help="which test problems the training data holds, reworded or not: "
                                              "n-grams, retrieval, a model's check; a report per test set")
    c.add_argument("--train", required=True, help="a build folder, a build config YAML (its sources) or a JSONL file")
    c.add_argument("--test", nargs="+", required=True, help="benchmark or suite names (mammoth, modern, all) or "
                                                            "JSONL files (fields id, problem or question)")
    c.add_argument("--out", required=True, help="report folder (report.json/.md, pairs.jsonl, <set>.html, cache)")
    c.add_argument("--data-dir", help="evaluation files for named test sets (e.g. ../shared/data/eval); default: the hub")
    c.add_argument("--config", help="a YAML of ContaminationConfig keys; the flags below override it")
    for name, kind, text in (("--retriever", str, "tfidf (default, CPU, no model) or embedding"),
                             ("--k", int, "training problems retrieved per test problem (default 5)"),
                             ("--embedding-model", str, "sentence-transformers folder or hub id"),
                             ("--min-score", float, "pairs scoring below are dropped (default 0)"),
                             ("--check-model", str, "the model asked about each pair (default: none, retrieval only)"),
                             ("--check-backend", str, "hf, vllm or openai (default openai)"),
                             ("--base-url", str, "openai: the checking model's server, ending in /v1")):
        c.add_argument(name, type=kind, help=text)
    add_cache_flags(c)
    c.set_defaults(handler=_contamination)
    t = dsub.add_parser("stats", help="print the report of a built folder")
    t.add_argument("dir", help="a folder written by `data build`")
    t.set_defaults(handler=_stats)
    sl = dsub.add_parser("step-labels", help="Math-Shepherd step labels for train --method prm: k completions from "
                                             "each step prefix of graded CoT samples; resumable")
    sl.add_argument("records", help="an eval run's records with graded samples (OUT/<run>/<set>.jsonl)")
    sl.add_argument("--out", required=True, help="the labels JSONL (appended; a rerun labels what is missing)")
    add_selector_flags(sl, "completer")
    sl.add_argument("--k", type=int, default=4, help="completions per step prefix (default 4)")
    sl.add_argument("--max-new-tokens", type=int, default=512)
    add_cache_flags(sl)
    sl.set_defaults(handler=_step_labels)


def _build(args: argparse.Namespace) -> int:
    log_progress()  # first: library imports read its settings
    from mammoth_math.data import build, load_config

    config = load_config(args.config, {"seed": args.seed, "train_dir": args.train_dir, "eval_dir": args.eval_dir})
    result = build(config, args.out)
    _print_data_report(result.report)
    print("stages (s): " + ", ".join(f"{stage} {seconds:.1f}" for stage, seconds in result.stage_seconds.items()))
    print(f"{result.rows} rows -> {result.out_dir}; {result.rejects} rejected (rejects.jsonl), "
          f"{result.removed} removed (removed.jsonl)")
    if not result.rows:
        missing = result.report["rejects_by_reason"].get("input:missing_source")
        hint = f"; {missing} source(s) not found: check --train-dir / the sources' paths" if missing else ""
        print(f"error: no rows were built{hint}", file=sys.stderr)
        return 2
    return 1 if result.rejects else 0


def _synthesize(args: argparse.Namespace) -> int:
    from mammoth_math.data import SynthesisConfig, load_config, synthesize
    from mammoth_math.data.build import read_problems
    from mammoth_math.evaluation import parse_shard

    config = load_config(args.config)
    problems = read_problems(config)
    synth = SynthesisConfig(args.model, tuple(args.base_url), tuple(args.types.split(",")), args.n, args.temperature,
                            args.max_new_tokens, args.concurrency, args.usd_per_1k_prompt, args.usd_per_1k_completion,
                            args.cache_dir, not args.no_cache, parse_shard(args.shard))
    usage = synthesize(problems, synth, args.out)
    print_json({"problems": len(problems), **usage.__dict__})
    return 1 if usage.rejected else 0


def _distill(args: argparse.Namespace) -> int:
    log_progress()
    from rich.table import Table

    from mammoth_math.data import distill, load_distill_config

    config = load_distill_config(args.config, {"seed": args.seed, "train_dir": args.train_dir})
    result = distill(config, args.out)
    stages = list(next(iter(result.report["samples"].values())))
    table = Table("type", *stages, title=f"distilled from {result.report['teacher']}: samples per filter stage")
    for kind, counts in result.report["samples"].items():
        table.add_row(kind, *(str(counts[s]) for s in stages))
    out = console()
    out.print(table)
    out.print("problems: " + ", ".join(f"{k}={v}" for k, v in result.report["problems"].items()))
    if result.report["label_accuracy"]:
        out.print(f"majority label accuracy (hidden golds): {result.report['label_accuracy']}")
    print(f"{result.rows} rows -> {result.out_dir}/distilled.jsonl (report.json)")
    return 0 if result.rows else 2


def _step_labels(args: argparse.Namespace) -> int:
    log_progress()
    from mammoth_math.data.step_labels import StepLabelConfig, label_steps

    backend = selector_backend(args, str(Path(args.out).parent))
    try:
        config = StepLabelConfig(args.k, max_new_tokens=args.max_new_tokens)
        written = label_steps(args.records, backend, args.out, config, progress=True)
    finally:
        backend.close()
    print(f"{written} samples labelled -> {args.out}")
    return 0


def _contamination(args: argparse.Namespace) -> int:
    log_progress()
    from rich.table import Table

    from mammoth_math.data.contamination import contamination_run
    from mammoth_math.evaluation.report.tables import percent

    flags = ("retriever", "k", "embedding_model", "min_score", "check_model", "check_backend", "base_url")
    summary = contamination_run(args.train, args.test, args.out, args.data_dir, args.config,
                                {f: getattr(args, f) for f in flags}, cache_dir(args, args.out))
    table = Table("test set", "problems", "flagged", "rate %", "n-gram", "same", "unknown",
                  title=f"contamination of {args.train} (report: {args.out}/report.md)")
    for name, s in summary["sets"].items():
        table.add_row(name, str(s["problems"]), str(s["flagged"]), percent(s["rate"]), str(s["ngram"]),
                      str(s["same"]), str(s["unknown"]))
    console().print(table)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from mammoth_math.files import InputError, check_finished, read_json

    folder = check_finished(args.dir)
    if not (folder / "report.json").is_file():
        raise InputError(folder, "no report.json: not a folder written by `mammoth-math data build`")
    _print_data_report(read_json(Path(folder) / "report.json"))
    return 0


def _print_data_report(report: dict) -> None:
    """A build's report (report.json): rows and verification per source and type, rejects, removals."""
    from rich.table import Table

    from mammoth_math.evaluation.report.tables import percent

    table = Table("source/type", "rows", "checked", "passed", "pass rate", title=f"{report['rows']} rows")
    for key, v in report["verification"].items():
        table.add_row(key, str(report["counts"].get(key, 0)), str(v["checked"]), str(v["passed"]), percent(v["pass_rate"]))
    out = console()
    out.print(table)
    for title in ("rejects_by_reason", "removed_by_reason"):
        if report[title]:
            out.print(f"{title}: " + ", ".join(f"{k}={n}" for k, n in report[title].items()))
    out.print(f"contamination hits: {len(report['contamination_hits'])}; lengths: {report['lengths']}")
