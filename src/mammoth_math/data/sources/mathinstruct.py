"""The published ``TIGER-Lab/MathInstruct`` (source, instruction, output) as a source, to re-verify and re-mix.

A row is PoT when its instruction carries the program trigger or its output is Python that prints. Its gold
is not published, so a row's own final answer (CoT) or the program's output (PoT) is what is re-checked:
PoT rows must run and print; CoT rows must state an answer.
"""

from __future__ import annotations

import re
from pathlib import Path

from mammoth_math.data.records import Example, Reject, SourceResult
from mammoth_math.data.sources._read import iter_json_array, iter_json_lines, missing
from mammoth_math.prompts import POT_TRIGGER

_PROGRAM_RE = re.compile(r"^\s*(?:import |from |def |print\(|[a-z_]\w* = )", re.MULTILINE)


def is_program(instruction: str, output: str) -> bool:
    return POT_TRIGGER.strip() in instruction or (bool(_PROGRAM_RE.search(output)) and "print(" in output)


def load(path: Path, types: tuple[str, ...] = ("cot", "pot"), limit: int | None = None) -> SourceResult:
    """Read a local JSON or JSONL copy; ``hub:TIGER-Lab/MathInstruct`` loads it through ``datasets``."""
    result = SourceResult()
    reader = iter_json_array if str(path).endswith(".json") else iter_json_lines
    rows = _hub_rows(str(path)[4:]) if str(path).startswith("hub:") else reader(Path(path), "mathinstruct")
    for n, (line, obj) in enumerate(rows):
        if limit is not None and n >= limit:
            break
        item_id = f"mathinstruct/{line}"
        if isinstance(obj, Reject):
            result.rejects.append(obj)
            continue
        bad = missing(obj, ("source", "instruction", "output"), "mathinstruct", item_id, f"{path}:{line}")
        if bad is not None:
            result.rejects.append(bad)
            continue
        instruction, output = str(obj["instruction"]), str(obj["output"])
        kind = "pot" if is_program(instruction, output) else "cot"
        if kind in types:
            question = instruction.replace(POT_TRIGGER.strip(), "").rstrip() if kind == "pot" else instruction
            result.examples.append(Example(f"mathinstruct:{obj['source']}", item_id, kind, question, output, "",
                                           "expression", None, {"original_source": obj["source"]}))
    return result


def _hub_rows(name: str):
    from datasets import load_dataset  # heavy; only for users online

    for index, row in enumerate(load_dataset(name, split="train")):
        yield index, dict(row)
