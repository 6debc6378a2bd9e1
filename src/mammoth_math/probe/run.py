"""The sycophancy probe: answer, get challenged, answer again; plus the Clever Hans check on programs.

``probe(ProbeConfig(...))``: the first turn *is* an evaluation run (``evaluate``, any strategy, greedy,
zero-shot, in ``OUT/probe-<challenge>-<mode>/<mode>/``); then each first answer is challenged: the whole
conversation goes back with the user's pushback, and the new answer is read by the same strategy's ``read``
(a program is rewritten and run in the sandbox). Records are appended per problem (``records.py``);
re-running the same config resumes both turns. ``shard`` (i, n) probes every n-th problem from the i-th, as
``eval --shard`` does; :func:`merge_probes` joins the shards (``mammoth-math merge``). ``mammoth-math probe``
calls this.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mammoth_math.backends import Backend, make_backend
from mammoth_math.benchmarks import Problem, get_benchmark, load_problems
from mammoth_math.evaluation import STRATEGIES, EvalConfig, Grader, ProblemRecord, evaluate, read_problem_records
from mammoth_math.evaluation.records import records_path
from mammoth_math.evaluation.run import append_in_chunks, now, start_meta, versions
from mammoth_math.evaluation.shard import MergeResult, merge_run
from mammoth_math.evaluation.strategies import Generator, SinglePass
from mammoth_math.files import read_json, write_json
from mammoth_math.probe.challenges import (
    CHALLENGES,
    Challenge,
    challenge_text,
    needs_wrong_answer,
    plausible_wrong_answer,
)
from mammoth_math.probe.clever_hans import check_programs
from mammoth_math.probe.records import ProbeRecord, SecondTurn, probe_meta_path, read_probe_records
from mammoth_math.probe.summary import ProbeScore, score_probe
from mammoth_math.prompts import Exemplar, build_prompt

if TYPE_CHECKING:
    from mammoth_math.sandbox import Sandbox

log = logging.getLogger(__name__)

# The probe's own settings that change what a record holds; the first turn's (model, mode, seed, ...) are
# checked by its evaluation run. Resuming with any of them changed is refused.
RESUME_KEYS = ("challenge", "clever_hans")


@dataclass
class ProbeConfig:
    """What to probe and how. Both turns decode greedily and zero-shot (the challenge is the variable).

    ``chat``: None uses the model's chat template when it has one, else MAmmoTH's Alpaca format with the
    challenge as a second instruction.
    """

    model: str
    datasets: list[str]
    output_dir: str
    challenge: Challenge = "assert-wrong"
    backend: str = "hf"
    mode: str = "hybrid"
    data_dir: str | None = None
    limit: int | None = None
    chat: bool | None = None
    max_new_tokens: int = 512
    seed: int = 0  # picks the asserted wrong answers
    grading: str = "strict"
    program_timeout: float = 5.0
    clever_hans: bool = True  # check correct first-turn programs (PoT, hybrid)
    chunk_size: int = 64
    backend_options: dict[str, Any] = field(default_factory=dict)
    progress: bool = True
    shard: tuple[int, int] = (0, 1)  # (i, n): every n-th problem from the i-th, first turn and challenge alike

    def __post_init__(self) -> None:
        index, count = self.shard = tuple(self.shard)  # type: ignore[assignment]
        if not (count >= 1 and 0 <= index < count):
            raise ValueError(f"shard must be i/n with 0 <= i < n, got {index}/{count}")
        if self.challenge not in CHALLENGES:
            raise ValueError(f"challenge must be one of {', '.join(CHALLENGES)}, got {self.challenge!r}")
        if self.mode not in STRATEGIES:
            raise ValueError(f"mode must be one of {', '.join(STRATEGIES)}, got {self.mode!r}")
        if "tir" in STRATEGIES[self.mode].prompts:  # before the first turn is spent: see ``second_prompt``
            raise ValueError(f"mode {self.mode!r} answers in several passes: the probe re-asks single-pass answers "
                             "(cot, pot, hybrid)")
        if not self.datasets:
            raise ValueError("no datasets given")

    @property
    def run_name(self) -> str:
        return f"probe-{self.challenge}-{self.mode}"

    def eval_config(self, chat: bool) -> EvalConfig:
        """The first turn: an evaluation run inside the probe's folder."""
        return EvalConfig(self.model, list(self.datasets), str(Path(self.output_dir) / self.run_name),
                          backend=self.backend, mode=self.mode, data_dir=self.data_dir, limit=self.limit,
                          samples=1, max_new_tokens=self.max_new_tokens, seed=self.seed, chat=chat,
                          grading=self.grading, program_timeout=self.program_timeout, chunk_size=self.chunk_size,
                          backend_options=self.backend_options, progress=self.progress, shard=self.shard)


@dataclass
class _ChallengeContext:
    """What every chunk of the second turn shares."""

    config: ProbeConfig
    generator: Generator
    sandbox: Sandbox | None
    grader: Grader
    pool: Sequence[str]  # the dataset's golds: wrong answers for word problems


def probe(config: ProbeConfig, backend: Backend | None = None, sandbox: Sandbox | None = None
          ) -> dict[str, dict[str, ProbeScore]]:
    """Run (or resume) ``config``; returns each dataset's scores by subset (all, cot, pot)."""
    owned = backend is None
    backend = backend or make_backend(config.backend, config.model, **config.backend_options)
    try:
        if sandbox is None and STRATEGIES[config.mode].needs_sandbox:
            from mammoth_math.sandbox import open_sandbox

            with open_sandbox(timeout=config.program_timeout) as sandbox:
                return _probe(config, backend, sandbox)
        return _probe(config, backend, sandbox)
    finally:
        if owned:
            backend.close()


def _probe(config: ProbeConfig, backend: Backend, sandbox: Sandbox | None) -> dict[str, dict[str, ProbeScore]]:
    chat = config.chat if config.chat is not None else backend.chat_template() is not None
    run_dir = Path(config.output_dir) / config.run_name
    meta_file = probe_meta_path(run_dir, config.shard)
    settings = asdict(config) | {"chat": chat, "shard": list(config.shard)}
    meta = start_meta(meta_file, settings, RESUME_KEYS, lambda: {
        "run": config.run_name, "config": settings, "challenge": config.challenge, "mode": config.mode,
        "versions": versions(), "benchmarks": {}, "started": now(), "finished": None})
    first_turn = config.eval_config(chat)
    evaluate(first_turn, backend, sandbox)
    generator = Generator(backend, config.max_new_tokens, chat=chat)
    scores = {}
    for name in config.datasets:
        spec = get_benchmark(name)
        problems = {p.id: p for p in load_problems(spec.name, config.data_dir, config.limit)}  # all: the pool
        firsts = read_problem_records(records_path(Path(first_turn.output_dir) / first_turn.run_name, spec.name,
                                           config.shard))
        meta["benchmarks"][spec.name] = {"version": spec.version, "loaded": len(problems), "rel_tol": spec.rel_tol,
                                         "selected": len(firsts)}
        write_json(meta_file, meta)
        turn = _ChallengeContext(config, generator, sandbox, Grader(config.grading, spec.rel_tol),
                                 [p.gold for p in problems.values()])
        path = records_path(run_dir, spec.name, config.shard)
        items = [(r.index, (r, problems[r.id])) for r in sorted(firsts, key=lambda r: r.index)]
        append_in_chunks(path, items, _first_id, read_probe_records, config.chunk_size,
                         lambda chunk, _: probe_chunk([pair for _, pair in chunk], turn),
                         f"{spec.name} ({config.run_name})", config.progress)
        scores[spec.name] = score_probe(read_probe_records(path))
    meta.update(backend=backend.info(), finished=now())
    write_json(meta_file, meta)
    return scores


def merge_probes(output_dir: str | Path) -> list[MergeResult]:
    """Join the shards of every probe under ``output_dir``: its first turn's evaluation run, then its records."""
    results = []
    for probe_dir in sorted({p.parent for p in Path(output_dir).glob("*/probe.shard-*-of-*.json")}):
        mode = read_json(next(probe_dir.glob("probe.shard-*-of-*.json")))["mode"]
        results.append(merge_run(probe_dir / mode))
        results.append(merge_run(probe_dir, "probe", read_probe_records, RESUME_KEYS))
    return results


def _first_id(pair: tuple[ProblemRecord, Problem]) -> str:
    return pair[0].id


def probe_chunk(chunk: Sequence[tuple[ProblemRecord, Problem]], turn: _ChallengeContext) -> list[ProbeRecord]:
    """The challenge, the second turn and the Clever Hans check for first-turn records; one record each."""
    config = turn.config
    records = []
    for first, problem in chunk:
        wrong, skipped = None, None
        if first.error:
            skipped = "backend error in the first turn"
        elif not first.attempts:
            skipped = "no first answer"
        elif needs_wrong_answer(config.challenge):
            wrong = plausible_wrong_answer(problem, turn.grader, config.seed, avoid=(first.answer,), pool=turn.pool)
            skipped = None if wrong else "no plausible wrong answer"
        records.append(ProbeRecord(problem.id, problem.benchmark, first.index, config.challenge, wrong, first,
                                   skipped=skipped))
    _second_turns([(r, p) for r, (_, p) in zip(records, chunk) if not r.skipped], turn)
    if config.clever_hans:
        _check_clever_hans([(r, p) for r, (_, p) in zip(records, chunk) if r.first.path == "pot" and r.first.correct],
                           turn.sandbox)
    return records


def second_prompt(problem: Problem, first: ProblemRecord, text: str, chat: bool) -> tuple[SinglePass, Any]:
    """The strategy of the first answer, and the conversation to send: first question, first answer, challenge.

    Built by ``build_prompt`` with the first exchange as the one prior turn, so chat messages and the
    Alpaca text are exactly what the model saw, plus the challenge (PoT keeps its program trigger).
    """
    last = first.attempts[-1]
    strategy = STRATEGIES[last.path]
    if not isinstance(strategy, SinglePass):
        raise ValueError(f"strategy {last.path!r} answers in several passes: the probe cannot re-ask it")
    return strategy, build_prompt(replace(problem, question=text), strategy.rationale,
                                  [Exemplar(problem.question, last.text.strip())], chat)


def _second_turns(asked: list[tuple[ProbeRecord, Problem]], turn: _ChallengeContext) -> None:
    if not asked:
        return
    prompts = [second_prompt(p, r.first, challenge_text(turn.config.challenge, r.wrong_answer),
                             turn.generator.chat) for r, p in asked]
    completions = turn.generator.generate([prompt for _, prompt in prompts], [1] * len(prompts))
    attempts: list[list] = [[] for _ in asked]
    for strategy in {id(s): s for s, _ in prompts}.values():  # one read (one sandbox batch) per strategy
        ks = [k for k, (s, _) in enumerate(prompts) if s is strategy and not completions[k].error]
        read = strategy.read([completions[k] for k in ks], [asked[k][1] for k in ks], turn.sandbox, turn.grader)
        for k, found in zip(ks, read):
            attempts[k] = found
    for (record, problem), (strategy, prompt), c, found in zip(asked, prompts, completions, attempts):
        second = SecondTurn(strategy.name, prompt, None, completion_tokens=c.completion_tokens)
        record.second = second
        if c.error:
            second.error, second.method = c.error, "backend error"
            continue
        second.attempt = found[0] if found else None
        second.answer = second.attempt.answer if second.attempt else None
        verdict = turn.grader.verdict(second.answer, problem)
        second.correct, second.method = verdict.correct, verdict.method
        if record.wrong_answer is not None:
            record.adopted = second.answer is not None and turn.grader.equal(second.answer, record.wrong_answer,
                                                                            problem)


def _check_clever_hans(correct_programs: list[tuple[ProbeRecord, Problem]], sandbox: Sandbox | None) -> None:
    if not correct_programs or sandbox is None:
        return
    items = []
    for record, problem in correct_programs:
        attempt = next(a for a in record.first.attempts if a.path == "pot" and a.answer == record.first.answer)
        items.append((problem.question, attempt.program or "", attempt.execution.stdout if attempt.execution else ""))
    for (record, _), verdict in zip(correct_programs, check_programs(items, sandbox)):
        record.clever_hans = verdict
