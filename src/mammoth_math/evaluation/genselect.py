"""GenSelect (NeMo-Skills, OpenMathReasoning): a model reads a problem's k candidate solutions and names one.

``mammoth-math genselect OUT --k 4 --model M --backend hf|openai|vllm`` asks the selector (the evaluated model
or any other, through any backend behind the response cache) once per problem and stores the pick in the record
(``selections["genselect@k"]``), so ``report --select genselect`` scores it with no backend. Rules:
- the candidates are the first k samples with an answer, shown by the final part of their text
  (``FINAL_CHARS``, where the answer sits) and numbered 0, 1, ... in sample order;
- no answered sample: no pick and no request; answers that all grade as equal: the majority pick, no request;
- the reply must end with one line ``Judgment: <number>`` naming a shown candidate (strict: nothing after it,
  one number); anything else is recorded as a failure with the raw reply, and ``selection`` then falls back
  to the majority pick; a backend fault stores nothing (a re-run asks again). Greedy decoding, so a re-run
  reads the cache. Records that have a pick are skipped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.backends import Backend, GenerationRequest
from mammoth_math.evaluation.grader import Grader
from mammoth_math.evaluation.metrics import group_answers
from mammoth_math.evaluation.records import ProblemRecord, read_problem_records, records_path
from mammoth_math.evaluation.sampled import final_attempts, problem_of
from mammoth_math.evaluation.selection import Candidate, answer_of, genselect_key, majority_pick
from mammoth_math.files import InputError, read_json, write_jsonl

log = logging.getLogger(__name__)

FINAL_CHARS = 600  # of each candidate's text shown to the selector
MAX_REPLY = 2000  # characters of a reply kept in the record

_JUDGMENT = re.compile(r"\n?Judgment:[ \t]*(\d+)[ \t]*\Z")

_INSTRUCTIONS = ("You will be given a math problem and {count} candidate solutions (the final part of each). "
                 "Compare them and decide which one is correct. End your reply with exactly one line "
                 "'Judgment: N', where N is the number of the solution you choose (0 to {last}).")


def genselect_prompt(question: str, texts: Sequence[str]) -> str:
    """The selector's request: instructions, the problem, then each candidate's final part, numbered."""
    shown = "\n\n".join(f"Solution {i}:\n...{t[-FINAL_CHARS:]}" if len(t) > FINAL_CHARS else f"Solution {i}:\n{t}"
                        for i, t in enumerate(texts))
    return (_INSTRUCTIONS.format(count=len(texts), last=len(texts) - 1)
            + f"\n\nProblem:\n{question}\n\n{shown}\n\n")


def parse_pick(reply: str, count: int) -> int | None:
    """The number of a reply's closing ``Judgment: N`` line when 0 <= N < count; None for anything else."""
    found = _JUDGMENT.search(reply.rstrip())
    if found is None:
        return None
    index = int(found.group(1))
    return index if index < count else None


@dataclass(frozen=True)
class GenselectResult:
    dataset: str
    asked: int  # requests sent (or read from the cache)
    skipped: int  # no answer, or all answers equal: no request
    failures: int  # replies that named no shown candidate, and backend faults


def genselect_run(run_dir: str | Path, backend: Backend, k: int, max_new_tokens: int = 512,
                  chat: bool | None = None) -> list[GenselectResult]:
    """Pick among the first ``k`` samples of every record of the run in ``run_dir`` that has no pick at k yet;
    each set's file is rewritten atomically. ``chat`` (default: when the backend has a chat template) sends the
    request as one user message."""
    run_dir = Path(run_dir)
    meta = read_json(run_dir / "run.json") if (run_dir / "run.json").exists() else None
    if meta is None:
        raise InputError(run_dir, "no run here (run.json): give OUT/<run> of eval or import")
    chat = bool(backend.chat_template()) if chat is None else chat
    results = []
    for dataset, bench in meta.get("benchmarks", {}).items():
        path = records_path(run_dir, dataset)
        if path.exists():
            records = read_problem_records(path)
            results.append(_select_set(dataset, records, Grader(meta.get("grading", "strict"), bench.get("rel_tol")),
                                       backend, k, max_new_tokens, chat))
            write_jsonl(path, (r.to_dict() for r in records))
    return results


def _select_set(dataset: str, records: list[ProblemRecord], grader: Grader, backend: Backend, k: int,
                max_new_tokens: int, chat: bool) -> GenselectResult:
    key = genselect_key(k)
    todo: list[tuple[ProblemRecord, list[int], GenerationRequest]] = []
    skipped = 0
    for record in records:
        if key in record.selections or record.error is not None:
            continue
        samples = final_attempts(record)[:k]
        shown = [i for i, a in enumerate(samples) if answer_of(a) is not None]
        problem = problem_of(record)

        def equal(a: str, b: str) -> bool:
            return grader.equal(a, b, problem)

        classes = {c for c in group_answers([answer_of(samples[i]) for i in shown], equal)}
        if len(classes) < 2:  # nothing to choose between
            pick = majority_pick([Candidate(answer_of(a)) for a in samples], equal)
            record.selections[key] = {"pick": pick, "skipped": "no answer" if not shown else "all agree"}
            skipped += 1
            continue
        prompt: Any = genselect_prompt(record.question, [samples[i].text for i in shown])
        if chat:
            prompt = ({"role": "user", "content": prompt},)
        todo.append((record, shown, GenerationRequest(prompt, max_new_tokens, 0.0)))
    failures = 0
    completions = backend.generate([request for _, _, request in todo]) if todo else []
    model = backend.info().get("model")
    for (record, shown, _), completion in zip(todo, completions):
        if completion.error:  # a backend fault is no pick: nothing is stored, so a re-run asks again
            log.warning("%s: genselect failed (%s); a re-run asks again", record.id, completion.error)
            failures += 1
            continue
        reply = completion.texts[0]
        index = parse_pick(reply, len(shown))
        failure = None if index is not None else "no valid 'Judgment: N' line"
        failures += failure is not None
        record.selections[key] = {"pick": None if index is None else shown[index], "model": model,
                                               "reply": reply[-MAX_REPLY:], "failure": failure}
    log.info("%s: genselect@%d asked %d, skipped %d, failed %d", dataset, k, len(todo), skipped, failures)
    return GenselectResult(dataset, len(todo), skipped, failures)
