"""One vote across modes: ``eval --modes cot,pot,tir --samples n`` samples each mode, and the report pools them.

:func:`evaluate_modes` runs each mode into its own run (``<mode>-sc``), sharing one backend and one sandbox.
:func:`pooled_samples` joins the runs of one model on one set: a problem's samples interleaved round-robin
(cot 0, pot 0, tir 0, cot 1, ...), so the first k pooled samples spend the budget evenly over the modes. The
report's selection section (``report --select``) scores each rule on them at k = n (the same number of samples
as one mode: the comparison with the best single mode) and at k = modes x n (every sample), beside each mode's
own rows. Only problems every run recorded without a backend error are pooled.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import replace
from typing import TYPE_CHECKING

from mammoth_math.backends import Backend, make_backend
from mammoth_math.evaluation.config import EvalConfig
from mammoth_math.evaluation.records import Attempt, ProblemRecord
from mammoth_math.evaluation.run import evaluate
from mammoth_math.evaluation.sampled import final_attempts
from mammoth_math.evaluation.scores import DatasetScore, Run
from mammoth_math.evaluation.strategies import get_strategy

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox


def evaluate_modes(config: EvalConfig, modes: Sequence[str], backend: Backend | None = None,
                   sandbox: Sandbox | None = None) -> dict[str, dict[str, DatasetScore]]:
    """``config`` run once per mode (each resumable on its own); the scores of each mode's sets."""
    if len(set(modes)) < 2:
        raise ValueError(f"--modes needs two or more different modes, got {','.join(modes)}")
    configs = {mode: replace(config, mode=mode) for mode in modes}  # each mode checked by EvalConfig
    owned = backend is None
    backend = backend or make_backend(config.backend, config.model, **config.backend_options)
    try:
        with ExitStack() as stack:
            if sandbox is None and any(get_strategy(m).needs_sandbox for m in modes):
                from mammoth_math.sandbox import Sandbox

                sandbox = stack.enter_context(Sandbox(timeout=config.program_timeout))
            return {mode: evaluate(c, backend, sandbox) for mode, c in configs.items()}
    finally:
        if owned:
            backend.close()


Samples = list[tuple[ProblemRecord, list[Attempt]]]


def pooled_samples(runs: Sequence[Run], dataset: str) -> tuple[list[str], int, Samples] | None:
    """(run names, n per run, each problem's pooled samples) for the sampled runs of one model holding
    ``dataset``; None unless two or more such runs share it. A pooled record is the first run's (question,
    gold, kind), and its attempts are interleaved round-robin over the runs' first n samples."""
    sampled = [run for run in runs if dataset in run.records and run.name.endswith("-sc")]
    models = {str(run.meta.get("config", {}).get("model")) for run in sampled}
    if len(sampled) < 2 or len(models) != 1:
        return None
    by_id = [{r.id: r for r in run.records[dataset] if r.error is None and r.attempts} for run in sampled]
    ids = [i for i in by_id[0] if all(i in other for other in by_id[1:])]
    if not ids:
        return None
    n = min(len(final_attempts(found[i])) for found in by_id for i in ids)
    pooled = []
    for i in ids:
        per_run = [final_attempts(found[i])[:n] for found in by_id]
        # the first run's record stands for the problem; its genselect picks index that run's samples alone
        pooled.append((replace(by_id[0][i], selections={}), [attempts[s] for s in range(n) for attempts in per_run]))
    return [run.name for run in sampled], n, pooled
