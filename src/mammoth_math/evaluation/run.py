"""The evaluation loop: load spec -> build prompts -> generate -> run programs -> grade -> write.

``evaluate(EvalConfig(...))`` runs every dataset of the config, a chunk of problems at a time, appending
one record per problem to ``OUT/<run>/<dataset>.jsonl`` as it goes. Re-running the same config resumes:
recorded problems are skipped, and chunks are fixed by problem position (and seeded by it), so a
resumed run computes exactly what an uninterrupted one would have. ``mammoth-math eval`` calls this.
"""

from __future__ import annotations

import logging
import platform
from contextlib import ExitStack
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mammoth_math.backends import Backend, Completion, GenerationRequest, make_backend
from mammoth_math.backends.base import library_versions
from mammoth_math.benchmarks import Problem, get_benchmark, load_problems, read_exemplars, train_exemplars
from mammoth_math.evaluation.config import RESUME_KEYS, EvalConfig
from mammoth_math.evaluation.decoding import Grader, cot_attempt, pot_attempt, program_of, vote
from mammoth_math.evaluation.records import (
    Execution,
    ProblemRecord,
    meta_path,
    read_records,
    records_path,
)
from mammoth_math.evaluation.scores import DatasetScore, score_records
from mammoth_math.files import InputError, JsonlAppender, read_json, write_json
from mammoth_math.progress import bar
from mammoth_math.prompts import Exemplar, build_prompt, stop_strings

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What every chunk of one dataset shares."""

    config: EvalConfig
    backend: Backend
    sandbox: Any  # mammoth_math.sandbox.Sandbox
    grader: Grader
    exemplars: dict[str, list[Exemplar]]  # mode ("cot"/"pot") -> few-shot exemplars


def evaluate(config: EvalConfig, backend: Backend | None = None, sandbox: Any = None) -> dict[str, DatasetScore]:
    """Run (or resume) ``config``; returns the score of each dataset over all of this shard's records.

    ``backend`` and ``sandbox`` default to ones built from the config; pass your own to share them across runs.
    """
    problems = load_inputs(config)  # names, paths and files fail here, before a model is loaded
    owned = backend is None
    backend = backend or make_backend(config.backend, config.model, **config.backend_options)
    with ExitStack() as stack:
        if sandbox is None and config.mode != "cot":
            from mammoth_math.sandbox import Sandbox

            sandbox = stack.enter_context(Sandbox(timeout=config.program_timeout))
        scores = _evaluate(config, backend, sandbox, problems)
    if owned and hasattr(backend, "close"):
        backend.close()
    return scores


def load_inputs(config: EvalConfig) -> dict[str, list[Problem]]:
    """Every dataset's problems and every named file, checked before the (slow) model load.

    Raises :class:`InputError` (a missing folder or file, a hub that cannot be reached) or ``KeyError``
    (an unknown benchmark), each naming what to fix.
    """
    for flag, path in (("--data-dir", config.data_dir), ("--train-dir", config.train_dir)):
        if path is not None and not Path(path).is_dir():
            raise InputError(path, f"no such folder (given as {flag})")
    if config.exemplars is not None and not Path(config.exemplars).is_file():
        raise InputError(config.exemplars, "no such file (given as --exemplars)")
    if config.few_shot and not (config.exemplars or config.train_dir):
        raise ValueError("--few-shot needs --train-dir (train splits) or --exemplars (your own JSONL)")
    if config.backend != "openai" and not Path(config.model).exists() and _looks_like_a_path(config.model):
        raise InputError(config.model, "no such model folder (given as --model)")
    specs = [get_benchmark(name) for name in config.datasets]
    return {spec.name: _load(spec.name, config) for spec in specs}  # all problems: the limit is applied later


def _looks_like_a_path(model: str) -> bool:
    """A hub id is ``name`` or ``org/name``; anything else that does not exist is a mistyped folder."""
    return model.startswith((".", "/", "~")) or model.endswith("/") or model.count("/") > 1


def _load(name: str, config: EvalConfig) -> list[Problem]:
    if config.data_dir is not None:
        return load_problems(name, config.data_dir)
    try:
        return load_problems(name, None)
    except (KeyError, ValueError):
        raise
    except Exception as e:  # offline, or the hub is down: the user's fix is the same
        raise InputError("--data-dir", f"{name}: the Hugging Face hub could not be read ({type(e).__name__}); "
                         "pass --data-dir with MAmmoTH's evaluation files") from e


def _check_limit(before: dict[str, Any], config: EvalConfig, version: int, path: Path) -> None:
    """Resuming may extend a run (a larger ``--limit``), never change what its records mean."""
    if before.get("version") != version:
        raise ValueError(f"{path}: field 'version': the records were made with spec version "
                         f"{before.get('version')}, now {version}; use another --output-dir")
    old, new = before.get("limit"), config.limit
    if new is not None and (old is None or new < old):
        raise ValueError(f"{path}: field 'limit': the records cover --limit {old or 'all'}; give a --limit of at "
                         f"least that (or none) to extend the run, or use another --output-dir")


def _evaluate(config: EvalConfig, backend: Backend, sandbox: Any,
              loaded: dict[str, list[Problem]]) -> dict[str, DatasetScore]:
    run_dir = Path(config.output_dir) / config.run_name
    meta = _start(config, run_dir)
    scores: dict[str, DatasetScore] = {}
    for name, every in loaded.items():
        spec = get_benchmark(name)
        problems = every[:config.limit] if config.limit is not None else every
        index, count = config.shard
        mine = [(i, p) for i, p in enumerate(problems) if i % count == index]
        before = meta["benchmarks"].get(spec.name)
        if before:
            _check_limit(before, config, spec.version, meta_path(run_dir, config.shard))
        meta["benchmarks"][spec.name] = {"version": spec.version, "source": spec.source, "hub_id": spec.hub_id,
                                         "limit": config.limit, "loaded": len(every),
                                         "expected_count": spec.expected_count, "selected": len(mine),
                                         "rel_tol": spec.rel_tol}
        write_json(meta_path(run_dir, config.shard), meta)
        path = records_path(run_dir, spec.name, config.shard)
        done = {r.id for r in read_records(path)} if path.exists() else set()
        todo = sum(p.id not in done for _, p in mine)
        log.info("%s/%s: %d problems, %d recorded, %d to do", config.run_name, spec.name, len(mine), len(done), todo)
        ctx = Context(config, backend, sandbox, Grader(config.grading, spec.rel_tol),
                      _exemplars(config, spec.name, problems))
        with JsonlAppender(path) as out, bar(f"{spec.name} ({config.run_name})", todo, config.progress) as b:
            for start in range(0, len(mine), config.chunk_size):
                chunk = [(i, p) for i, p in mine[start:start + config.chunk_size] if p.id not in done]
                if chunk:
                    # seeded by position, not by what is left: a resumed chunk samples what the first run would have
                    for record in solve_chunk(chunk, ctx, seed=config.seed + start):
                        out.write(record.to_dict())
                    b.advance(len(chunk))
        scores[spec.name] = score_records(read_records(path))
    meta.update(backend=backend.info(), finished=_now())
    write_json(meta_path(run_dir, config.shard), meta)
    return scores


def solve_chunk(chunk: Sequence[tuple[int, Problem]], ctx: Context, seed: int) -> list[ProblemRecord]:
    """Generate, run and grade one chunk of problems; one finished record per problem, in order."""
    config = ctx.config
    first = "cot" if config.mode == "cot" else "pot"
    prompts = [build_prompt(p, first, ctx.exemplars[first], config.chat) for _, p in chunk]
    records = [ProblemRecord(p.id, p.benchmark, i, p.question, p.gold, p.kind.value,
                             list(p.options) if p.options else None, dict(p.meta), config.mode, prompt)
               for (i, p), prompt in zip(chunk, prompts)]
    completions = _generate(ctx, prompts, [config.samples] * len(chunk), seed)
    if first == "cot":
        for (_, p), record, c in zip(chunk, records, completions):
            _add(record, c, [cot_attempt(t, p, ctx.grader, r) for t, r in _texts(c)])
    else:
        _run_programs(chunk, records, completions, ctx)
    if config.mode == "hybrid":
        _fall_back(chunk, records, ctx, seed)
    for (_, p), record in zip(chunk, records):
        _decide(record, p, ctx.grader, config.samples)
    return records


def _run_programs(chunk: Sequence[tuple[int, Problem]], records: list[ProblemRecord],
                  completions: list[Completion], ctx: Context) -> None:
    programs = [(k, program_of(text), text, reason)
                for k, c in enumerate(completions) if not c.error for text, reason in _texts(c)]
    results = ctx.sandbox.run_many([code for _, code, _, _ in programs], progress=False) if programs else []
    attempts: dict[int, list] = {k: [] for k in range(len(chunk))}
    for (k, code, text, reason), result in zip(programs, results):
        execution = Execution(result.stdout or "", str(result.error) if result.error else None,
                              bool(result.timed_out), float(result.duration_s), getattr(result, "answer", None))
        attempts[k].append(pot_attempt(text, code, execution, chunk[k][1], ctx.grader, reason))
    for k, (record, c) in enumerate(zip(records, completions)):
        _add(record, c, attempts[k])


def _fall_back(chunk: Sequence[tuple[int, Problem]], records: list[ProblemRecord], ctx: Context, seed: int) -> None:
    """CoT for the problems (and samples) whose program failed, all in one batched call."""
    failed = [(k, [a.failure for a in r.attempts if a.failure]) for k, r in enumerate(records) if not r.error]
    failed = [(k, reasons) for k, reasons in failed if reasons]
    if not failed:
        return
    prompts = [build_prompt(chunk[k][1], "cot", ctx.exemplars["cot"], ctx.config.chat) for k, _ in failed]
    completions = _generate(ctx, prompts, [len(reasons) for _, reasons in failed], seed)
    for (k, reasons), prompt, c in zip(failed, prompts, completions):
        records[k].fallback_prompt, records[k].fallback_reasons = prompt, reasons
        _add(records[k], c, [cot_attempt(t, chunk[k][1], ctx.grader, r) for t, r in _texts(c)])


def _decide(record: ProblemRecord, problem: Problem, grader: Grader, samples: int) -> None:
    """Pick the answer (the vote's winner), say which path gave it, and grade it; errors are not graded."""
    if record.error:
        record.path, record.correct, record.method = "error", None, "backend error"
        return
    winner, votes = vote(record.attempts, problem, grader)
    record.votes = votes if samples > 1 else {}
    if winner is None:
        record.path = "fallback" if record.fallback else ("cot" if record.mode == "cot" else "pot")
        record.answer, record.correct, record.method = None, False, "empty"
        return
    record.answer = winner.answer
    record.path = "fallback" if winner.path == "cot" and record.mode == "hybrid" else winner.path
    verdict = grader.verdict(winner.answer, problem)
    record.correct, record.method = verdict.correct, verdict.method


def _generate(ctx: Context, prompts: list, samples: list[int], seed: int) -> list[Completion]:
    config = ctx.config
    requests = [GenerationRequest(prompt, config.max_new_tokens, config.temperature or 0.0, config.top_p, n,
                                  stop_strings(config.chat), seed if config.temperature else None)
                for prompt, n in zip(prompts, samples)]
    return ctx.backend.generate(requests, progress=False)


def _texts(c: Completion) -> list[tuple[str, str]]:
    reasons = c.finish_reasons or [""] * len(c.texts)
    return list(zip(c.texts, reasons))


def _add(record: ProblemRecord, c: Completion, attempts: list) -> None:
    record.attempts.extend(attempts)
    record.prompt_tokens += c.prompt_tokens
    record.completion_tokens += c.completion_tokens
    record.seconds += c.seconds + sum(a.execution.duration_s for a in attempts if a.execution)
    if c.error:
        record.error = c.error


def _exemplars(config: EvalConfig, name: str, problems: list[Problem]) -> dict[str, list[Exemplar]]:
    if not config.few_shot:
        return {"cot": [], "pot": []}
    if config.exemplars:
        shots = read_exemplars(config.exemplars)[:config.shots]
        return {"cot": shots, "pot": shots}
    assert config.train_dir is not None  # load_inputs checked it
    shots = train_exemplars(name, config.train_dir, config.shots, config.seed, [p.question for p in problems])
    log.info("%s: PoT prompts stay zero-shot: train splits hold rationales, not programs", name)
    return {"cot": shots, "pot": []}


def _start(config: EvalConfig, run_dir: Path) -> dict[str, Any]:
    """The run's metadata; when resuming, refuse settings that differ from the recorded ones."""
    path = meta_path(run_dir, config.shard)
    settings = config.to_dict()
    if path.exists():
        old = read_json(path)
        changed = [f"{k} {old.get('config', {}).get(k)!r} -> {settings[k]!r}" for k in RESUME_KEYS
                   if old.get("config", {}).get(k) != settings[k]]
        if changed:
            raise ValueError(f"{path}: this output folder holds a run with different settings "
                             f"({', '.join(changed)}); use another --output-dir or restore them")
        return old | {"config": settings, "resumed": _now(), "finished": None}
    return {"run": config.run_name, "config": settings, "grading": config.grading,
            "sampling": {"samples": config.samples, "temperature": config.temperature, "top_p": config.top_p,
                         "max_new_tokens": config.max_new_tokens, "seed": config.seed,
                         "stop": list(stop_strings(config.chat))},
            "versions": library_versions("math-verify") | {"python": platform.python_version()},
            "benchmarks": {}, "started": _now(), "finished": None}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
