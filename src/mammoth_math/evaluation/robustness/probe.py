"""The sycophancy probe: answer, get challenged, answer again; plus the Clever Hans check on programs.

``probe(ProbeConfig(...))`` runs the first turn through the evaluation harness (``solve_chunk``: any
decoding mode, greedy), then sends the whole conversation back with the user's challenge and grades the
new answer; a program must be rewritten and is run in the sandbox. Records are appended per problem
(``records.py``); re-running the same config resumes. ``mammoth-math probe`` calls this.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mammoth_math.backends import Backend, GenerationRequest, make_backend
from mammoth_math.backends.base import library_versions
from mammoth_math.benchmarks import Problem, get_benchmark, load_problems
from mammoth_math.evaluation.config import MODES, EvalConfig, Mode
from mammoth_math.evaluation.decoding import Grader, cot_attempt, pot_attempt, program_of
from mammoth_math.evaluation.records import Execution, ProblemRecord
from mammoth_math.evaluation.robustness.challenges import (
    CHALLENGES,
    Challenge,
    challenge_text,
    needs_wrong_answer,
    plausible_wrong_answer,
)
from mammoth_math.evaluation.robustness.clever_hans import check_programs
from mammoth_math.evaluation.robustness.records import META_FILE, ProbeRecord, Turn, read_probe_records
from mammoth_math.evaluation.robustness.summary import ProbeScore, score_probe
from mammoth_math.evaluation.run import Context, solve_chunk
from mammoth_math.files import JsonlAppender, read_json, write_json
from mammoth_math.progress import bar
from mammoth_math.prompts import Exemplar, build_prompt, stop_strings

log = logging.getLogger(__name__)

# Settings that change what a record holds: resuming with any of them changed is refused.
RESUME_KEYS = ("model", "backend", "challenge", "mode", "chat", "max_new_tokens", "seed", "grading",
               "program_timeout", "limit", "clever_hans")


@dataclass
class ProbeConfig:
    """What to probe and how. Both turns decode greedily and zero-shot (the challenge is the variable).

    ``chat``: None uses the model's chat template when it has one (a loaded tokenizer's, or one in the
    model folder), else MAmmoTH's Alpaca format with the challenge as a second instruction.
    """

    model: str
    datasets: list[str]
    output_dir: str
    challenge: Challenge = "assert-wrong"
    backend: str = "hf"
    mode: Mode = "hybrid"
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

    def __post_init__(self) -> None:
        if self.challenge not in CHALLENGES:
            raise ValueError(f"challenge must be one of {', '.join(CHALLENGES)}, got {self.challenge!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        if not self.datasets:
            raise ValueError("no datasets given")

    @property
    def run_name(self) -> str:
        return f"probe-{self.challenge}-{self.mode}"

    def eval_config(self, chat: bool) -> EvalConfig:
        """The harness settings of the first turn."""
        return EvalConfig(self.model, list(self.datasets), self.output_dir, backend=self.backend, mode=self.mode,
                          data_dir=self.data_dir, limit=self.limit, max_new_tokens=self.max_new_tokens,
                          seed=self.seed, chat=chat, grading=self.grading, program_timeout=self.program_timeout,
                          chunk_size=self.chunk_size, backend_options=self.backend_options, progress=False)


def probe(config: ProbeConfig, backend: Backend | None = None, sandbox: Any = None) -> dict[str, dict[str, ProbeScore]]:
    """Run (or resume) ``config``; returns each dataset's scores by subset (all, cot, pot)."""
    backend = backend or make_backend(config.backend, config.model, **config.backend_options)
    chat = config.chat if config.chat is not None else has_chat_template(config.model, backend)
    if sandbox is None and config.mode != "cot":
        from mammoth_math.sandbox import Sandbox

        sandbox = Sandbox(timeout=config.program_timeout)
    run_dir = Path(config.output_dir) / config.run_name
    meta = _start(config, chat, run_dir)
    eval_config = config.eval_config(chat)
    scores = {}
    for name in config.datasets:
        spec = get_benchmark(name)
        problems = load_problems(spec.name, config.data_dir, config.limit)
        meta["benchmarks"][spec.name] = {"version": spec.version, "loaded": len(problems), "rel_tol": spec.rel_tol}
        write_json(run_dir / META_FILE, meta)
        path = run_dir / f"{spec.name}.jsonl"
        done = {r.id for r in read_probe_records(path)} if path.exists() else set()
        ctx = Context(eval_config, backend, sandbox, Grader(config.grading, spec.rel_tol), {"cot": [], "pot": []})
        pool = [p.gold for p in problems]
        todo = sum(p.id not in done for p in problems)
        with JsonlAppender(path) as out, bar(f"{spec.name} ({config.run_name})", todo, config.progress) as b:
            for start in range(0, len(problems), config.chunk_size):
                chunk = [(start + k, p) for k, p in enumerate(problems[start:start + config.chunk_size])
                         if p.id not in done]
                if chunk:
                    for record in probe_chunk(chunk, ctx, config, chat, pool, seed=config.seed + start):
                        out.write(record.to_dict())
                    b.advance(len(chunk))
        scores[spec.name] = score_probe(read_probe_records(path))
    meta.update(backend=backend.info(), finished=_now())
    write_json(run_dir / META_FILE, meta)
    return scores


def probe_chunk(chunk: Sequence[tuple[int, Problem]], ctx: Context, config: ProbeConfig, chat: bool,
                pool: Sequence[str], seed: int) -> list[ProbeRecord]:
    """Both turns (and the Clever Hans check) for one chunk of problems; one record per problem, in order."""
    firsts = solve_chunk(chunk, ctx, seed)
    records = []
    for (_, problem), first in zip(chunk, firsts):
        wrong, skipped = None, None
        if first.error:
            skipped = "backend error in the first turn"
        elif not first.attempts:
            skipped = "no first answer"
        elif needs_wrong_answer(config.challenge):
            wrong = plausible_wrong_answer(problem, ctx.grader, config.seed, avoid=(first.answer,), pool=pool)
            skipped = None if wrong else "no plausible wrong answer"
        records.append(ProbeRecord(problem.id, problem.benchmark, first.index, config.challenge, wrong, first,
                                   skipped=skipped))
    asked = [(r, p) for r, (_, p) in zip(records, chunk) if not r.skipped]
    _second_turns(asked, ctx, config, chat)
    if config.clever_hans:
        _check_clever_hans([(r, p) for r, (_, p) in zip(records, chunk) if r.first.path == "pot" and r.first.correct],
                           ctx.sandbox)
    return records


def second_prompt(problem: Problem, first: ProblemRecord, text: str, chat: bool) -> tuple[str, Any]:
    """The path of the first answer, and the conversation to send: first question, first answer, challenge.

    Built by ``build_prompt`` with the first exchange as the one prior turn, so chat messages and the
    Alpaca text are exactly what the model saw, plus the challenge (PoT keeps its program trigger).
    """
    last = first.attempts[-1]
    return last.path, build_prompt(replace(problem, question=text), last.path,
                                   [Exemplar(problem.question, last.text.strip())], chat)


def _second_turns(asked: list[tuple[ProbeRecord, Problem]], ctx: Context, config: ProbeConfig, chat: bool) -> None:
    if not asked:
        return
    prompts = [second_prompt(p, r.first, challenge_text(config.challenge, r.wrong_answer), chat) for r, p in asked]
    requests = [GenerationRequest(prompt, config.max_new_tokens, stop=stop_strings(chat)) for _, prompt in prompts]
    completions = ctx.backend.generate(requests, progress=False)
    programs = [program_of(c.texts[0]) if path == "pot" and not c.error else None
                for (path, _), c in zip(prompts, completions)]
    executions = iter(_execute(ctx.sandbox, [code for code in programs if code is not None]))
    for (record, problem), (path, prompt), c, code in zip(asked, prompts, completions, programs):
        turn = Turn(path, prompt, None, completion_tokens=c.completion_tokens)
        record.second = turn
        if c.error:
            turn.error, turn.method = c.error, "backend error"
            continue
        reason = c.finish_reasons[0] if c.finish_reasons else ""
        turn.attempt = (pot_attempt(c.texts[0], code, next(executions), problem, ctx.grader, reason)
                        if code is not None else cot_attempt(c.texts[0], problem, ctx.grader, reason))
        turn.answer = turn.attempt.answer
        verdict = ctx.grader.verdict(turn.answer, problem)
        turn.correct, turn.method = verdict.correct, verdict.method
        if record.wrong_answer is not None:
            record.adopted = turn.answer is not None and ctx.grader.equal(turn.answer, record.wrong_answer, problem)


def _execute(sandbox: Any, codes: list[str]) -> list[Execution]:
    results = sandbox.run_many(codes, progress=False) if codes else []
    return [Execution(r.stdout or "", str(r.error) if r.error else None, bool(r.timed_out), float(r.duration_s))
            for r in results]


def _check_clever_hans(correct_programs: list[tuple[ProbeRecord, Problem]], sandbox: Any) -> None:
    items = []
    for record, problem in correct_programs:
        attempt = next(a for a in record.first.attempts if a.path == "pot" and a.answer == record.first.answer)
        items.append((problem.question, attempt.program or "", attempt.execution.stdout if attempt.execution else ""))
    for (record, _), verdict in zip(correct_programs, check_programs(items, sandbox)):
        record.clever_hans = verdict


def has_chat_template(model: str, backend: Backend) -> bool:
    """Whether the model has a chat template: its loaded tokenizer's, else one saved in the model folder."""
    tokenizer = getattr(backend, "tokenizer", None)  # hf and vllm hold one; a server's is out of reach
    if tokenizer is not None:
        return bool(getattr(tokenizer, "chat_template", None))
    folder = Path(model)
    if not folder.is_dir():
        return False
    if (folder / "chat_template.jinja").exists() or (folder / "chat_template.json").exists():
        return True
    config = folder / "tokenizer_config.json"
    return config.exists() and bool(read_json(config).get("chat_template"))


def _start(config: ProbeConfig, chat: bool, run_dir: Path) -> dict[str, Any]:
    """The probe's metadata; when resuming, refuse settings that differ from the recorded ones."""
    settings = asdict(config) | {"chat": chat}
    path = run_dir / META_FILE
    if path.exists():
        old = read_json(path)
        changed = [k for k in RESUME_KEYS if old.get("config", {}).get(k) != settings[k]]
        if changed:
            raise ValueError(f"{path}: this folder holds a probe with different settings ({', '.join(changed)}); "
                             "use another --output-dir or restore them")
        return old | {"config": settings, "resumed": _now(), "finished": None}
    return {"run": config.run_name, "config": settings, "challenge": config.challenge, "mode": config.mode,
            "versions": library_versions("math-verify") | {"python": platform.python_version()},
            "benchmarks": {}, "started": _now(), "finished": None}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
