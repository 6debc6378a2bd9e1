"""Step labels for a process reward model, the Math-Shepherd way (Wang et al. 2024, section 3.3).

Each graded CoT sample of an evaluation run (``eval --samples n`` records, read as JSON) is split into steps
(``prompts.split_steps``); from each step's prefix ``k`` completions are sampled through any backend (the one
generation contract), and the step is good when at least one of them reaches the gold (hard estimation),
graded through the one ``grade`` entry. The last step needs no completions: its label is the sample's own
verdict. Output: TRL's stepwise rows, ``{"prompt", "completions": [steps], "labels": [bools]}`` plus ``id``,
``sample`` and the ``separator``, one line per sample, appended as each finishes, so a rerun skips the done ones.
PoT and TIR samples are left out: completing a program prefix needs the sandbox to grade.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mammoth_math.backends.base import Backend, GenerationRequest
from mammoth_math.files import JsonlAppender, iter_jsonl, require_fields
from mammoth_math.grading import grade
from mammoth_math.prompts import STEP_SEPARATOR, split_steps, stop_strings
from mammoth_math.progress import bar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepLabelConfig:
    k: int = 4  # completions per step prefix (Math-Shepherd: N = 8)
    separator: str = STEP_SEPARATOR
    max_new_tokens: int = 512
    temperature: float = 0.7
    seed: int = 0
    grading: str = "strict"


@dataclass(frozen=True)
class _Sample:
    record: dict[str, Any]
    sample: int
    steps: list[str]
    correct: bool


def _samples(path: str | os.PathLike, config: StepLabelConfig) -> Iterator[_Sample]:
    for line, obj in iter_jsonl(path, skip_torn_tail=True):
        require_fields(obj, ("id", "question", "gold", "kind", "prompt", "attempts"), path, line)
        if obj.get("error"):
            continue
        for attempt in obj["attempts"]:
            steps = split_steps(attempt.get("text") or "", config.separator)
            if attempt.get("path", "cot") == "cot" and attempt.get("correct") is not None and steps:
                yield _Sample(obj, int(attempt.get("sample", 0)), steps, bool(attempt["correct"]))


def _continued(prompt: str | list[dict[str, str]], prefix: str) -> str | tuple[dict[str, str], ...]:
    """The sample's own prompt with its first steps written: text appended, or a partial assistant message."""
    if isinstance(prompt, str):
        return prompt + prefix
    return (*(dict(m) for m in prompt), {"role": "assistant", "content": prefix})


def _requests(item: _Sample, config: StepLabelConfig) -> list[GenerationRequest]:
    prompt, sep = item.record["prompt"], config.separator
    stop = () if not isinstance(prompt, str) else stop_strings()
    # a space after the Alpaca "### Response:" is part of the sample's own text; steps were stripped
    lead = " " if isinstance(prompt, str) and prompt.endswith(":") else ""
    return [GenerationRequest(_continued(prompt, lead + sep.join(item.steps[:i + 1]) + sep), config.max_new_tokens,
                              config.temperature, n=config.k, stop=stop, seed=config.seed + i)
            for i in range(len(item.steps) - 1)]


def label_steps(records: str | os.PathLike, backend: Backend, out: str | os.PathLike,
                config: StepLabelConfig = StepLabelConfig(), progress: bool = False) -> int:
    """Label every step of every graded CoT sample in ``records`` into ``out``; returns the rows written now.
    A sample whose completions a backend error cut short is skipped (and logged), to be labelled by a rerun."""
    done = ({(str(o["id"]), int(o["sample"])) for _, o in iter_jsonl(out, skip_torn_tail=True)}
            if Path(out).exists() else set())
    todo = [s for s in _samples(records, config) if (str(s.record["id"]), s.sample) not in done]
    written = 0
    with JsonlAppender(out) as sink, bar("step labels", len(todo), progress) as b:
        for item in todo:
            completions = backend.generate(_requests(item, config)) if len(item.steps) > 1 else []
            if any(c.error for c in completions):
                log.warning("%s sample %d: backend error, left for a rerun", item.record["id"], item.sample)
                continue
            prefixes = [config.separator.join(item.steps[:i + 1]) + config.separator for i in range(len(completions))]
            labels = [any(_reaches_gold(prefix + text, item.record, config) for text in c.texts)
                      for prefix, c in zip(prefixes, completions)] + [item.correct]
            sink.write({"id": item.record["id"], "sample": item.sample, "prompt": item.record["question"],
                        "completions": item.steps, "labels": labels, "separator": config.separator})
            written += 1
            b.advance()
    return written


def _reaches_gold(text: str, record: dict[str, Any], config: StepLabelConfig) -> bool:
    return grade(text, str(record["gold"]), record["kind"], record.get("options"), config.grading).correct
