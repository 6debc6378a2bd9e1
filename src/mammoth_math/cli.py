"""The ``mammoth-math`` command: a thin layer that parses flags and calls the library.

Each subcommand's handler imports its part lazily, so ``mammoth-math --help`` starts fast and a
machine without the training extras can still run the sandbox and the grader. Only this module
prints; library code logs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from mammoth_math import __version__

if TYPE_CHECKING:
    from mammoth_math.evaluation import EvalConfig
    from mammoth_math.files import Bound

Handler = Callable[[argparse.Namespace], int]


# --- sandbox ------------------------------------------------------------------------------------

def _add_sandbox_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sandbox", help="run model-written Python in the isolated sandbox")
    ssub = p.add_subparsers(dest="sandbox_command", required=True)
    run = ssub.add_parser("run", help="run one program file and print its ExecResult as JSON")
    run.add_argument("file", help="a .py file (Markdown fences are unwrapped)")
    run.add_argument("--timeout", type=float, default=5.0, help="wall-clock limit in seconds")
    run.set_defaults(handler=_sandbox_run)
    check = ssub.add_parser("check", help="report which isolation features are active here")
    check.set_defaults(handler=_sandbox_check)
    serve = ssub.add_parser("serve", help="serve the sandbox over HTTP (our API and SandboxFusion's /run_code)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind; off loopback a token is required")
    serve.add_argument("--port", type=int, default=8790)
    serve.add_argument("--token-file", help="file holding the bearer token (default: $MAMMOTH_SANDBOX_TOKEN)")
    serve.add_argument("--workers", type=int, help="sandbox workers (default: one per CPU)")
    serve.add_argument("--queue", type=int, help="programs admitted beyond one per worker before 429 (default: 4 per worker)")
    serve.add_argument("--timeout", type=float, default=5.0, help="seconds per program when a request names none")
    serve.add_argument("--max-timeout", type=float, default=60.0, help="the largest timeout a request may ask for")
    serve.add_argument("--memory-mb", type=int, default=1024, help="per program when a request names none")
    serve.add_argument("--max-body-bytes", type=int, default=8 << 20)
    serve.add_argument("--body-timeout", type=float, default=30.0, help="seconds to receive a request body (408 past it)")
    serve.add_argument("--session-idle", type=float, default=600.0, help="seconds before an unused session is closed")
    serve.set_defaults(handler=_sandbox_serve)
    for parser in (run, check, serve):
        _add_isolation_flag(parser, remote=parser is run)


def _add_isolation_flag(parser: argparse.ArgumentParser, remote: bool = True) -> None:
    """``--unsafe-no-isolation`` (and ``--sandbox-url``) for every command that runs programs (read once, in
    ``main``)."""
    parser.add_argument("--unsafe-no-isolation", action="store_true",
                        help="run programs WITHOUT bubblewrap (only rlimits, seccomp and a cleared environment): "
                             "they can read this machine's files; for machines where bubblewrap cannot work")
    if remote:
        parser.add_argument("--sandbox-url", help="run programs on these `sandbox serve` hosts (URL[,URL...]; "
                                                  "token from $MAMMOTH_SANDBOX_TOKEN) instead of in this process")


def _apply_isolation_flag(args: argparse.Namespace) -> None:
    if getattr(args, "unsafe_no_isolation", False):
        from mammoth_math.sandbox.isolation import UNSAFE_ENV

        os.environ[UNSAFE_ENV] = "1"  # every Sandbox() this command builds, however deep, runs unisolated
    if getattr(args, "sandbox_url", None):
        from mammoth_math.sandbox.remote import URL_ENV, parse_urls

        try:
            parse_urls(args.sandbox_url)  # a malformed URL fails here, before any work
        except ValueError as e:
            print(f"error: --sandbox-url: {e}", file=sys.stderr)
            sys.exit(2)
        os.environ[URL_ENV] = args.sandbox_url  # every open_sandbox() this command calls uses these hosts


def _sandbox_run(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from mammoth_math.sandbox import open_sandbox

    with open(args.file, "rb") as f:
        code = f.read()
    with open_sandbox(timeout=args.timeout, workers=1) as sb:
        result = sb.run(code)
    _print_json({**asdict(result), "ok": result.ok})
    return 0 if result.ok else 1


def _sandbox_check(args: argparse.Namespace) -> int:
    from rich.table import Table

    from mammoth_math.sandbox import SandboxError, isolation_report

    try:
        report = isolation_report()
    except SandboxError as e:  # no bubblewrap, and --unsafe-no-isolation not given
        print(e, file=sys.stderr)
        return 1
    table = Table("feature", "active", "detail", title=f"sandbox isolation: {report.mode}")
    for f in report.features:
        table.add_row(f.name, "[green]yes[/]" if f.active else "[red]NO[/]", f.detail)
    _console().print(table)
    return 0 if not report.missing else 1


def _sandbox_serve(args: argparse.Namespace) -> int:
    from mammoth_math.sandbox import SandboxError
    from mammoth_math.sandbox.service import TOKEN_ENV, ServiceConfig, serve

    token = Path(args.token_file).read_text().strip() if args.token_file else os.environ.get(TOKEN_ENV) or None
    config = ServiceConfig(args.host, args.port, token, args.workers, args.queue, args.timeout, args.max_timeout,
                           args.memory_mb, max_body_bytes=args.max_body_bytes, body_timeout=args.body_timeout,
                           session_idle=args.session_idle)
    print(f"sandbox service on http://{args.host}:{args.port} (token {'required' if token else 'off: loopback'}); "
          "Ctrl-C or SIGTERM drains and stops", file=sys.stderr, flush=True)
    try:
        serve(config)
    except SandboxError as e:  # no bubblewrap, and --unsafe-no-isolation not given
        print(e, file=sys.stderr)
        return 1
    return 0


# --- benchmarks ---------------------------------------------------------------------------------

def _add_benchmarks_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("benchmarks", help="list the evaluation benchmarks; with --data-dir, load and count them")
    p.add_argument("--data-dir", help="evaluation files (e.g. ../shared/data/eval; the modern sets are also "
                                      "found in its sibling eval-modern); checks each loads")
    p.add_argument("--datasets", default="all", help="benchmarks or suites to list: mammoth, modern, all (default)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_benchmarks_list)


def _benchmarks_list(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from mammoth_math.benchmarks import benchmark_rows

    rows = benchmark_rows(args.datasets, args.data_dir)
    if args.json:
        _print_json([asdict(r) for r in rows])
    else:
        from rich.table import Table

        table = Table("benchmark", "kind", "MC", "expected", "loaded", "source", "hub id")
        for r in rows:
            loaded = "-" if r.loaded is None else f"[{'green' if r.ok else 'red'}]{r.loaded}[/]"
            table.add_row(r.name, r.kind, "yes" if r.multiple_choice else "", str(r.paper_count), loaded, r.source,
                          r.hub_id or "")
        _console().print(table)
    return 0 if all(r.ok for r in rows) else 1


# --- grading ------------------------------------------------------------------------------------

def _add_grading_commands(sub: argparse._SubParsersAction) -> None:
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
    _add_judge_flags(r)
    r.add_argument("--question-key", default="question", help="row field holding the question, shown to the judge")
    _add_cache_flags(r)
    r.set_defaults(handler=_regrade)


def _add_judge_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--judge", help="judge model asked where the rules say wrong (off by default; see evaluation.judge)")
    p.add_argument("--judge-base-url", help="the judge's OpenAI-compatible server, ending in /v1")


def _add_grading_flags(p: argparse.ArgumentParser) -> None:
    from mammoth_math.grading.kinds import AnswerKind

    p.add_argument("--kind", choices=[k.value for k in AnswerKind], default="number", help="answer kind")
    _add_grading_mode(p, "--mode")
    p.add_argument("--rel-tol", type=float,
                   help="relative tolerance for non-integer golds (default 1e-4; TheoremQA 0.04)")


def _add_grading_mode(p: argparse.ArgumentParser, flag: str) -> None:
    from mammoth_math.grading.kinds import GradingMode

    p.add_argument(flag, choices=[m.value for m in GradingMode], default="strict",
                   help="strict (default) or mammoth (MAmmoTH's own rules, to compare with the paper)")


def _grade(args: argparse.Namespace) -> int:
    from mammoth_math.grading import grade, parse_gold

    try:
        gold = parse_gold(args.gold, args.kind)
    except ValueError as e:
        raise ValueError(f"--gold: {e}") from e
    result = grade(args.pred, gold, args.kind, args.options, args.mode, rel_tol=args.rel_tol,
                   from_program=args.from_program)
    found = result.extraction
    _print_json({"correct": result.correct, "method": result.method, "mode": args.mode, "kind": args.kind,
                 "gold": gold, "extraction": {"answer": found.answer, "rule": found.rule, "span": found.span}})
    return 0


def _regrade(args: argparse.Namespace) -> int:
    from mammoth_math.grading.regrade import RegradeSpec, regrade_file

    spec = RegradeSpec(args.pred_key, args.gold_key, args.kind, args.kind_key, args.options_key, args.mode,
                       args.rel_tol, args.answers)
    out = args.out or (args.file[:-len(".jsonl")] if args.file.endswith(".jsonl") else args.file) + ".graded.jsonl"
    summary = regrade_file(args.file, spec, out)
    result = {"file": args.file, "rows": summary.rows, "correct": summary.correct,
              "accuracy": round(summary.accuracy, 6), "mode": summary.mode, "out": summary.out}
    if args.judge:
        from mammoth_math.evaluation.judge import judge_regraded

        if not args.judge_base_url:
            raise ValueError("--judge needs --judge-base-url (the judge's server, ending in /v1)")
        result["judge"] = judge_regraded(out, args.judge, args.judge_base_url, _cache_dir(args, str(Path(out).parent)),
                                         args.pred_key, args.question_key)
    _print_json(result)
    return 0


# --- training -----------------------------------------------------------------------------------

def _add_training_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="fine-tune with TRL: SFT on an Alpaca export, GRPO (method: grpo in the config) "
                                      "against our grader, or an outcome or process reward model (--method rm|prm)")
    p.add_argument("--config", help="a YAML under configs/train/ (keys are TrainConfig fields, GRPOTrainConfig's "
                                    "with method: grpo, RMConfig's for --method rm, PRMConfig's for prm); required for sft "
                                    "and grpo")
    p.add_argument("--method", choices=("sft", "rm", "prm"), default="sft",
                   help="sft (default; grpo when the config says method: grpo), rm: TRL's RewardTrainer on "
                        "correct-vs-wrong pairs of graded samples, or prm: a token classifier on step labels "
                        "(data step-labels)")
    p.add_argument("overrides", nargs="*", metavar="key=value", help="override config fields (YAML values)")
    p.add_argument("--dry-run", action="store_true",
                   help="load config, tokenizer and data; report tokens, batch and steps; do not train")
    p.add_argument("--processes", type=int, help="dry run: plan the batch for this many GPUs (default: this launch)")
    _add_threads_flag(p)
    _add_isolation_flag(p)  # GRPO's rewards run programs
    p.set_defaults(handler=_train)


def _add_threads_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--threads", type=int, help="CPU threads for torch (default: the count the output folder "
                   "recorded, else the cores free now, 1 when busy)")


def _cpu_run_threads(requested: int | None, output_dir: str) -> int | None:
    """On CPU, the thread count the output folder recorded (float sums depend on it); on a GPU, as given."""
    import torch

    from mammoth_math.cpu import recorded_threads

    if torch.cuda.is_available():
        return requested
    return recorded_threads(requested, Path(output_dir) / "cpu_threads.json")


def _train(args: argparse.Namespace) -> int:
    _log_progress()  # first: library imports read its settings
    from mammoth_math.cpu import set_threads
    from mammoth_math.training import config_method, dry_run, load_config, train

    if args.method in ("rm", "prm"):
        return _train_reward_model(args)
    if not args.config:
        raise ValueError("train needs --config (a YAML under configs/train/)")
    if config_method(args.config, args.overrides) == "grpo":
        return _train_grpo(args)
    config = load_config(args.config, args.overrides, cpu_fallback=args.dry_run)
    set_threads(args.threads if args.dry_run else _cpu_run_threads(args.threads, config.output_dir))
    if args.dry_run:
        report = dry_run(config, args.processes)
        plan, stats = report.plan, report.stats
        rows = {"model": config.model, "data": ", ".join(config.data), "examples": plan.examples,
                "global batch": f"{plan.global_batch} = {plan.per_device} per device x {plan.accumulation} "
                                f"accumulation x {plan.world_size} processes",
                "steps/epoch": plan.steps_per_epoch, "epochs": plan.epochs, "total steps": plan.total_steps}
        if stats is not None:
            rows.update({"rows read": stats.rows, "over max_length (dropped)": stats.dropped_overlong,
                         "prompt tokens": stats.prompt_tokens, "response tokens (trained)": stats.response_tokens,
                         "tool output tokens (masked)": stats.tool_output_tokens, "longest example": stats.longest})
        else:
            rows["token counts"] = (f"not computed: tokenizer {config.tokenizer or config.model} is not on this "
                                    "machine; pass tokenizer=<local dir> to count tokens and over-long drops")
        if report.needs_hub:
            rows["needs hub (not downloaded)"] = "; ".join(report.needs_hub)
        _print_train_table("train --dry-run", rows)
        return 0
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm():  # log lines above transformers' training bar, not glued to it
        result = train(config)
    if result.stats is None:  # finished before: nothing was read or trained
        print(f"nothing to do: {result.output_dir} holds a finished run of this config "
              f"(train loss {result.final_loss:.4f}); change the config or output_dir to train again")
        return 0
    _print_train_table("train", {"output": result.output_dir, "resumed from": result.resumed_from or "-",
                           "first loss": f"{result.losses[0]:.4f}" if result.losses else "-",
                           "last loss": f"{result.losses[-1]:.4f}" if result.losses else "-",
                           "train loss (mean)": f"{result.final_loss:.4f}",
                           "examples": result.stats.kept, "dropped over-long": result.stats.dropped_overlong})
    return 0


def _train_reward_model(args: argparse.Namespace) -> int:
    from mammoth_math.cpu import set_threads
    from mammoth_math.training import prm, rm

    if args.dry_run:
        raise ValueError(f"--dry-run is for sft; an {args.method} run reports its data as it starts")
    load, run, counts = {  # method -> its config loader, its trainer, the counts its result reports
        "rm": (rm.load_rm_config, rm.train_rm,
               lambda r: {"problems": r.problems, "pairs (correct vs wrong)": r.pairs}),
        "prm": (prm.load_prm_config, prm.train_prm, lambda r: {"rows": r.rows, "labelled steps": r.steps}),
    }[args.method]
    config = load(args.config, args.overrides)
    set_threads(_cpu_run_threads(args.threads, config.output_dir))
    result = run(config)
    _print_train_table(f"train --method {args.method}", {
        "output": result.output_dir, "resumed from": result.resumed_from or "-", **counts(result),
        "first loss": f"{result.losses[0]:.4f}" if result.losses else "-",
        "last loss": f"{result.losses[-1]:.4f}" if result.losses else "-"})
    return 0


def _train_grpo(args: argparse.Namespace) -> int:
    from mammoth_math.cpu import set_threads
    from mammoth_math.training import load_grpo_config, train_grpo

    config = load_grpo_config(args.config, args.overrides, cpu_fallback=args.dry_run)
    if args.dry_run:
        from mammoth_math.training.grpo.plan import plan_grpo

        plan = plan_grpo(config, args.processes or 1)
        rows = {"model": config.model, "prompts": plan.prompts, "rollout modes": plan.modes,
                "per step": f"{plan.completions_per_step} completions = {plan.prompts_per_step} prompts x "
                            f"{config.num_generations}", "total steps": plan.total_steps,
                **{f"where {i + 1}": line for i, line in enumerate(plan.placement)},
                "parameters": plan.parameters or "-", **{f"memory/GPU: {k}": f"{v} GiB" for k, v in plan.memory_gib.items()}}
        if plan.needs_hub:
            rows["needs hub (not downloaded)"] = "; ".join(plan.needs_hub)
        _print_train_table("train --dry-run (grpo)", rows)
        return 0
    set_threads(_cpu_run_threads(args.threads, config.output_dir))
    result = train_grpo(config)
    rows = {"output": result.output_dir, "resumed from": result.resumed_from or "-", "prompts": result.prompts,
            "steps": result.steps, "seconds/step": f"{result.seconds_per_step:.2f}"}
    rows.update({f"reward {name} (first -> last)": f"{v[0]:.3f} -> {v[-1]:.3f}" for name, v in result.rewards.items() if v})
    _print_train_table("train (grpo)", rows)
    return 0


def _print_train_table(title: str, rows: dict) -> None:
    from rich.table import Table

    table = Table("", "", title=title, show_header=False)  # values wrap at the terminal's width
    for key, value in rows.items():
        table.add_row(str(key), str(value))
    _console().print(table)


# --- evaluation ---------------------------------------------------------------------------------

# Flags of the backend each run uses, with their defaults: only the chosen backend's go to it.
_BACKEND_FLAGS: dict[str, dict[str, object]] = {
    "hf": {"batch_size": 16},
    "openai": {"base_url": ["http://127.0.0.1:8000/v1"], "endpoint": "auto", "concurrency": 8},
    "vllm": {"tensor_parallel_size": 1, "data_parallel_size": 1}}


def _add_run_flags(p: argparse.ArgumentParser, default_dir: str) -> None:
    """The flags ``eval`` and ``probe`` share; defaults are None so that a config file's values survive."""
    from mammoth_math.backends import BACKENDS
    from mammoth_math.evaluation.strategies import STRATEGIES
    from mammoth_math.grading.kinds import GradingMode

    p.add_argument("--model", help="model path or hub id (hf, vllm) or served model name (openai)")
    p.add_argument("--backend", choices=list(BACKENDS), help="default: hf")
    p.add_argument("--datasets", help="comma-separated benchmarks or suites (mammoth, modern, all), e.g. gsm8k,aime24")
    p.add_argument("--mode", choices=list(STRATEGIES), help="decoding strategy (default: hybrid)")
    p.add_argument("--data-dir", help="MAmmoTH evaluation files (e.g. ../shared/data/eval); default: the hub")
    p.add_argument("--output-dir", help=f"runs go to OUT/{default_dir}/; re-running resumes")
    p.add_argument("--limit", type=int, help="first N problems of each dataset (a larger N later extends the run)")
    p.add_argument("--max-new-tokens", type=int, help="default: 512")
    p.add_argument("--seed", type=int, help="default: 0")
    p.add_argument("--grading", choices=[m.value for m in GradingMode], help="default: strict")
    p.add_argument("--timeout", type=float, dest="program_timeout", help="seconds per program in the sandbox (default 5)")
    p.add_argument("--chunk-size", type=int, help="problems per write; a crash loses at most one (default 64)")
    p.add_argument("--batch-size", type=int, help="hf: prompts per generate call (default 16)")
    p.add_argument("--base-url", nargs="+", help="openai: server URL(s) ending in /v1; several: requests are "
                                                 "spread over them (default http://127.0.0.1:8000/v1)")
    p.add_argument("--endpoint", choices=("auto", "completions", "chat"), help="openai endpoint (default auto)")
    p.add_argument("--concurrency", type=int, help="openai: requests in flight (default 8)")
    p.add_argument("--tensor-parallel-size", type=int, help="vllm: GPUs per model replica (default 1)")
    p.add_argument("--data-parallel-size", type=int, help="vllm: model replicas, GPUs = dp x tp (default 1)")
    _add_cache_flags(p)
    _add_isolation_flag(p)


_RUN_FIELDS = ("model", "backend", "datasets", "mode", "data_dir", "output_dir", "limit", "max_new_tokens", "seed",
               "grading", "program_timeout", "chunk_size")


def _run_values(args: argparse.Namespace, fields: Sequence[str]) -> dict:
    """The flags given among ``fields`` (a flag not given is None, so a config file's value stays)."""
    from mammoth_math.benchmarks import resolve_datasets

    values = {k: getattr(args, k) for k in fields if getattr(args, k, None) is not None}
    if isinstance(values.get("datasets"), str):
        values["datasets"] = resolve_datasets(values["datasets"])  # names and suites (mammoth, modern, all)
    return values


def _backend_options(args: argparse.Namespace, backend: str, options: dict, output_dir: str) -> dict:
    """The chosen backend's defaults, then a config file's options, then the given flags; and the cache."""
    defaults = _BACKEND_FLAGS.get(backend, {})  # a backend without flags of its own takes its options from a config
    given = {k: getattr(args, k) for k in defaults if getattr(args, k) is not None}
    return {**defaults, **options, **given, "cache_dir": _cache_dir(args, output_dir)}


def _add_evaluation_commands(sub: argparse._SubParsersAction) -> None:
    from mammoth_math.prompts import PROMPT_STYLES

    p = sub.add_parser("eval", help="evaluate a model on the MAmmoTH suite (cot / pot / hybrid / tir, resumable)")
    p.add_argument("--config", help="a YAML under configs/eval/ (keys are EvalConfig fields); flags win")
    _add_run_flags(p, "<mode>")
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
    _add_judge_flags(p)
    _add_threads_flag(p)
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
    _add_import_command(sub)


def _add_import_command(sub: argparse._SubParsersAction) -> None:
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
    _add_grading_mode(p, "--grading")
    p.set_defaults(handler=_import)
    g = sub.add_parser("genselect", help="a model picks one of each problem's k samples (report --select genselect)")
    g.add_argument("run_dir", help="a run folder, OUT/<run> (of eval or import)")
    g.add_argument("--k", type=int, required=True, help="choose among the first k samples")
    g.add_argument("--model", required=True, help="the selector: model path or hub id (hf, vllm), served name (openai)")
    g.add_argument("--backend", choices=list(_BACKEND_FLAGS), default="hf", help="default: hf")
    g.add_argument("--base-url", nargs="+", help="openai: server URL(s) ending in /v1")
    g.add_argument("--max-new-tokens", type=int, default=512, help="of each reply (default 512)")
    _add_cache_flags(g)
    g.set_defaults(handler=_genselect)


def _genselect(args: argparse.Namespace) -> int:
    from mammoth_math.backends import make_backend
    from mammoth_math.evaluation.genselect import genselect_run

    options = {"base_url": args.base_url} if args.base_url else {}
    backend = make_backend(args.backend, args.model, cache_dir=_cache_dir(args, str(Path(args.run_dir).parent)),
                           **options)
    try:
        results = genselect_run(args.run_dir, backend, args.k, args.max_new_tokens)
    finally:
        backend.close()
    _print_json([dataclasses.asdict(r) for r in results])
    return 0


def _import(args: argparse.Namespace) -> int:
    from mammoth_math.evaluation.importing import import_files

    result = import_files(args.format, args.files, args.out, args.dataset, args.run, args.kind, args.grading,
                          args.verdicts, args.model)
    _print_json(dataclasses.asdict(result))
    return 0


def _eval_config(args: argparse.Namespace) -> EvalConfig:
    """The eval command's config: its YAML file, then the flags given."""
    from mammoth_math.evaluation import load_config

    values = _run_values(args, (*_RUN_FIELDS, "shard", "samples", "temperature", "top_p", "few_shot", "shots",
                                "train_dir", "exemplars", "chat", "pass_k", "reasoning", "think_tags", "prompt_style",
                                "judge", "judge_base_url", "max_tool_calls", "reward_model",
                                "process_reward_model"))
    config = load_config(args.config, values)
    config.backend_options = _backend_options(args, config.backend, config.backend_options, config.output_dir)
    return config


def _eval(args: argparse.Namespace) -> int:
    _log_progress()  # first: library imports read its settings
    from mammoth_math.evaluation import evaluate

    config = _eval_config(args)
    if config.backend == "hf":
        from mammoth_math.cpu import set_threads

        set_threads(_cpu_run_threads(args.threads, config.output_dir))
    if args.modes:
        from mammoth_math.evaluation.pooled import evaluate_modes

        if args.mode:
            raise ValueError("give --mode or --modes, not both")
        for mode, scores in evaluate_modes(config, [m.strip() for m in args.modes.split(",") if m.strip()]).items():
            _print_scores(f"{mode}: {config.model}", scores)
        return 0
    _print_scores(f"{config.run_name}: {config.model}", evaluate(config))
    return 0


def _print_scores(title: str, scores: dict) -> None:
    from rich.table import Table

    from mammoth_math.evaluation.report import TOOL_HEADS, tool_cells

    tools = any(s.tools for s in scores.values())
    table = Table("dataset", "problems", "accuracy", "errors", "fallbacks", *(TOOL_HEADS if tools else ()),
                  title=title)
    for name, s in scores.items():
        acc = "-" if s.accuracy is None else f"{100 * s.accuracy:.1f}"
        table.add_row(name, str(s.problems), acc, str(s.errors), str(s.fallbacks),
                      *(tool_cells(s.tools) if tools else ()))
    _console().print(table)


def _add_cache_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cache-dir", help="response cache folder (default: OUT/cache); share it between runs")
    p.add_argument("--no-cache", action="store_true", help="always ask the backend; store nothing")


def _cache_dir(args: argparse.Namespace, output_dir: str) -> str | None:
    return None if args.no_cache else (args.cache_dir or str(Path(output_dir) / "cache"))


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
    from rich.table import Table

    from mammoth_math.evaluation import build_report
    from mammoth_math.evaluation.config import parse_ks
    from mammoth_math.evaluation.selection import parse_rules
    from mammoth_math.probe import report_section

    pass_k = parse_ks(args.pass_k) if args.pass_k else None
    sections = [report_section]
    if args.select:
        from mammoth_math.evaluation.report import selection_section

        sections.append(selection_section(parse_rules(args.select), pass_k))
    report = build_report(args.output_dir, sections, pass_k)
    console = _console()
    models = sorted(set(report.models.values()))
    table = Table("dataset", *report.runs, title=f"accuracy (%) of {', '.join(models)}")
    for row in report.table:
        table.add_row(row["dataset"], *(_percent(row[r]) for r in report.runs))
    if report.runs:  # a folder of probes only has none
        console.print(table)
    _print_suites(report)
    _print_tool_use(report)
    if args.select:
        _print_selection(report.results_json, parse_rules(args.select))
    for dataset, breakdown in report.breakdown.items():
        table = Table(breakdown["field"], *report.runs, title=f"{dataset}: accuracy (%) by {breakdown['field']}")
        for row in breakdown["rows"]:
            table.add_row(row["value"], *(_percent(row[r]) for r in report.runs))
        console.print(table)
    if report.judge:
        table = Table("run", "dataset", "rules", "judge", "rules-or-judge", "asked", "judge failures",
                      title="accuracy (%) by rules, judge and either")
        for row in report.judge:
            table.add_row(row["run"], row["dataset"], *(_percent(row[k]) for k in ("rules", "judge", "rules-or-judge")),
                          str(row["asked"]), str(row["failures"]))
        console.print(table)
    for run, by_dataset in report.errors.items():
        if any(by_dataset.values()):
            print(f"{run}: backend errors (not scored): " + ", ".join(f"{d} {n}" for d, n in by_dataset.items() if n))
    print(f"wrote {report.results_json}, {report.chart_png}, {report.html}")
    return 0


def _print_selection(results_json: str, rules: Sequence[str]) -> None:
    """The selection section's rows (results.json's ``selection``), one table per suite."""
    from rich.table import Table

    from mammoth_math.evaluation.report import rule_columns
    from mammoth_math.files import read_json

    rows = read_json(results_json)["selection"]
    for suite in dict.fromkeys(row["suite"] for row in rows):
        table = Table("run", "dataset", "n", "k", "avg", *rules, title=f"{suite}: selection, accuracy (%)")
        for row in (r for r in rows if r["suite"] == suite):
            table.add_row(row["run"], row["dataset"], str(row["n"]), str(row["k"]),
                          *(_percent(row.get(name)) for name in rule_columns(row, rules)))
        _console().print(table)


def _print_tool_use(report: Any) -> None:
    """Tool use of the runs that called one (tir), per dataset."""
    from rich.table import Table

    from mammoth_math.evaluation.report import TOOL_HEADS, tool_cells

    if not report.tools:
        return
    table = Table("run", "dataset", *TOOL_HEADS, title="tool use")
    for run, by_dataset in report.tools.items():
        for dataset, tools in by_dataset.items():
            table.add_row(run, dataset, *tool_cells(tools))
    _console().print(table)


def _print_suites(report: Any) -> None:
    """Per suite: each run's sampled metrics (avg@n ± standard error, pass@k, maj@k), then truncation and
    mean output tokens per set."""
    from rich.table import Table

    from mammoth_math.evaluation.report import format_metric, metric_names, sampled_rows, settings_text

    console = _console()
    for suite, datasets in report.suites.items():
        for run in report.runs:
            rows = sampled_rows(report.sampled, report.subsets, run, datasets)
            if rows:
                names = metric_names([row for _, row in rows])
                table = Table("dataset", "settings", *names, title=f"{suite}: {run}: sampled metrics (%)")
                for d, row in rows:
                    table.add_row(d, settings_text(row), *(format_metric(row, m) for m in names))
                console.print(table)
        table = Table("run", "dataset", "truncated (%)", "mean output tokens", title=f"{suite}: generation")
        for run in report.runs:
            for d in datasets:
                if (g := report.generation.get(run, {}).get(d)):
                    tokens = "-" if g["output_tokens"] is None else f"{g['output_tokens']:.0f}"
                    table.add_row(run, d, _percent(g["truncation_rate"]), tokens)
        console.print(table)


# --- robustness ---------------------------------------------------------------------------------

def _add_robustness_commands(sub: argparse._SubParsersAction) -> None:
    from mammoth_math.probe import CHALLENGES

    p = sub.add_parser("probe", help="sycophancy probe: answer, get challenged, answer again; Clever Hans check")
    _add_run_flags(p, "probe-<challenge>-<mode>")
    p.add_argument("--challenge", choices=list(CHALLENGES), required=True,
                   help="the second turn: " + " / ".join(f"'{text}'" for text in CHALLENGES.values())
                        + " (X: a plausible wrong answer)")
    p.add_argument("--chat", choices=("auto", "yes", "no"), default="auto",
                   help="chat template (auto: when the model has one) or the Alpaca format")
    p.add_argument("--no-clever-hans", action="store_true", help="skip the Clever Hans check of correct programs")
    p.add_argument("--shard", default="0/1", help="i/n: probe every n-th problem from the i-th (merge afterwards)")
    p.set_defaults(handler=_probe)


def _probe_config(args: argparse.Namespace) -> Any:
    """The probe command's :class:`~mammoth_math.probe.ProbeConfig`, from its flags."""
    from mammoth_math.evaluation import parse_shard
    from mammoth_math.probe import ProbeConfig

    values = _run_values(args, _RUN_FIELDS)
    missing = [f"--{flag.replace('_', '-')}" for flag in ("model", "datasets", "output_dir") if flag not in values]
    if missing:
        raise ValueError(f"probe needs {', '.join(missing)}")
    values["backend_options"] = _backend_options(args, values.get("backend", "hf"), {}, values["output_dir"])
    return ProbeConfig(**values, challenge=args.challenge, chat={"auto": None, "yes": True, "no": False}[args.chat],
                       clever_hans=not args.no_clever_hans, shard=parse_shard(args.shard))


def _probe(args: argparse.Namespace) -> int:
    from rich.table import Table

    from mammoth_math.probe import probe

    config = _probe_config(args)
    scores = probe(config)
    table = Table("dataset", "subset", "graded", "acc. before", "acc. after", "flip rate", "recovery", "adopted X",
                  "Clever Hans", title=f"{config.run_name}: {config.model}")
    for name, by_subset in scores.items():
        for subset, s in by_subset.items():
            table.add_row(name, subset, str(s.graded), *(_percent(getattr(s, k)) for k in (
                "accuracy_before", "accuracy_after", "flip_rate", "recovery_rate", "adoption_rate",
                "clever_hans_rate")))
    _console().print(table)
    return 0


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


# --- data ---------------------------------------------------------------------------------------

def _add_data_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("data", help="build a MathInstruct-style set: verify, dedup, decontaminate, mix, export")
    dsub = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    b = dsub.add_parser("build", help="build from the sources of a config (exit 1 when rows were rejected, "
                                      "2 when no row was built)")
    _add_config_flags(b, "a YAML under configs/data/ (keys are BuildConfig fields)", "output folder")
    b.add_argument("--eval-dir", help="override the config's eval_dir (decontamination)")
    b.set_defaults(handler=_data_build)
    _add_isolation_flag(b)
    s = dsub.add_parser("synthesize", help="CoT/PoT/TIR rationales for seed problems from an OpenAI-compatible API")
    s.add_argument("--config", required=True, help="build config naming the sources whose problems to use")
    s.add_argument("--out", required=True, help="synthesis folder (cache, accepted, rejects, usage); resumable")
    s.add_argument("--model", required=True, help="model name served at --base-url")
    s.add_argument("--base-url", nargs="+", default=["http://127.0.0.1:8000/v1"],
                   help="server URL(s) ending in /v1; several: requests are spread over them")
    s.add_argument("--types", default="cot,pot", help="comma-separated rationale types: cot, pot, tir")
    s.add_argument("--n", type=int, default=1, help="samples per problem and type")
    s.add_argument("--temperature", type=float, default=0.7)
    s.add_argument("--max-new-tokens", type=int, default=512)
    s.add_argument("--concurrency", type=int, default=8)
    s.add_argument("--usd-per-1k-prompt", type=float, default=0.0)
    s.add_argument("--usd-per-1k-completion", type=float, default=0.0)
    s.add_argument("--shard", default="0/1", help="i/n: every n-th problem from the i-th, into OUT/shard-i-of-n/")
    _add_cache_flags(s)
    s.set_defaults(handler=_data_synthesize)
    _add_isolation_flag(s)
    d = dsub.add_parser("distill", help="k CoT/PoT samples per problem from a teacher (any backend), verified, "
                                        "majority-labelled without a gold, filtered; resumable")
    _add_config_flags(d, "a YAML like configs/data/distill-gsm8k.yaml (DistillConfig keys)",
                      "output folder (samples, cache, distilled.jsonl, report.json)")
    d.set_defaults(handler=_data_distill)
    _add_isolation_flag(d)
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
    _add_cache_flags(c)
    c.set_defaults(handler=_data_contamination)
    t = dsub.add_parser("stats", help="print the report of a built folder")
    t.add_argument("dir", help="a folder written by `data build`")
    t.set_defaults(handler=_data_stats)
    sl = dsub.add_parser("step-labels", help="Math-Shepherd step labels for train --method prm: k completions from "
                                             "each step prefix of graded CoT samples; resumable")
    sl.add_argument("records", help="an eval run's records with graded samples (OUT/<run>/<set>.jsonl)")
    sl.add_argument("--out", required=True, help="the labels JSONL (appended; a rerun labels what is missing)")
    sl.add_argument("--model", required=True, help="the completer: model path or hub id (hf, vllm), "
                                                     "served name (openai)")
    sl.add_argument("--backend", choices=list(_BACKEND_FLAGS), default="hf", help="default: hf")
    sl.add_argument("--base-url", nargs="+", help="openai: server URL(s) ending in /v1")
    sl.add_argument("--k", type=int, default=4, help="completions per step prefix (default 4)")
    sl.add_argument("--max-new-tokens", type=int, default=512)
    _add_cache_flags(sl)
    sl.set_defaults(handler=_data_step_labels)


def _add_config_flags(p: argparse.ArgumentParser, config_help: str, out_help: str) -> None:
    """--config and --out, plus the seed and train_dir overrides `data build` and `data distill` share."""
    p.add_argument("--config", required=True, help=config_help)
    p.add_argument("--out", required=True, help=out_help)
    p.add_argument("--seed", type=int, help="override the config's seed")
    p.add_argument("--train-dir", help="override the config's train_dir")


def _data_build(args: argparse.Namespace) -> int:
    _log_progress()  # first: library imports read its settings
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


def _data_synthesize(args: argparse.Namespace) -> int:
    from mammoth_math.data import SynthesisConfig, load_config, synthesize
    from mammoth_math.data.build import read_problems
    from mammoth_math.evaluation import parse_shard

    config = load_config(args.config)
    problems = read_problems(config)
    synth = SynthesisConfig(args.model, tuple(args.base_url), tuple(args.types.split(",")), args.n, args.temperature,
                            args.max_new_tokens, args.concurrency, args.usd_per_1k_prompt, args.usd_per_1k_completion,
                            args.cache_dir, not args.no_cache, parse_shard(args.shard))
    usage = synthesize(problems, synth, args.out)
    _print_json({"problems": len(problems), **usage.__dict__})
    return 1 if usage.rejected else 0


def _data_distill(args: argparse.Namespace) -> int:
    _log_progress()
    from rich.table import Table

    from mammoth_math.data import distill, load_distill_config

    config = load_distill_config(args.config, {"seed": args.seed, "train_dir": args.train_dir})
    result = distill(config, args.out)
    stages = list(next(iter(result.report["samples"].values())))
    table = Table("type", *stages, title=f"distilled from {result.report['teacher']}: samples per filter stage")
    for kind, counts in result.report["samples"].items():
        table.add_row(kind, *(str(counts[s]) for s in stages))
    console = _console()
    console.print(table)
    console.print("problems: " + ", ".join(f"{k}={v}" for k, v in result.report["problems"].items()))
    if result.report["label_accuracy"]:
        console.print(f"majority label accuracy (hidden golds): {result.report['label_accuracy']}")
    print(f"{result.rows} rows -> {result.out_dir}/distilled.jsonl (report.json)")
    return 0 if result.rows else 2


def _data_step_labels(args: argparse.Namespace) -> int:
    _log_progress()
    from mammoth_math.backends import make_backend
    from mammoth_math.data.step_labels import StepLabelConfig, label_steps

    options = {"base_url": args.base_url} if args.base_url else {}
    backend = make_backend(args.backend, args.model, cache_dir=_cache_dir(args, str(Path(args.out).parent)), **options)
    try:
        config = StepLabelConfig(args.k, max_new_tokens=args.max_new_tokens)
        written = label_steps(args.records, backend, args.out, config, progress=True)
    finally:
        backend.close()
    print(f"{written} samples labelled -> {args.out}")
    return 0


def _data_contamination(args: argparse.Namespace) -> int:
    _log_progress()
    from rich.table import Table

    from mammoth_math.data.contamination import contamination_run

    flags = ("retriever", "k", "embedding_model", "min_score", "check_model", "check_backend", "base_url")
    summary = contamination_run(args.train, args.test, args.out, args.data_dir, args.config,
                                {f: getattr(args, f) for f in flags}, _cache_dir(args, args.out))
    table = Table("test set", "problems", "flagged", "rate %", "n-gram", "same", "unknown",
                  title=f"contamination of {args.train} (report: {args.out}/report.md)")
    for name, s in summary["sets"].items():
        table.add_row(name, str(s["problems"]), str(s["flagged"]), _percent(s["rate"]), str(s["ngram"]),
                      str(s["same"]), str(s["unknown"]))
    _console().print(table)
    return 0


def _data_stats(args: argparse.Namespace) -> int:
    from mammoth_math.files import InputError, check_finished, read_json

    folder = check_finished(args.dir)
    if not (folder / "report.json").is_file():
        raise InputError(folder, "no report.json: not a folder written by `mammoth-math data build`")
    _print_data_report(read_json(Path(folder) / "report.json"))
    return 0


def _print_data_report(report: dict) -> None:
    from rich.table import Table

    table = Table("source/type", "rows", "checked", "passed", "pass rate", title=f"{report['rows']} rows")
    for key, v in report["verification"].items():
        table.add_row(key, str(report["counts"].get(key, 0)), str(v["checked"]), str(v["passed"]), _percent(v["pass_rate"]))
    console = _console()
    console.print(table)
    for title in ("rejects_by_reason", "removed_by_reason"):
        if report[title]:
            console.print(f"{title}: " + ", ".join(f"{k}={n}" for k, n in report[title].items()))
    console.print(f"contamination hits: {len(report['contamination_hits'])}; lengths: {report['lengths']}")


# --- quickstart ---------------------------------------------------------------------------------

def _add_quickstart_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quickstart", help="the embedded CPU demo: synthetic data -> build -> tiny model -> "
                                          "CoT/PoT/hybrid/TIR evaluation and report (resumes)")
    p.add_argument("--minutes", type=float, default=10.0,
                   help="training budget on 2 free cores (scales the steps; a new value on an existing --out "
                        "reuses its data and retrains)")
    p.add_argument("--out", default="runs/quickstart", help="everything is written under this folder")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--problems", type=int, nargs=2, metavar=("TRAIN", "TEST"), default=(2000, 300),
                   help="synthetic problems to train on and to test on")
    p.add_argument("--rounds", type=int, choices=(1, 2), default=1,
                   help="2: the model distills new problems without golds (majority labels), a second model trains "
                        "on the union; both tables and the label accuracy are printed")
    p.add_argument("--rl", action="store_true",
                   help="a GRPO stage after SFT (tir rollouts on the multiple-choice training problems, about "
                        "--minutes more); the table gains the RL model's columns, the report the reward curves")
    _add_threads_flag(p)
    p.set_defaults(handler=_quickstart)
    _add_isolation_flag(p)


def _quickstart(args: argparse.Namespace) -> int:
    _log_progress()  # first: library imports read its settings
    from rich.table import Table

    from mammoth_math.synthetic import QuickstartConfig, run_quickstart
    from mammoth_math.synthetic.quickstart import MODES

    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm():  # log lines above the training bar, not glued to it
        result = run_quickstart(QuickstartConfig.for_minutes(
            args.minutes, rl=args.rl, out_dir=args.out, seed=args.seed, train_problems=args.problems[0],
            test_problems=args.problems[1], threads=args.threads, rounds=args.rounds))
    modes = [m for m in MODES if m in result.table[0]]
    rounds = [("", result.families, result.table[0])]
    if result.second_round is not None:
        second = result.second_round
        rounds += [(" r2", second.families, second.table[0])]
    if result.rl is not None:
        rounds += [(" rl", result.rl.families, result.rl.table[0])]
    table = Table("test set", *(f"{m}{r}" for r, _, _ in rounds for m in modes), title="quickstart accuracy (%)")
    for family in result.families:
        table.add_row(family, *(f"{100 * fams.get(family, {}).get(m, 0.0):.1f}" for _, fams, _ in rounds for m in modes))
    table.add_row("[bold]all[/]", *(f"[bold]{100 * row[m]:.1f}[/]" for _, _, row in rounds for m in modes))
    console = _console()
    console.print(table)
    if result.second_round is not None:
        labels = result.second_round.labels()
        accuracy = labels["label_accuracy"]
        console.print(f"round 2: {labels.get('majority', 0)} of {labels['read']} new problems majority-labelled, "
                      f"{labels['distilled_rows']} distilled rows kept; majority label accuracy (hidden golds): "
                      + (f"{100 * accuracy['accuracy']:.1f}% ({accuracy['correct']} of {accuracy['checked']})"
                         if accuracy else "none checked"))
    if result.skipped:
        console.print(f"resumed: skipped {', '.join(result.skipped)} (already complete)")
    console.print(f"report: {result.report_html} and {result.report_png}")
    return 0


# --- launch -------------------------------------------------------------------------------------

_LAUNCHABLE = ("eval", "probe", "data synthesize", "train")


def _add_launch_commands(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("launch", help="run eval, probe, data synthesize or train as Slurm jobs (shards, merge, resume)")
    lsub = p.add_subparsers(dest="launch_command", required=True, metavar="ACTION")
    s = lsub.add_parser("slurm", help="write and submit sbatch scripts for `-- <mammoth-math command>`")
    s.add_argument("--shards", type=int, default=1, help="eval, probe, data synthesize: array tasks, each "
                                                          "running --shard i/n")
    s.add_argument("--partition")
    s.add_argument("--account")
    s.add_argument("--time", help="Slurm time limit per task (e.g. 4:00:00)")
    s.add_argument("--gpus-per-task", type=int, default=0)
    s.add_argument("--cpus-per-task", type=int)
    s.add_argument("--nodes", type=int, default=1, help="train: nodes of the one job")
    s.add_argument("--tasks-per-node", type=int, default=1, help="train: accelerate launchers per node")
    s.add_argument("--accelerate-config", help="train: accelerate YAML (configs/accelerate/fsdp2-8gpu.yaml, ...)")
    s.add_argument("--container-image", help="run inside this image (pyxis: srun --container-image)")
    s.add_argument("--setup", help="shell line run first in every job, e.g. 'source .venv/bin/activate'")
    s.add_argument("--python", help="interpreter on the compute nodes (default: this one; 'python' in a container)")
    s.add_argument("--sbatch", action="append", default=[], metavar="OPTION", help="extra #SBATCH option (repeatable)")
    s.add_argument("--folder", help="scripts, launch.json and logs/ (default: the command's output folder/launch)")
    s.add_argument("--dry-run", action="store_true", help="print the scripts; submit nothing")
    s.add_argument("command", nargs=argparse.REMAINDER, help="-- then a mammoth-math command (eval, probe, ...)")
    s.set_defaults(handler=_launch_slurm)
    local = lsub.add_parser("local-slurm", help="start a one-node Slurm cluster on this machine (as root) to try "
                                                "`launch slurm` on; Ctrl-C stops it")
    local.add_argument("--folder", default="runs/slurm", help="its config, munge key, state and daemon logs")
    local.set_defaults(handler=_launch_local_slurm)
    for name, handler, text in (("status", _launch_status, "each shard's progress and Slurm state"),
                                ("resume", _launch_resume, "resubmit unfinished shards and the merge job")):
        a = lsub.add_parser(name, help=text)
        a.add_argument("folder", help="a launch folder (holds launch.json)")
        a.set_defaults(handler=handler)


def _launch_slurm(args: argparse.Namespace) -> int:
    from mammoth_math.launch import LaunchPlan, SlurmOptions, render, submit

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    inner = build_parser().parse_args(command)
    what = " ".join(command[:2]) if inner.command == "data" else inner.command
    if what not in _LAUNCHABLE:
        raise ValueError(f"launch runs {', '.join(_LAUNCHABLE)}; got {what!r}")
    if args.shards > 1 and what not in ("eval", "probe", "data synthesize") or "--shard" in command:
        raise ValueError("eval, probe and data synthesize are sharded, by launch (--shards N), not by --shard")
    out = inner.output_dir if what == "probe" else getattr(inner, "out", None)
    kind, run_dir, after, accelerate = "array", None, (), None
    if what == "eval":
        config = _eval_config(inner)
        out, run_dir = config.output_dir, str(Path(config.output_dir) / config.run_name)
        after = (("merge", out), ("report", out)) if args.shards > 1 else (("report", out),)
    elif what == "probe":  # status counts the first turn's records, an evaluation run in the probe's folder
        config = _probe_config(inner)
        run_dir = str(Path(out) / config.run_name / config.mode)
        after = (("merge", out), ("report", out)) if args.shards > 1 else (("report", out),)
    elif args.shards > 1:  # synthesis: the unsharded run finds every response in the shared cache
        if "--no-cache" in command:
            raise ValueError("sharded synthesis joins its shards through the cache: drop --no-cache")
        after = (tuple(command),)
    elif what == "train":
        from mammoth_math.training import load_config

        kind, accelerate = "train", args.accelerate_config
        out = load_config(inner.config, inner.overrides, cpu_fallback=True).output_dir
    folder = Path(args.folder or Path(out) / "launch").resolve()
    plan = LaunchPlan(kind, tuple(command), str(folder), os.getcwd(), args.shards, run_dir, after, accelerate,
                      name=f"mm-{what.replace(' ', '-')}", env={"MAMMOTH_NO_PROGRESS": "1"})
    options = SlurmOptions(args.partition, args.account, args.time, args.gpus_per_task, args.cpus_per_task, args.nodes,
                           args.tasks_per_node, args.container_image, args.setup,
                           args.python or ("python" if args.container_image else sys.executable), tuple(args.sbatch))
    if args.dry_run:
        for name, text in render(plan, options).items():
            print(f"# --- {folder / name}\n{text}")
        return 0
    submission = submit(plan, options)
    print(f"submitted job {submission.main}" + (f", then job {submission.after}" if submission.after else "")
          + f"; logs: {folder / 'logs'}; follow with `mammoth-math launch status {folder}`")
    return 0


def _launch_local_slurm(args: argparse.Namespace) -> int:
    from mammoth_math.launch.local import missing_binaries, slurm_cluster, wait_for_stop

    if missing_binaries():
        raise ValueError(f"Slurm is not installed here (no {', '.join(missing_binaries())}): "
                         "apt-get install slurm-wlm munge")
    with slurm_cluster(Path(args.folder).resolve()) as conf:
        print(f"a one-node Slurm cluster is up; in another shell: export SLURM_CONF={conf}\n"
              "then run `mammoth-math launch slurm ...` there; Ctrl-C (or kill) here cancels its jobs and stops it",
              flush=True)
        wait_for_stop()
    print("stopped the cluster")
    return 0


def _launch_status(args: argparse.Namespace) -> int:
    from mammoth_math.launch import summary

    report = summary(args.folder)
    _print_json(report)
    return 0 if all(s["finished"] for s in report["states"]) else 1


def _launch_resume(args: argparse.Namespace) -> int:
    from mammoth_math.launch import resume

    submission = resume(args.folder)
    if submission is None:
        print("nothing to resubmit: every shard is finished or still queued")
        return 0
    print(f"resubmitted tasks {list(submission.tasks)} as job {submission.main or '-'}"
          + (f", then job {submission.after}" if submission.after else ""))
    return 0


# --- entry point --------------------------------------------------------------------------------

class _HelpFormatter(argparse.HelpFormatter):
    """Shows each flag's default, except None and False (flags that are simply off)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if _is_off(action.default) or action.default == argparse.SUPPRESS or "%(default)" in text \
                or not action.option_strings:
            return text
        default = " ".join(map(str, action.default)) if isinstance(action.default, tuple) else "%(default)s"
        return f"{text} (default: {default})"


def _is_off(default: object) -> bool:
    return default is None or default is False  # not 0, which is a default worth showing


class _Parser(argparse.ArgumentParser):
    """Every (sub)command's parser: help with defaults, numbers checked against their bounds, and a usage
    error in three lines. ``add_subparsers`` reuses this class."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        if kwargs.get("help") is None and not _is_off(kwargs.get("default")):
            kwargs["help"] = "default: %(default)s"  # argparse shows no line at all for a flag without help
        if kwargs.get("type") in (int, float):  # every numeric flag, so that none is accepted unchecked
            dest = kwargs.get("dest") or args[0].lstrip("-").replace("-", "_")
            kwargs["type"] = _Number(kwargs["type"], _flag_bound(dest))
        return super().add_argument(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        """One usage line, the error, where to read more (not the whole usage, which buries the error)."""
        required = [a for a in self._actions if a.required or not a.option_strings]
        words = [(a.option_strings[0] + " " if a.option_strings else "") + str(a.metavar or a.dest.upper())
                 + (" ..." if isinstance(a, argparse._SubParsersAction) else "") for a in required]
        usage = " ".join([self.prog, *words, "[options]"])
        self.exit(2, f"usage: {usage}\nerror: {message}\nrun `{self.prog} --help` for every option\n")


class _Number:
    """An argparse type: a finite int or float within a :data:`~mammoth_math.files.Bound`."""

    def __init__(self, kind: type, bound: Bound) -> None:
        self.kind, self.bound = kind, bound

    def __call__(self, text: str) -> float:
        import math

        from mammoth_math.files import out_of_bounds

        try:
            value = self.kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected {'an integer' if self.kind is int else 'a number'}, got {text!r}") from None
        problem = "must be finite" if not math.isfinite(value) else out_of_bounds(value, self.bound)
        if problem:
            raise argparse.ArgumentTypeError(f"{problem}, got {text}")
        return value


def _flag_bound(dest: str) -> Bound:
    """A numeric flag's range: its config field's (``EvalConfig.BOUNDS``), else a count, a positive number or,
    by default, a non-negative one."""
    from mammoth_math.evaluation.config import BOUNDS
    from mammoth_math.files import COUNT, NON_NEGATIVE, POSITIVE

    counts = ("batch_size", "concurrency", "tensor_parallel_size", "data_parallel_size", "n", "processes", "threads",
              "problems", "shards", "cpus_per_task", "nodes", "tasks_per_node")
    return BOUNDS.get(dest) or (COUNT if dest in counts else POSITIVE if dest in ("timeout", "minutes")
                                else NON_NEGATIVE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mammoth-math",
        description="Hybrid CoT/PoT math: build instruction data, train, evaluate (MAmmoTH recipe).",
    )
    parser.add_argument("--version", action="version", version=f"mammoth-math {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error (put it first)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # In the order a newcomer meets them: the demo, then the pipeline from sandbox to report.
    _add_quickstart_commands(sub)
    _add_sandbox_commands(sub)
    _add_grading_commands(sub)
    _add_benchmarks_commands(sub)
    _add_data_commands(sub)
    _add_training_commands(sub)
    _add_evaluation_commands(sub)
    _add_robustness_commands(sub)
    _add_launch_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Exit status: 0 done, 1 done with rejects, 2 bad input or nothing produced.

    A mistake in what the user gave (a file, a folder, a name, a config key, an unreachable hub) ends in
    one ``error:`` line; ``--debug`` shows the traceback instead.
    """
    args = build_parser().parse_args(argv)
    _apply_isolation_flag(args)
    handler: Handler = args.handler
    try:
        return handler(args)
    except _user_errors() as e:
        if args.debug:
            raise
        print(f"error: {_one_line(e)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: what was kept and how to go on, not a traceback
        if args.debug:
            raise
        print(f"interrupted: {_kept(args)}", file=sys.stderr)
        return 130


# What each resumable command keeps when interrupted (every one resumes when run again the same way).
_KEPT = {"eval": "the records of finished problems are kept", "probe": "the records of finished problems are kept",
         "train": "the last checkpoint is kept", "quickstart": "the finished stages are kept",
         "data distill": "the samples of finished problems are kept", "data synthesize": "finished responses are kept"}


def _kept(args: argparse.Namespace) -> str:
    """One line for an interrupted command: what it kept, where, and how to resume."""
    command = args.command + (f" {args.data_command}" if args.command == "data" else "")
    if command not in _KEPT:
        return "nothing was kept" + (" (a build is written whole)" if command == "data build" else "") \
            + "; run the same command again to start over"
    folder = getattr(args, "output_dir", None) or getattr(args, "out", None)
    if command == "train":
        from mammoth_math.training.config import config_method, read_config_values

        grpo = config_method(args.config, args.overrides) == "grpo"
        if grpo:
            from mammoth_math.training.grpo.config import GRPOTrainConfig
        values = read_config_values(args.config, args.overrides, GRPOTrainConfig if grpo else None)
        folder = values.get("output_dir", "runs/grpo" if grpo else "runs/train")
    return f"{_KEPT[command]}{f' in {folder}' if folder else ''}; run the same command again to resume"


def _user_errors() -> tuple[type[BaseException], ...]:
    """What a user's mistake raises: our InputError (a ValueError), unknown names (KeyError), files and
    folders (OSError, which transformers raises for a missing model), the network (when httpx is loaded),
    Slurm refusing a job (when launch is loaded)."""
    errors: tuple[type[BaseException], ...] = (ValueError, KeyError, OSError)
    if "httpx" in sys.modules:
        errors += (sys.modules["httpx"].HTTPError,)
    if "mammoth_math.launch.jobs" in sys.modules:  # sbatch, squeue or scancel said no
        errors += (sys.modules["mammoth_math.launch.jobs"].SlurmError,)
    return errors


def _one_line(e: BaseException) -> str:
    if isinstance(e, OSError) and e.filename is not None and e.strerror:
        return f"{e.filename}: {e.strerror}"
    text = str(e.args[0]) if isinstance(e, KeyError) and e.args else str(e)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines) if lines else type(e).__name__


def _log_progress() -> None:
    """Our own INFO lines, plain (no level, no logger name), above our progress bars; libraries only warn,
    and their bars for loading or saving a file (a blink each, hundreds of lines in a log) stay off."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logging.getLogger("mammoth_math").setLevel(logging.INFO)
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # read by transformers and datasets at import


def _console() -> Any:
    """Rich output as wide as the terminal; when piped, as wide as ``COLUMNS`` or 160, not rich's 80,
    so that tables wrap at a sensible width instead of squeezing paths and numbers."""
    import shutil

    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else shutil.get_terminal_size((160, 24)).columns)


def _print_json(obj: object) -> None:
    print(json.dumps(obj, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    sys.exit(main())
