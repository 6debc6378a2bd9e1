"""The evaluation loop: load spec -> build prompts -> generate -> run programs -> grade -> write.

``evaluate(EvalConfig(...))`` runs every dataset of the config, a chunk of problems at a time, appending
one record per problem to ``OUT/<run>/<dataset>.jsonl`` as it goes. Re-running the same config resumes:
recorded problems are skipped, and chunks are fixed by problem position (and seeded by it), so a
resumed run computes exactly what an uninterrupted one would have. A larger ``--limit`` adds the missing
problems, a larger ``--samples`` the missing samples of each recorded problem. ``mammoth-math eval`` calls this.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from mammoth_math.backends import Backend, make_backend
from mammoth_math.backends.base import library_versions
from mammoth_math.backends.reward import RewardModel, make_reward_model
from mammoth_math.benchmarks import Problem, Sampling, get_benchmark, load_problems, read_exemplars, train_exemplars
from mammoth_math.evaluation.config import RESUME_KEYS, EvalConfig
from mammoth_math.evaluation.grader import Grader, vote
from mammoth_math.backends.judge import Judge
from mammoth_math.evaluation.judge import judge_records
from mammoth_math.evaluation.records import (
    ProblemRecord,
    compact_records,
    meta_path,
    read_problem_records,
    records_path,
    samples_of,
)
from mammoth_math.evaluation.resume import adopt_legacy_folder, check_resume
from mammoth_math.evaluation.reward_scoring import add_rewards, check_reward_model
from mammoth_math.evaluation.scores import DatasetScore, score_records
from mammoth_math.evaluation.strategies import Sampler, Solution, Strategy, get_strategy
from mammoth_math.files import InputError, JsonlAppender, read_json, write_json
from mammoth_math.grading.reasoning import ThinkTags
from mammoth_math.progress import bar
from mammoth_math.prompts import PROMPT_STYLES, Exemplar, stop_strings

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox

log = logging.getLogger(__name__)


@dataclass
class Context:
    """What every chunk of one dataset shares."""

    config: EvalConfig
    strategy: Strategy
    backend: Backend
    sandbox: Sandbox | None
    grader: Grader
    exemplars: dict[str, list[Exemplar]]  # prompt kind's name -> few-shot exemplars
    sampling: Sampling  # this set's n, temperature and top-p (flags over the spec's defaults)
    judge: Judge | None = None  # asked after the rules, where they said wrong

    def sampler(self, seed: int) -> Sampler:
        config = self.config
        return Sampler(self.backend, config.max_new_tokens, self.sampling.temperature, self.sampling.top_p, 1,
                       seed, uses_chat(config), self.exemplars, style=config.prompt_style,
                       max_tool_calls=config.max_tool_calls, progress=config.progress)


def uses_chat(config: EvalConfig) -> bool:
    """Chat messages: asked for with ``--chat``, or implied by a chat prompt style."""
    return config.chat or PROMPT_STYLES[config.prompt_style].chat


def evaluate(config: EvalConfig, backend: Backend | None = None, sandbox: Sandbox | None = None,
             judge: Judge | None = None) -> dict[str, DatasetScore]:
    """Run (or resume) ``config``; returns the score of each dataset over all of this shard's records.

    ``backend``, ``sandbox`` and ``judge`` (with ``config.judge``) default to ones built from the config; pass your
    own to share them across runs. The judge shares the response cache: its keys name the judge model.
    """
    strategy = get_strategy(config.mode)
    problems = load_inputs(config)  # names, paths and files fail here, before a model is loaded
    owned = backend is None
    backend = backend or make_backend(config.backend, config.model, **config.backend_options)
    try:
        with ExitStack() as stack:
            if sandbox is None and strategy.needs_sandbox:
                from mammoth_math.sandbox import open_sandbox

                sandbox = stack.enter_context(open_sandbox(timeout=config.program_timeout))
            if judge is None and config.judge:
                judge = Judge.build(config.judge, config.judge_base_url or "",
                                    config.backend_options.get("cache_dir"))
                stack.callback(judge.close)
            scorers: dict[str, RewardModel] = {}
            kinds = (("reward_model", "reward", "orm"), ("process_reward_model", "step_rewards", "prm"))
            for key, field, kind in kinds:
                spec = getattr(config, key)
                if not spec:
                    continue
                saved = meta_path(Path(config.output_dir) / config.run_name, config.shard)
                if saved.exists():  # before the (slow) load: a run keeps one reward model of each kind
                    check_reward_model(read_json(saved), spec, saved, key)
                cache = config.backend_options.get("cache_dir")
                scorers[field] = make_reward_model(spec, cache and str(Path(cache) / "rewards"), kind)
                stack.callback(scorers[field].close)
            return _evaluate(config, strategy, backend, sandbox, problems, judge, scorers)
    finally:
        if owned:
            backend.close()


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
    missing = [kind.name for kind in get_strategy(config.mode).prompts if not kind.train_exemplars]
    if config.few_shot and not config.exemplars and missing:  # train splits: never a silent zero-shot for a kind
        raise ValueError(f"--few-shot: --mode {config.mode} asks for {' and '.join(missing)} prompts, and train "
                         f"splits hold rationales, not {' or '.join(missing)} responses: pass --exemplars with "
                         "your own JSONL of them, or leave out --few-shot")
    specs = [get_benchmark(name) for name in config.datasets]
    return {spec.name: _load(spec.name, config) for spec in specs}  # all problems: the limit is applied later


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


def _evaluate(config: EvalConfig, strategy: Strategy, backend: Backend, sandbox: Sandbox | None,
              loaded: dict[str, list[Problem]], judge: Judge | None = None,
              scorers: dict[str, RewardModel] | None = None) -> dict[str, DatasetScore]:
    adopt_legacy_folder(Path(config.output_dir), config.run_name)
    run_dir = Path(config.output_dir) / config.run_name
    keys = [k for k in RESUME_KEYS if k != "samples"]  # checked per set (_check_resume): a larger n extends
    meta = start_meta(meta_path(run_dir, config.shard), config.to_dict(), keys, lambda: _fresh_meta(config),
                      _resolved_sampling(config, loaded))
    meta["run"] = config.run_name
    check_reward_model(meta, config.reward_model, meta_path(run_dir, config.shard))
    check_reward_model(meta, config.process_reward_model, meta_path(run_dir, config.shard), "process_reward_model")
    if scorers and "step_rewards" in scorers:  # steps are split as the model was trained: the report says how
        meta["step_separator"] = scorers["step_rewards"].info().get("step_separator")
    scores: dict[str, DatasetScore] = {}
    for name, every in loaded.items():
        spec = get_benchmark(name)
        problems = every[:config.limit] if config.limit is not None else every
        index, count = config.shard
        mine = [(i, p) for i, p in enumerate(problems) if i % count == index]
        before = meta["benchmarks"].get(spec.name)
        sampling = config.sampling(spec.sampling)
        if before:
            check_resume(before, config, sampling, spec.version, meta_path(run_dir, config.shard))
        meta["benchmarks"][spec.name] = {"version": spec.version, "source": spec.source, "hub_id": spec.hub_id,
                                         "limit": config.limit, "loaded": len(every),
                                         "expected_count": spec.expected_count, "selected": len(mine),
                                         "rel_tol": spec.rel_tol, "sampling": asdict(sampling),
                                         "pass_k": config.ks(sampling.n), "subset_field": spec.subset_field}
        write_json(meta_path(run_dir, config.shard), meta)
        path = records_path(run_dir, spec.name, config.shard)
        think = ThinkTags(*config.think_tags) if config.reasoning else None
        ctx = Context(config, get_strategy(config.mode, sampling.n), backend, sandbox,
                      Grader(config.grading, spec.rel_tol, think), _exemplars(config, strategy, spec.name, problems),
                      sampling, judge)
        extend_samples(path, mine, ctx, f"{spec.name} ({config.run_name}, more samples)")
        # seeded by position, not by what is left: a resumed chunk samples what the first run would have
        append_in_chunks(path, mine, _problem_id, read_problem_records, config.chunk_size,
                         lambda chunk, start: solve_chunk(chunk, ctx, seed=config.seed + start),
                         f"{spec.name} ({config.run_name})", config.progress)
        for field, scorer in (scorers or {}).items():
            add_rewards(path, scorer, config.chunk_size, f"{spec.name} ({config.run_name}, {field})", config.progress,
                        field)
        scores[spec.name] = score_records(read_problem_records(path))
    meta.update(backend=backend.info(), finished=now(), **({"judge": judge.info()} if judge else {}))
    write_json(meta_path(run_dir, config.shard), meta)
    return scores


def extend_samples(path: Path, items: Sequence[tuple[int, Problem]], ctx: Context, label: str) -> None:
    """Give each recorded problem with fewer samples than the run's n the missing ones; those it has are kept.

    A backend draws sample i of a request seeded s with seed s + i, so asking for samples k..n-1 with the seed
    of the problem's chunk plus k gives the samples a fresh n-sample run would have drawn (a hybrid's fallbacks
    for them are seeded alike, but not as in a fresh run). The grown record is appended (the last line of an
    id wins) and the file compacted at the end, so a crash loses at most one chunk of new samples.
    """
    if not path.exists():
        return
    n, size = ctx.sampling.n, ctx.config.chunk_size
    recorded = {r.id: r for r in compact_records(path)}  # compacted first: a crash may have left grown lines
    groups: dict[tuple[int, int], list[tuple[int, Problem, ProblemRecord]]] = {}
    for position, (i, problem) in enumerate(items):
        old = recorded.get(problem.id)
        if old is not None and old.error is None and samples_of(old) < n:  # chunk start, samples held
            groups.setdefault((position - position % size, samples_of(old)), []).append((i, problem, old))
    if not groups:
        return
    todo = sum(map(len, groups.values()))
    log.info("%s: %d recorded problems get their missing samples (of %d)", label, todo, n)
    with JsonlAppender(path) as out, bar(label, todo, ctx.config.progress) as b:
        for (start, have), group in sorted(groups.items()):
            strategy = get_strategy(ctx.config.mode, n - have)
            solutions = strategy.solve([p for _, p, _ in group], ctx.sampler(ctx.config.seed + start + have),
                                       ctx.sandbox, ctx.grader)
            records = [record(i, problem, _joined(old, new, have), ctx.config.mode, ctx.grader, True)
                       for (i, problem, old), new in zip(group, solutions) if not _failed(new, problem)]
            if ctx.judge is not None:
                judge_records(records, ctx.judge)
            for grown in records:
                out.write(grown.to_dict())
            b.advance(len(group))
    compact_records(path)


def _failed(solution: Solution, problem: Problem) -> bool:
    if solution.error:
        log.warning("%s: more samples failed (%s); its record keeps the samples it had", problem.id, solution.error)
    return bool(solution.error)


def _joined(old: ProblemRecord, new: Solution, have: int) -> Solution:
    """The old record's samples, then ``new``'s numbered after them; costs added up."""
    for attempt in new.attempts:
        attempt.sample += have
    return Solution(old.prompt, old.attempts + new.attempts, old.fallback_prompt or new.fallback_prompt,
                    old.fallback_reasons + new.fallback_reasons, None, old.prompt_tokens + new.prompt_tokens,
                    old.completion_tokens + new.completion_tokens, old.seconds + new.seconds)


class _Record(Protocol):
    id: str

    def to_dict(self) -> dict[str, Any]: ...


Item = TypeVar("Item")


def append_in_chunks(path: Path, items: Sequence[tuple[int, Item]], key: Callable[[Item], str],
                     read: Callable[[Path], Sequence[_Record]], chunk_size: int,
                     work: Callable[[list[tuple[int, Item]], int], Sequence[_Record]], label: str,
                     progress: bool) -> None:
    """Append ``work``'s records for the ``(position, item)`` pairs not yet recorded in ``path``, a chunk at a time.

    ``key(item)`` is the id its record will carry. Chunks are fixed by position in ``items`` (``work`` gets the
    chunk and its start), not by what is left, so a resumed run computes what an uninterrupted one would have.
    """
    done = {r.id for r in read(path)} if path.exists() else set()
    todo = sum(key(item) not in done for _, item in items)
    log.info("%s: %d problems, %d recorded, %d to do", label, len(items), len(items) - todo, todo)
    with JsonlAppender(path) as out, bar(label, todo, progress) as b:
        for start in range(0, len(items), chunk_size):
            chunk = [(i, item) for i, item in items[start:start + chunk_size] if key(item) not in done]
            if chunk:
                for record in work(chunk, start):
                    out.write(record.to_dict())
                b.advance(len(chunk))


def _problem_id(problem: Problem) -> str:
    return problem.id


def solve_chunk(chunk: Sequence[tuple[int, Problem]], ctx: Context, seed: int) -> list[ProblemRecord]:
    """Solve, pick and grade one chunk of problems; one finished record per problem, in order."""
    problems = [p for _, p in chunk]
    solutions = ctx.strategy.solve(problems, ctx.sampler(seed), ctx.sandbox, ctx.grader)
    records = [record(i, p, solution, ctx.config.mode, ctx.grader, ctx.sampling.n > 1)
               for (i, p), solution in zip(chunk, solutions)]
    if ctx.judge is not None:
        judge_records(records, ctx.judge)
    return records


def record(index: int, problem: Problem, solution: Solution, mode: str, grader: Grader, voted: bool
           ) -> ProblemRecord:
    """The record of one problem: its solution, the answer the vote picked, where it came from, its grade.

    A backend error is not graded. The answer's path is the strategy that gave it, or ``fallback`` when a
    hybrid's second strategy did. ``voted`` (n > 1 samples): every attempt gets its own verdict too, which
    the sampled metrics read.
    """
    out = ProblemRecord(problem.id, problem.benchmark, index, problem.question, problem.gold, problem.kind.value,
                        list(problem.options) if problem.options else None, dict(problem.meta), mode,
                        solution.prompt, solution.attempts, solution.fallback_prompt, solution.fallback_reasons,
                        error=solution.error, prompt_tokens=solution.prompt_tokens,
                        completion_tokens=solution.completion_tokens, seconds=solution.seconds)
    if out.error:
        out.path, out.correct, out.method = "error", None, "backend error"
        return out
    winner, votes = vote(out.attempts, problem, grader)
    out.votes = votes if voted else {}
    if voted:
        for attempt in out.attempts:
            attempt.correct = grader.attempt_correct(attempt, problem)
    first = out.attempts[0].path if out.attempts else mode
    if winner is None:
        out.path = "fallback" if out.fallback else first
        out.answer, out.correct, out.method = None, False, "empty"
        return out
    out.answer = winner.answer
    out.path = "fallback" if out.fallback and winner.path != first else winner.path
    verdict = grader.verdict(winner.answer, problem)
    out.correct, out.method = verdict.correct, verdict.method
    return out


def _exemplars(config: EvalConfig, strategy: Strategy, name: str, problems: list[Problem]
               ) -> dict[str, list[Exemplar]]:
    if not config.few_shot:
        return {}
    if config.exemplars:
        shots = read_exemplars(config.exemplars)[:config.shots]
        return {kind.name: shots for kind in strategy.prompts}
    assert config.train_dir is not None  # load_inputs checked it, and that train splits serve every kind
    shots = train_exemplars(name, config.train_dir, config.shots, config.seed, [p.question for p in problems])
    return {kind.name: shots for kind in strategy.prompts}


def start_meta(path: Path, settings: dict[str, Any], resume_keys: Sequence[str],
               fresh: Callable[[], dict[str, Any]], resolved: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run's metadata: ``fresh()`` for a new run; when resuming, the saved one, refusing changed settings.

    ``resolved`` gives what a setting left as None (the sets' own default) amounts to, so a run saved with
    that value spelled out still resumes.
    """
    if path.exists():
        old = read_json(path)
        saved = old.get("config", {})
        resolved = resolved or {}

        def same(k: str) -> bool:
            return saved[k] == settings[k] or (settings[k] is None and k in resolved and saved[k] == resolved[k])

        # a key the saved run lacks is a setting added since, which that run had at its default
        changed = [f"{k} {saved.get(k)!r} -> {settings[k]!r}" for k in resume_keys if k in saved and not same(k)]
        if changed:
            raise ValueError(f"{path}: this output folder holds a run with different settings "
                             f"({', '.join(changed)}); use another --output-dir or restore them")
        return old | {"config": settings, "resumed": now(), "finished": None}
    return fresh()


def _resolved_sampling(config: EvalConfig, loaded: dict[str, list[Problem]]) -> dict[str, Any]:
    """samples, temperature and top_p as the run's sets resolve them, when they all agree (else nothing)."""
    resolved = {config.sampling(get_benchmark(name).sampling) for name in loaded}
    if len(resolved) != 1:
        return {}
    (sampling,) = resolved
    return {"samples": sampling.n, "temperature": sampling.temperature, "top_p": sampling.top_p}


def _fresh_meta(config: EvalConfig) -> dict[str, Any]:
    return {"run": config.run_name, "config": config.to_dict(), "grading": config.grading,
            "sampling": {"samples": config.samples, "temperature": config.temperature, "top_p": config.top_p,
                         "max_new_tokens": config.max_new_tokens, "seed": config.seed,
                         "stop": list(stop_strings(uses_chat(config)))},  # None: per set, see "benchmarks"
            "versions": versions(), "benchmarks": {}, "started": now(), "finished": None}


def versions() -> dict[str, str | None]:
    """Library versions written into every run's metadata."""
    return library_versions("math-verify") | {"python": platform.python_version()}


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
