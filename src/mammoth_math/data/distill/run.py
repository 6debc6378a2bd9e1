"""Rejection-sampled distillation: a teacher writes k CoT/PoT solutions per problem, verified ones are kept.

Top to bottom: read problems from any source adapter -> sample k per problem and type through any backend
(batched, under the response cache, each finished problem appended to ``samples.jsonl``, so a killed run
resumes where it stopped and gives the same rows) -> grade, label, filter (``filters``) -> write
``distilled.jsonl`` (rows of source ``distilled``, a builder source), ``report.json``, ``config.yaml``.
Run: ``mammoth-math data distill --config configs/data/distill-gsm8k.yaml --out runs/distill``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.data.build import read_problems, read_sources, write_config
from mammoth_math.data.config import BuildConfig
from mammoth_math.data.distill.config import DistillConfig, choose_prompt
from mammoth_math.data.distill.filters import Sampled, filter_samples
from mammoth_math.data.examples import SeedProblem
from mammoth_math.data.teacher import PROMPTS
from mammoth_math.data.verify import ProgramRunner, VerifyConfig, sandbox_runner
from mammoth_math.files import JsonlAppender, iter_jsonl, write_json, write_jsonl
from mammoth_math.prompts import build_prompt, stop_strings

log = logging.getLogger(__name__)


@dataclass
class DistillResult:
    out_dir: str
    rows: int
    report: dict[str, Any]


def read_distill_problems(config: DistillConfig) -> list[SeedProblem]:
    """Every distinct problem the configured sources hold, with or without a rationale, in source order."""
    build = BuildConfig(sources=config.sources, train_dir=config.train_dir, eval_dir=None)
    examples, _ = read_sources(build)
    seen: dict[str, SeedProblem] = {}
    for e in examples:
        seen.setdefault(e.id, SeedProblem(e.source, e.id, e.question, e.gold, e.kind, e.options))
    for p in read_problems(build):
        seen.setdefault(p.id, p)
    return list(seen.values())


def distill(config: DistillConfig, out_dir: str | Path, backend: Any = None,
            run_programs: ProgramRunner | None = None, progress: bool = True) -> DistillResult:
    """Sample (resuming what ``out_dir`` holds), verify and filter; see the module docstring.

    ``backend`` (any :class:`~mammoth_math.backends.Backend`) replaces the configured one; the cache wraps it either way.
    """
    out = Path(out_dir)
    config = choose_prompt(config)
    problems = read_distill_problems(config)
    if not problems:
        raise ValueError("distill: the configured sources hold no problems (check train_dir and the sources' paths)")
    sampled, errors = sample(problems, config, out, backend, progress)
    vconfig = VerifyConfig(config.timeout, config.memory_mb, config.workers)
    result = filter_samples(sampled, config, run_programs or sandbox_runner(vconfig, progress))
    write_jsonl(out / "distilled.jsonl", (e.to_dict() for e in result.rows))
    report = {"teacher": config.teacher_name, "rows": len(result.rows),
              "problems": {"read": len(problems), "sampled": len(sampled) // len(config.types),
                           "backend_errors": errors, **result.problems},
              "label_accuracy": result.label_accuracy, "samples": result.counts}
    write_json(out / "report.json", report)
    write_config(config, out)
    log.info("distilled %d rows from %d problems", len(result.rows), len(problems))
    return DistillResult(str(out), len(result.rows), report)


def sample(problems: Sequence[SeedProblem], config: DistillConfig, out: Path, backend: Any = None,
           progress: bool = True) -> tuple[list[Sampled], int]:
    """k responses per problem and type, appended to ``out/samples.jsonl`` one problem per line; problems
    already there are not asked again. Returns every stored problem's samples and the problems whose request
    failed in the backend (not stored: the next run asks again; never scored as wrong)."""
    from mammoth_math.backends import make_backend
    from mammoth_math.backends.cache import CachingBackend

    path = out / "samples.jsonl"
    done = {obj["problem"]["id"] for _, obj in iter_jsonl(path, skip_torn_tail=True)} if path.exists() else set()
    cache_dir = config.cache_dir or str(out / "cache")
    if backend is None:
        options = {"base_url": config.base_url, "endpoint": "chat"} if config.backend == "openai" else {}
        teacher = make_backend(config.backend, config.model, cache_dir=cache_dir, **options)
    else:
        teacher = CachingBackend(backend, cache_dir)
    errors = 0
    try:
        with JsonlAppender(path) as appender:
            for start in range(0, len(problems), config.batch_size):
                chunk = problems[start:start + config.batch_size]
                if all(p.id in done for p in chunk):
                    continue
                # The whole chunk is asked again on a resume (answered from the cache when it was stored), so
                # every batch is formed, seeded and sampled exactly as in an uninterrupted run.
                seed = config.seed * 100_003 + start // config.batch_size
                completions = teacher.generate([_request(p, kind, config, seed) for p in chunk for kind in config.types],
                                               progress)
                for i, p in enumerate(chunk):
                    got = completions[i * len(config.types):(i + 1) * len(config.types)]
                    if p.id in done:
                        continue
                    if any(c.error for c in got):
                        errors += 1
                        log.warning("backend failed for %s: %s", p.id, next(c.error for c in got if c.error))
                        continue
                    appender.write({"problem": _problem_dict(p), "texts": {kind: c.texts
                                                                           for kind, c in zip(config.types, got)}})
                    done.add(p.id)
                appender.sync()
    finally:
        teacher.close()
    return _read_samples(path, config.types), errors


def _request(problem: SeedProblem, kind: str, config: DistillConfig, seed: int):
    from mammoth_math.backends import GenerationRequest

    if config.prompt == "mammoth":
        prompt: Any = build_prompt(problem, kind)
        stop = stop_strings()
    else:
        prompt, stop = ({"role": "user", "content": PROMPTS[kind].format(question=problem.question)},), ()
    return GenerationRequest(prompt=prompt, max_new_tokens=config.max_new_tokens, temperature=config.temperature,
                             top_p=config.top_p, n=config.k, stop=stop, seed=seed)


def _problem_dict(p: SeedProblem) -> dict[str, Any]:
    return {"source": p.source, "id": p.id, "question": p.question, "gold": p.gold, "kind": p.kind,
            "options": list(p.options) if p.options else None}


def _read_samples(path: Path, types: Sequence[str]) -> list[Sampled]:
    found = []
    for _, obj in iter_jsonl(path, skip_torn_tail=True):
        raw = obj["problem"]
        problem = SeedProblem(**{**raw, "options": tuple(raw["options"]) if raw.get("options") else None})
        found += [Sampled(problem, kind, tuple(obj["texts"][kind])) for kind in types if kind in obj["texts"]]
    return found

