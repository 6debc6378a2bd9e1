"""``mammoth-math train``: SFT, GRPO (``method: grpo`` in the config) and outcome or process reward models."""

from __future__ import annotations

import argparse

from mammoth_math.commands.common import add_isolation_flag, add_threads_flag, console, log_progress


def add_commands(sub: argparse._SubParsersAction) -> None:
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
    add_threads_flag(p)
    add_isolation_flag(p)  # GRPO's rewards run programs
    p.set_defaults(handler=_train)


def _train(args: argparse.Namespace) -> int:
    log_progress()  # first: library imports read its settings
    from mammoth_math.cpu import run_threads, set_threads
    from mammoth_math.training import config_method, dry_run, load_config, train

    if args.method in ("rm", "prm"):
        return _train_reward_model(args)
    if not args.config:
        raise ValueError("train needs --config (a YAML under configs/train/)")
    if config_method(args.config, args.overrides) == "grpo":
        return _train_grpo(args)
    config = load_config(args.config, args.overrides, cpu_fallback=args.dry_run)
    set_threads(args.threads if args.dry_run else run_threads(args.threads, config.output_dir))
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
        _print_table("train --dry-run", rows)
        return 0
    from tqdm.contrib.logging import logging_redirect_tqdm

    with logging_redirect_tqdm():  # log lines above transformers' training bar, not glued to it
        result = train(config)
    if result.stats is None:  # finished before: nothing was read or trained
        print(f"nothing to do: {result.output_dir} holds a finished run of this config "
              f"(train loss {result.final_loss:.4f}); change the config or output_dir to train again")
        return 0
    _print_table("train", {"output": result.output_dir, "resumed from": result.resumed_from or "-",
                           **_loss_rows(result.losses), "train loss (mean)": f"{result.final_loss:.4f}",
                           "examples": result.stats.kept, "dropped over-long": result.stats.dropped_overlong})
    return 0


def _train_reward_model(args: argparse.Namespace) -> int:
    from mammoth_math.cpu import run_threads, set_threads
    from mammoth_math.training import prm, rm

    if args.dry_run:
        raise ValueError(f"--dry-run is for sft; an {args.method} run reports its data as it starts")
    load, run, counts = {  # method -> its config loader, its trainer, the counts its result reports
        "rm": (rm.load_rm_config, rm.train_rm,
               lambda r: {"problems": r.problems, "pairs (correct vs wrong)": r.pairs}),
        "prm": (prm.load_prm_config, prm.train_prm, lambda r: {"rows": r.rows, "labelled steps": r.steps}),
    }[args.method]
    config = load(args.config, args.overrides)
    set_threads(run_threads(args.threads, config.output_dir))
    result = run(config)
    _print_table(f"train --method {args.method}", {
        "output": result.output_dir, "resumed from": result.resumed_from or "-", **counts(result),
        **_loss_rows(result.losses)})
    return 0


def _train_grpo(args: argparse.Namespace) -> int:
    from mammoth_math.cpu import run_threads, set_threads
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
        _print_table("train --dry-run (grpo)", rows)
        return 0
    set_threads(run_threads(args.threads, config.output_dir))
    result = train_grpo(config)
    rows = {"output": result.output_dir, "resumed from": result.resumed_from or "-", "prompts": result.prompts,
            "steps": result.steps, "seconds/step": f"{result.seconds_per_step:.2f}"}
    rows.update({f"reward {name} (first -> last)": f"{v[0]:.3f} -> {v[-1]:.3f}" for name, v in result.rewards.items() if v})
    _print_table("train (grpo)", rows)
    return 0


def _loss_rows(losses: list[float]) -> dict[str, str]:
    """A run's first and last logged loss ("-" when it logged none)."""
    return {"first loss": f"{losses[0]:.4f}" if losses else "-", "last loss": f"{losses[-1]:.4f}" if losses else "-"}


def _print_table(title: str, rows: dict) -> None:
    """A two-column table of named values: a plan or a finished run's summary."""
    from rich.table import Table

    table = Table("", "", title=title, show_header=False)  # values wrap at the terminal's width
    for key, value in rows.items():
        table.add_row(str(key), str(value))
    console().print(table)
