"""``mammoth-math eval``, ``merge``, ``report``, ``import`` and ``genselect``: run, join, report, bring in and
select among an evaluation's samples."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from mammoth_math.commands.common import (
    add_cache_flags,
    add_grading_mode,
    add_judge_flags,
    add_selector_flags,
    add_threads_flag,
    console,
    log_progress,
    print_json,
    selector_backend,
)
from mammoth_math.commands.run_flags import RUN_FIELDS, add_run_flags, backend_options, check_config_options, run_values

if TYPE_CHECKING:
    from mammoth_math.evaluation import EvalConfig


def add_commands(sub: argparse._SubParsersAction) -> None:
    from mammoth_math.prompts import PROMPT_STYLES

    p = sub.add_parser("eval", help="evaluate a model on the MAmmoTH suite (cot / pot / hybrid / tir, resumable)")
    p.add_argument("--config", help="a YAML under configs/eval/ (keys are EvalConfig fields); flags win")
    add_run_flags(p, "<mode>")
    p.add_argument("--shard", help="i/n: take every n-th problem from the i-th (merge afterwards)")
    p.add_argument("--samples", type=int, help="n samples per problem in one batched pass: the answer is their "
                                               "majority vote; avg@n, pass@k, maj@k reported (default: per set)")
    p.add_argument("--pass-k", help="k of pass@k and maj@k, e.g. 1,2,4 (default: powers of two up to n)")
    p.add_argument("--temperature", type=float, help="default: per set (0 greedy, 0.7 with --samples > 1)")
    p.add_argument("--top-p", type=float, help="default: per set (1.0)")
    p.add_argument("--reasoning", action="store_true", default=None,
                   help="reasoning model: read the answer after the think block; an unclosed one is truncated")
    p.add_argument("--think-tags", nargs=2, metavar=("OPEN", "CLOSE"), help="default: <think> </think>")
    p.add_argument("--prompt-style", choices=list(PROMPT_STYLES), help="default: mammoth (Alpaca); others are "
                                                                      "the chat prompts model cards document")
    p.add_argument("--few-shot", action="store_true", default=None, help="prepend exemplars (train splits, or --exemplars)")
    p.add_argument("--shots", type=int, help="exemplars per prompt with --few-shot (default 4)")
    p.add_argument("--train-dir", help="train splits to draw few-shot exemplars from (e.g. ../shared/data/train)")
    p.add_argument("--exemplars", help="JSONL of your own exemplars ({question, answer} per line)")
    p.add_argument("--chat", action="store_true", default=None, help="use the model's chat template (instruct models)")
    p.add_argument("--max-tool-calls", type=int, help="tir: code blocks run per answer (default 4)")
    p.add_argument("--modes", help="several modes (e.g. cot,pot,tir), each sampled --samples n times into its own "
                                   "run; report --select pools them into one vote (evaluation.pooled)")
    p.add_argument("--reward-model", help="score every sample with this outcome reward model (a folder or hub id "
                                          "through transformers, or a vLLM server's URL); report --select rm_best")
    p.add_argument("--process-reward-model", help="score every step of every sample with this process reward model "
                                                  "(a token classifier, train --method prm); "
                                                  "report --select prm_min_best")
    add_judge_flags(p)
    add_threads_flag(p)
    p.set_defaults(handler=_eval)
    m = sub.add_parser("merge", help="join the shards of runs and probes under OUT (after eval or probe --shard i/n)")
    m.add_argument("output_dir")
    m.set_defaults(handler=_merge)
    r = sub.add_parser("report", help="table, results.json, PNG chart and HTML report of the runs under OUT")
    r.add_argument("output_dir")
    r.add_argument("--pass-k", help="recompute pass@k and maj@k for these k from the records (e.g. 1,8)")
    r.add_argument("--select", help="selection rules scored at each k (--pass-k, default n): majority, rm_best, "
                                    "rm_majority, genselect, prm_min_best, prm_min_majority (last, product too; "
                                    "evaluation.selection)")
    r.set_defaults(handler=_report)
    _add_import_commands(sub)


def _add_import_commands(sub: argparse._SubParsersAction) -> None:
    from mammoth_math.evaluation.harness_formats import FORMATS
    from mammoth_math.grading.kinds import AnswerKind

    p = sub.add_parser("import", help="another harness's per-sample outputs as a run under OUT (then report it)")
    p.add_argument("files", nargs="+", help="the harness's output files (nemo-skills: every output-rs*.jsonl)")
    p.add_argument("--format", required=True, choices=list(FORMATS), help="which harness wrote them")
    p.add_argument("--out", required=True, help="output folder: the run goes to OUT/<run>/<dataset>.jsonl")
    p.add_argument("--dataset", help="the set's name (default: the first file's name); a suite name groups it")
    p.add_argument("--run", help="the run's folder name (default: the format)")
    p.add_argument("--kind", choices=[k.value for k in AnswerKind], default="expression", help="answer kind")
    p.add_argument("--verdicts", choices=("theirs", "ours"), default="theirs",
                   help="keep the harness's per-sample verdicts (default) or grade every sample here")
    p.add_argument("--model", help="the model's name, shown in the report")
    add_grading_mode(p)
    p.set_defaults(handler=_import)
    g = sub.add_parser("genselect", help="a model picks one of each problem's k samples (report --select genselect)")
    g.add_argument("run_dir", help="a run folder, OUT/<run> (of eval or import)")
    g.add_argument("--k", type=int, required=True, help="choose among the first k samples")
    add_selector_flags(g, "selector")
    g.add_argument("--max-new-tokens", type=int, default=512, help="of each reply (default 512)")
    add_cache_flags(g)
    g.set_defaults(handler=_genselect)


def _genselect(args: argparse.Namespace) -> int:
    from mammoth_math.evaluation.genselect import genselect_run

    backend = selector_backend(args, str(Path(args.run_dir).parent))
    try:
        results = genselect_run(args.run_dir, backend, args.k, args.max_new_tokens)
    finally:
        backend.close()
    print_json([dataclasses.asdict(r) for r in results])
    return 0


def _import(args: argparse.Namespace) -> int:
    from mammoth_math.evaluation.importing import import_files

    result = import_files(args.format, args.files, args.out, args.dataset, args.run, args.kind, args.grading,
                          args.verdicts, args.model)
    print_json(dataclasses.asdict(result))
    return 0


def eval_config(args: argparse.Namespace) -> EvalConfig:
    """The eval command's config: its YAML file, then the flags given."""
    from mammoth_math.evaluation import load_config

    values = run_values(args, (*RUN_FIELDS, "shard", "samples", "temperature", "top_p", "few_shot", "shots",
                               "train_dir", "exemplars", "chat", "pass_k", "reasoning", "think_tags", "prompt_style",
                               "judge", "judge_base_url", "max_tool_calls", "reward_model", "process_reward_model"))
    config = load_config(args.config, values)
    if args.config:
        check_config_options(config.backend, config.backend_options, args.config)
    config.backend_options = backend_options(args, config.backend, config.backend_options, config.output_dir)
    return config


def _eval(args: argparse.Namespace) -> int:
    log_progress()  # first: library imports read its settings
    from mammoth_math.evaluation import evaluate
    from mammoth_math.evaluation.report.tables import scores_table

    config = eval_config(args)
    if config.backend == "hf":
        from mammoth_math.cpu import run_threads, set_threads

        set_threads(run_threads(args.threads, config.output_dir))
    if args.modes:
        from mammoth_math.evaluation.pooled import evaluate_modes

        if args.mode:
            raise ValueError("give --mode or --modes, not both")
        for mode, scores in evaluate_modes(config, [m.strip() for m in args.modes.split(",") if m.strip()]).items():
            console().print(scores_table(f"{mode}: {config.model}", scores))
        return 0
    console().print(scores_table(f"{config.run_name}: {config.model}", evaluate(config)))
    return 0


def _merge(args: argparse.Namespace) -> int:
    from mammoth_math.evaluation import merge_output
    from mammoth_math.probe import merge_probes

    results = merge_probes(args.output_dir)
    try:
        results += merge_output(args.output_dir)
    except FileNotFoundError:  # no sharded evaluation run: fine when there were sharded probes
        if not results:
            raise
    for result in results:
        print(f"{result.run_dir}: merged {result.shards} shards: "
              + ", ".join(f"{name} {n}" for name, n in result.problems.items()))
    return 0


def _report(args: argparse.Namespace) -> int:
    from mammoth_math.evaluation import build_report
    from mammoth_math.evaluation.config import parse_ks
    from mammoth_math.evaluation.report.tables import report_tables
    from mammoth_math.evaluation.selection import parse_rules
    from mammoth_math.probe import report_section

    pass_k = parse_ks(args.pass_k) if args.pass_k else None
    rules = parse_rules(args.select) if args.select else []
    sections = [report_section]
    if args.select:
        from mammoth_math.evaluation.report import selection_section

        sections.append(selection_section(rules, pass_k))
    report = build_report(args.output_dir, sections, pass_k)
    out = console()
    for table in report_tables(report, rules):
        out.print(table)
    for run, by_dataset in report.errors.items():
        if any(by_dataset.values()):
            print(f"{run}: backend errors (not scored): " + ", ".join(f"{d} {n}" for d, n in by_dataset.items() if n))
    print(f"wrote {report.results_json}, {report.chart_png}, {report.html}")
    return 0
