"""Export: Alpaca JSON (instruction, input, output), JSONL, Parquet and a Hugging Face ``datasets`` folder.

Every row keeps ``source`` and ``rationale_type``; a PoT (TIR) instruction carries its trigger exactly as the
evaluation prompt does (``prompts.with_pot_trigger``, ``with_tir_trigger``). All writers are atomic and
deterministic.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mammoth_math.data.examples import Example
from mammoth_math.files import atomic_writer, dumps, writable, write_json, write_jsonl
from mammoth_math.prompts import with_pot_trigger, with_tir_trigger

FORMATS: tuple[str, ...] = ("alpaca", "jsonl", "parquet", "hf")


DISTILLED_FIELDS = ("teacher", "pass_rate", "label")  # kept per row of a distilled source


def to_row(example: Example) -> dict[str, Any]:
    """The exported row: Alpaca's three fields plus provenance."""
    trigger = {"pot": with_pot_trigger, "tir": with_tir_trigger}.get(example.rationale_type)
    instruction = trigger(example.question) if trigger else example.question
    return {"instruction": instruction, "input": "", "output": example.output, "source": example.source,
            "rationale_type": example.rationale_type, "id": example.id,
            **{k: example.meta[k] for k in DISTILLED_FIELDS if k in example.meta}}


def export(examples: Sequence[Example], out_dir: str | Path, formats: Sequence[str] = FORMATS) -> dict[str, str]:
    """Write ``examples`` in each format under ``out_dir``; returns format -> path written."""
    out = Path(out_dir)
    rows = [to_row(e) for e in examples]
    written: dict[str, str] = {}
    for fmt in formats:
        if fmt == "alpaca":
            write_json(out / "alpaca.json", [{k: r[k] for k in ("instruction", "input", "output", "source",
                                                                "rationale_type")} for r in rows])
            written[fmt] = str(out / "alpaca.json")
        elif fmt == "jsonl":
            write_jsonl(out / "data.jsonl", rows)
            written[fmt] = str(out / "data.jsonl")
        elif fmt == "parquet":
            _write_parquet(rows, out / "data.parquet")
            written[fmt] = str(out / "data.parquet")
        elif fmt == "hf":
            _write_hf(rows, out / "hf")
            written[fmt] = str(out / "hf")
        else:
            raise ValueError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    return written


def _table(rows: list[dict[str, Any]]):
    import pyarrow as pa

    names = ("instruction", "input", "output", "source", "rationale_type", "id")
    # Arrow stores UTF-8: a lone surrogate (a source file's "\ud800") becomes U+FFFD, as JSON writers escape it
    columns = {n: pa.array([writable(r[n]) for r in rows], type=pa.string()) for n in names}
    for n in DISTILLED_FIELDS:  # only in a build with distilled rows; null in the other rows
        if any(n in r for r in rows):
            columns[n] = pa.array([r.get(n) for r in rows], type=pa.float64() if n == "pass_rate" else pa.string())
    return pa.table(columns)


def _write_parquet(rows: list[dict[str, Any]], path: Path) -> None:
    import pyarrow.parquet as pq

    with atomic_writer(path, "wb") as f:
        pq.write_table(_table(rows), f)


def _write_hf(rows: list[dict[str, Any]], folder: Path) -> None:
    """``Dataset.save_to_disk``, with the random in-memory fingerprint replaced by a hash of the rows."""
    from datasets import Dataset

    Dataset(_table(rows)).save_to_disk(str(folder))
    state_path = folder / "state.json"
    state = json.loads(state_path.read_text())
    digest = hashlib.sha256(dumps(rows).encode()).hexdigest()[:16]
    state["_fingerprint"] = digest
    write_json(state_path, state)
