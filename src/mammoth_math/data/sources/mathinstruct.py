"""The published ``TIGER-Lab/MathInstruct`` (source, instruction, output) as a source, to re-verify and re-mix.

A row is PoT when its instruction carries the program trigger or its output is Python that prints. Its gold
is not published, so a row's own final answer (CoT) or the program's output (PoT) is what is re-checked:
PoT rows must run and print; CoT rows must state an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from mammoth_math.benchmarks.scan import (
    BadRecord,
    Scanned,
    open_records,
    rows_to_records,
    scan_json_array,
    scan_jsonl,
)
from mammoth_math.data.examples import Example, SourceResult
from mammoth_math.data.sources.rows import input_reject
from mammoth_math.prompts import POT_TRIGGER

_PROGRAM_RE = re.compile(r"^\s*(?:import |from |def |print\(|[a-z_]\w* = )", re.MULTILINE)


def is_program(instruction: str, output: str) -> bool:
    return POT_TRIGGER.strip() in instruction or (bool(_PROGRAM_RE.search(output)) and "print(" in output)


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """Read a local JSON or JSONL copy; ``hub:TIGER-Lab/MathInstruct`` loads it through ``datasets``."""
    result = SourceResult()
    by_line = not str(path).startswith("hub:") and not str(path).endswith(".json")  # a JSONL row's id is its line
    for item_id, rec in open_records(_scan(str(path)), lambda r: f"mathinstruct/{r.line if by_line else r.index}",
                                     ("source", "instruction", "output"), limit):
        if isinstance(rec, BadRecord):
            result.rejects.append(input_reject("mathinstruct", item_id, rec))
            continue
        instruction, output = str(rec.data["instruction"]), str(rec.data["output"])
        kind = "pot" if is_program(instruction, output) else "cot"
        if kind in types:
            question = instruction.replace(POT_TRIGGER.strip(), "").rstrip() if kind == "pot" else instruction
            result.examples.append(Example(f"mathinstruct:{rec.data['source']}", item_id, kind, question, output, "",
                                           "expression", None, {"original_source": rec.data["source"]}))
    return result


def _scan(path: str) -> Iterable[Scanned]:
    if path.startswith("hub:"):
        return rows_to_records(_hub_rows(path[4:]), path)
    return scan_json_array(path) if path.endswith(".json") else scan_jsonl(path)


def _hub_rows(name: str) -> Iterator[dict[str, Any]]:
    from datasets import load_dataset  # heavy; only for users online

    for row in load_dataset(name, split="train"):
        yield dict(row)
