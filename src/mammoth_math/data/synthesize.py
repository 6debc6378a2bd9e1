"""Synthesis through any OpenAI-compatible API (GPT-4's role in the paper): CoT, PoT and TIR rationales for seed
problems, n samples each, kept only when their answer equals the gold (PoT: run in the sandbox; TIR: every
block replayed in a sandbox session, and a trajectory showing an output its block does not print is rejected).

Requests go through the ``openai`` backend (concurrency, retries, several servers) under the shared response
cache (``backends/cache.py``, by default ``<out>/cache/``), so a rerun sends only what is missing. ``usage.json`` accounts tokens
and cost; ``accepted.jsonl`` joins a build through ``synthesis_cache``; ``rejects.jsonl`` says why the rest failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mammoth_math.backends.openai_api import OpenAIOptions
from mammoth_math.data.examples import Example, Reject, SeedProblem
from mammoth_math.data.teacher import PROMPTS, extract_program
from mammoth_math.data.tir import SessionRunner
from mammoth_math.data.verify import ProgramRunner, VerifyConfig, sandbox_runner, verify
from mammoth_math.files import iter_jsonl, write_json, write_jsonl

if TYPE_CHECKING:
    from mammoth_math.backends import Completion

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SynthesisConfig:
    model: str
    base_url: str | tuple[str, ...] = OpenAIOptions.base_url  # several: requests are spread over them
    types: tuple[str, ...] = ("cot", "pot")
    n: int = 1  # samples per problem and type
    temperature: float = 0.7
    max_new_tokens: int = 512
    concurrency: int = OpenAIOptions.concurrency
    usd_per_1k_prompt_tokens: float = 0.0
    usd_per_1k_completion_tokens: float = 0.0
    cache_dir: str | None = None  # the response cache; None: <out>/cache
    use_cache: bool = True
    shard: tuple[int, int] = (0, 1)  # (i, n): every n-th problem from the i-th, written to <out>/shard-i-of-n/

    def __post_init__(self) -> None:
        if unknown := [t for t in self.types if t not in PROMPTS]:
            raise ValueError(f"unknown rationale type(s) {', '.join(unknown)}; choose from {', '.join(PROMPTS)}")


@dataclass
class SynthesisUsage:
    requests: int = 0  # sent to the API in this run
    cached: int = 0  # answered from the cache
    api_errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    usd: float = 0.0
    accepted: int = 0
    rejected: int = 0
    reject_reasons: dict[str, int] = field(default_factory=dict)  # reason -> rows (output_mismatch, wrong_answer...)


def synthesize(problems: Sequence[SeedProblem], config: SynthesisConfig, out_dir: str | Path,
               run_programs: ProgramRunner | None = None, progress: bool = True,
               run_sessions: SessionRunner | None = None) -> SynthesisUsage:
    """Generate, cache, verify; write ``accepted.jsonl``, ``rejects.jsonl`` and ``usage.json`` under ``out_dir``.

    A shard writes under ``out_dir/shard-i-of-n/`` into the shared cache, so the unsharded run afterwards
    (what ``launch`` runs once every shard is done) finds every response there and only verifies and writes.
    """
    from mammoth_math.backends import GenerationRequest, make_backend

    index, count = config.shard
    out = Path(out_dir) if count == 1 else Path(out_dir) / f"shard-{index}-of-{count}"
    problems = problems[index::count]
    usage = SynthesisUsage()
    jobs = [(p, kind, PROMPTS[kind].format(question=p.question)) for p in problems for kind in config.types]
    requests = [GenerationRequest(prompt=({"role": "user", "content": prompt},), n=config.n,
                                  temperature=config.temperature, max_new_tokens=config.max_new_tokens)
                for _, _, prompt in jobs]
    cache_dir = (config.cache_dir or str(Path(out_dir) / "cache")) if config.use_cache else None
    backend = make_backend("openai", config.model, cache_dir=cache_dir, base_url=config.base_url,
                           concurrency=config.concurrency, endpoint="chat")
    marked = (backend.generate_marked(requests, progress) if cache_dir
              else [(c, False) for c in backend.generate(requests, progress)])
    backend.close()
    for done, hit in marked:
        if hit:
            usage.cached += 1
        else:  # only what was sent in this run costs tokens
            usage.requests += 1
            usage.prompt_tokens += done.prompt_tokens
            usage.completion_tokens += done.completion_tokens
    usage.usd = round(usage.prompt_tokens / 1000 * config.usd_per_1k_prompt_tokens
                      + usage.completion_tokens / 1000 * config.usd_per_1k_completion_tokens, 6)
    candidates, rejects = _candidates(jobs, [c for c, _ in marked])
    usage.api_errors = sum(1 for r in rejects if r.reason == "api_error")
    vconfig = VerifyConfig()
    accepted, failed = verify(candidates, run_programs or sandbox_runner(vconfig, progress), vconfig, progress,
                              run_sessions)
    rejects += [Reject(r.source, r.id, r.rationale_type, "synthesize", r.reason, r.detail) for r in failed]
    usage.accepted, usage.rejected = len(accepted), len(rejects)
    usage.reject_reasons = dict(sorted(Counter(r.reason for r in rejects).items()))
    write_jsonl(out / "accepted.jsonl", (e.to_dict() for e in accepted))
    write_jsonl(out / "rejects.jsonl", (r.to_dict() for r in rejects))
    write_json(out / "usage.json", asdict(usage))
    return usage


def _candidates(jobs, completions: list[Completion]) -> tuple[list[Example], list[Reject]]:
    candidates: list[Example] = []
    rejects: list[Reject] = []
    for (problem, kind, _), done in zip(jobs, completions):
        if done.error:
            rejects.append(Reject(problem.source, problem.id, kind, "synthesize", "api_error", done.error[:200]))
            continue
        for i, text in enumerate(done.texts):
            sample_id = f"{problem.id}#synth-{kind}-{i}"
            output = extract_program(text) if kind == "pot" else text.strip()
            if not output:
                rejects.append(Reject(problem.source, sample_id, kind, "synthesize",
                                      "no_program" if kind == "pot" else "empty", text[:200]))
                continue
            candidates.append(Example(problem.source, sample_id, kind, problem.question, output, problem.gold,
                                      problem.kind, problem.options, {"synthesized": True}))
    return candidates, rejects


def load_accepted(folder: str | Path) -> list[Example]:
    """The verified synthesized rows of a synthesis folder, as examples for a build."""
    rows = [obj for _, obj in iter_jsonl(Path(folder) / "accepted.jsonl")]
    return [Example(**{**r, "options": tuple(r["options"]) if r.get("options") else None}) for r in rows]
