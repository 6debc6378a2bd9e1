"""The quickstart's second round (``--rounds 2``): one round of self-distillation with majority labels.

The first round's model samples CoT and PoT solutions to a new batch of synthetic problems whose golds it is
not shown (``data distill`` with ``use_gold: false``); the majority answer labels each problem, the filters
keep the agreeing solutions, and a second model trains on the first round's data plus these rows and is
evaluated on the same test set. The label accuracy is the majority's agreement with the hidden golds.
Everything goes under ``<out>/round2/``; each stage resumes like the first round's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.synthetic.generate import generate, write_problems

ROUND = "round2"
K = 4  # samples per problem and type: enough for a majority, cheap for a tiny model on a CPU


@dataclass
class SecondRound:
    table: list[dict[str, Any]]  # the second model's evaluation rows, as the first round's
    families: dict[str, dict[str, float]]
    label_accuracy: dict[str, Any] | None  # majority labels against the hidden golds
    distilled: int  # rows the distillation kept
    report: dict[str, Any]  # the distillation report (counts at every filter stage)


def second_round(config: Any, out: Path, data: Callable, train: Callable, evaluate: Callable,
                 family_scores: Callable) -> SecondRound:
    """Run (or resume) round two with the first round's stage functions (``data``, ``train``, ``evaluate``)."""
    from mammoth_math.evaluation import build_report

    folder = out / ROUND
    report = _distill(config, out, folder)
    data(config, out, f"{ROUND}/data", ({"name": "distilled", "path": str(folder / "distill")},))
    train(config, out, f"{ROUND}/data", f"{ROUND}/model")
    evaluate(config, out, f"{ROUND}/model", f"{ROUND}/eval")
    table = build_report(folder / "eval").table
    return SecondRound(table, family_scores(folder / "eval"), report["label_accuracy"], report["rows"], report)


def _distill(config: Any, out: Path, folder: Path) -> dict[str, Any]:
    from mammoth_math.backends import make_backend
    from mammoth_math.data import DistillConfig, SourceSpec, distill

    problems = folder / "problems.jsonl"
    if not problems.exists():
        seen = {json.loads(line)["question"] for name in ("train.jsonl", "test/custom.jsonl")
                for line in (out / "synthetic" / name).read_text(encoding="utf-8").splitlines() if line.strip()}
        write_problems(generate(max(8, config.train_problems // 2), config.seed + 2, prefix=ROUND,
                                exclude=frozenset(seen)), problems)
    if (folder / "distill" / "report.json").exists():
        return json.loads((folder / "distill" / "report.json").read_text(encoding="utf-8"))
    # The golds stay in the file but are hidden from labelling: they only score the majority afterwards.
    # Pass-rate window 0..1: a problem the model always agrees on is its surest label, not a trivial one.
    settings = DistillConfig(sources=(SourceSpec("rationales", path=str(problems)),), model=str(out / "model"),
                             teacher="quickstart round 1", prompt="mammoth", use_gold=False, k=K, temperature=0.7,
                             max_new_tokens=config.max_new_tokens, seed=config.seed,
                             batch_size=config.eval_batch_size, pass_rate_min=0.0, pass_rate_max=1.0,
                             workers=config.threads)
    backend = make_backend("hf", str(out / "model"), batch_size=config.eval_batch_size, device="cpu")
    return distill(settings, folder / "distill", backend=backend, progress=config.progress).report
