"""Training rows in, token ids with the completion-only mask out.

Rows are Alpaca records (``instruction``, optional ``input``, ``output``): the data builder's export, any
Alpaca JSON/JSONL, or a hub data set. The prompt is :func:`mammoth_math.prompts.alpaca_prompt` exactly; the
response and EOS are trained, the prompt is masked (-100). In a TIR response the sandbox's output is masked
too (:func:`response_pieces`): the model must learn to write ```output and stop, never to predict what the
tool prints. Examples longer than ``max_length`` are dropped (counted) or reported, never cut: a truncated
program teaches the model to stop mid-program.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mammoth_math.files import InputError, check_finished, iter_jsonl, read_json, require_fields
from mammoth_math.prompts import CLOSING_FENCE, OUTPUT_FENCE, alpaca_prompt

log = logging.getLogger(__name__)

IGNORE = -100
REQUIRED = ("instruction", "output")
# An output block's content and closing fence: from after "```output\n" to after the "```\n" that closes it at
# the start of a line (or to the end of the text, for a block that never closes).
_TOOL_OUTPUT = re.compile(re.escape(OUTPUT_FENCE) + r"(.*?(?:^" + re.escape(CLOSING_FENCE) + r"|\Z))", re.S | re.M)


@dataclass(frozen=True)
class AlpacaRow:
    instruction: str
    input: str
    output: str
    where: str  # "file:line" for messages


@dataclass
class EncodeStats:
    """What encoding did to the rows: counts and token totals, for the log and the dry run."""

    rows: int = 0
    kept: int = 0
    dropped_overlong: int = 0
    prompt_tokens: int = 0
    response_tokens: int = 0  # trained: the response and EOS
    tool_output_tokens: int = 0  # masked inside a TIR response's output blocks
    longest: int = 0
    overlong_examples: list[str] = field(default_factory=list)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.response_tokens + self.tool_output_tokens


def load_rows(sources: Sequence[str]) -> list[AlpacaRow]:
    """Read Alpaca rows from local JSON/JSONL files or hub data set ids (a source that is no local path)."""
    if not sources:
        raise InputError("<config>", "no training data given", field="data")
    rows: list[AlpacaRow] = []
    for source in sources:
        path = Path(source)
        if path.exists():
            check_finished(path.parent)  # a file inside an unfinished build
            rows.extend(_rows_from_file(path))
        elif _looks_like_a_file(source):
            if not path.parent.is_dir():
                check_finished(path.parent)  # says so when the build that should have made it was killed
            raise InputError(path, "no such file (data); `mammoth-math data build --out DIR` writes DIR/data.jsonl")
        else:
            rows.extend(_rows_from_hub(source))
    return rows


def _looks_like_a_file(source: str) -> bool:
    """A hub id is ``org/name``; a path has a file suffix, starts like a path or has more parts."""
    return Path(source).suffix in (".json", ".jsonl", ".parquet") or source.startswith((".", "/", "~")) \
        or source.count("/") != 1


def _rows_from_file(path: Path) -> list[AlpacaRow]:
    if path.suffix == ".json":
        data = read_json(path)
        if not isinstance(data, list):
            raise InputError(path, "expected a JSON list of Alpaca records")
        numbered = [(None, obj) for obj in data]
    else:
        numbered = list(iter_jsonl(path))
    rows = []
    for index, (line, obj) in enumerate(numbered):
        where_line = line if line is not None else index + 1  # JSON list: the record's 1-based index
        if not isinstance(obj, dict):
            raise InputError(path, "expected an object", line=where_line)
        rows.append(_row(obj, str(path), where_line))
    return rows


def _row(obj: dict, path: str, line: int | None) -> AlpacaRow:
    require_fields(obj, REQUIRED, path, line)
    for name in (*REQUIRED, "input"):
        value = obj.get(name, "")
        if not isinstance(value, str):
            raise InputError(path, f"expected a string, got {type(value).__name__}", line=line, field=name)
    if not obj["output"].strip():
        raise InputError(path, "empty response", line=line, field="output")
    return AlpacaRow(obj["instruction"], obj.get("input") or "", obj["output"], f"{path}:{line}")


def _rows_from_hub(dataset_id: str) -> list[AlpacaRow]:
    """A hub data set (e.g. ``TIGER-Lab/MathInstruct``); needs network, so never used by tests."""
    import datasets

    log.info("loading %s from the hub (not a local path)", dataset_id)
    try:
        split = datasets.load_dataset(dataset_id, split="train")
    except Exception as e:  # offline, unknown id, hub down: the fix is the same
        raise InputError(dataset_id, f"not a local file, and the hub could not give it ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else ''})", field="data") from e
    return [_row(dict(obj), dataset_id, i + 1) for i, obj in enumerate(split)]


def encode(tokenizer: Any, prompt: str, response: str) -> tuple[list[int], list[int]]:
    """``(input_ids, labels)`` for prompt + response + EOS, labels -100 exactly on the prompt's tokens and on the
    tool output of a TIR response (:func:`response_pieces`).

    Each piece is tokenized as generation will see it: the prompt alone; the model's text as a continuation of
    everything before it. Tokenizing prompt + response together can merge tokens across the join (SentencePiece
    without pre-splitting, joined with no separator after ``### Response:``), which shifts a naive
    ``len(prompt_ids)`` boundary by one; then a piece is tokenized on its own instead, checked to decode to the
    same text. So no token straddles a boundary and the mask is exact under any tokenizer.
    """
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no EOS token; training needs one to teach the model to stop")
    input_ids = tokenizer(prompt)["input_ids"]
    labels = [IGNORE] * len(input_ids)
    text = prompt
    for piece, tool in response_pieces(response):
        ids = _continuation_ids(tokenizer, input_ids, text, piece)
        input_ids += ids
        labels += [IGNORE] * len(ids) if tool else ids
        text += piece
    return [*input_ids, eos], [*labels, eos]


def response_pieces(response: str) -> list[tuple[str, bool]]:
    """The response cut into (text, is tool output) pieces; one trained piece unless it holds ```output blocks.

    Tool output is each output block's content and closing fence. The model's own ``"```output\n"`` opening stays
    trained: the model must learn to write it and stop there, the sandbox fills in the rest.
    """
    pieces, pos = [], 0
    for match in _TOOL_OUTPUT.finditer(response):
        pieces += [(response[pos : match.start(1)], False), (match.group(1), True)]
        pos = match.end(1)
    pieces.append((response[pos:], False))
    return [(text, tool) for text, tool in pieces if text]


def _continuation_ids(tokenizer: Any, prefix_ids: list[int], prefix: str, piece: str) -> list[int]:
    """The ids of ``piece`` following ``prefix`` (already ``prefix_ids``), decoding to prefix + piece."""
    full_ids = tokenizer(prefix + piece)["input_ids"]
    if full_ids[: len(prefix_ids)] == prefix_ids:
        return full_ids[len(prefix_ids) :]
    ids = tokenizer(piece, add_special_tokens=False)["input_ids"]
    target = tokenizer.decode(full_ids, skip_special_tokens=True)
    if tokenizer.decode(prefix_ids + ids, skip_special_tokens=True) != target and ids:
        # SentencePiece marks a word start with "▁"; alone, the piece gets one it does not have in context.
        first = tokenizer.convert_ids_to_tokens(ids[0])
        if first == "▁":
            ids = ids[1:]
        elif first.startswith("▁") and tokenizer.convert_tokens_to_ids(first[1:]) != tokenizer.unk_token_id:
            ids = [tokenizer.convert_tokens_to_ids(first[1:]), *ids[1:]]
        elif first.startswith("▁") and hasattr(tokenizer, "backend_tokenizer"):  # no such token: its pieces
            ids = [t.id for t in tokenizer.backend_tokenizer.model.tokenize(first[1:])] + ids[1:]
    if tokenizer.decode(prefix_ids + ids, skip_special_tokens=True) != target:
        raise ValueError(f"cannot split the tokens cleanly before {piece[:40]!r}")
    return ids


def encode_rows(
    tokenizer: Any, rows: Sequence[AlpacaRow], max_length: int | None, overlong: Literal["drop", "error"] = "drop"
) -> tuple[list[dict[str, list[int]]], EncodeStats]:
    """Encode every row; over-long ones are dropped (counted, first few named) or raise ``InputError``."""
    stats = EncodeStats(rows=len(rows))
    examples = []
    for row in rows:
        input_ids, labels = encode(tokenizer, alpaca_prompt(row.instruction, row.input), row.output)
        n_prompt = next(i for i, label in enumerate(labels) if label != IGNORE)  # a response starts with its own text
        stats.longest = max(stats.longest, len(input_ids))
        if max_length is not None and len(input_ids) > max_length:
            if overlong == "error":
                path, _, line = row.where.rpartition(":")
                raise InputError(path, f"{len(input_ids)} tokens > max_length {max_length}", line=int(line),
                                 field="output")
            stats.dropped_overlong += 1
            if len(stats.overlong_examples) < 5:
                stats.overlong_examples.append(row.where)
            continue
        stats.kept += 1
        masked = labels.count(IGNORE) - n_prompt
        stats.prompt_tokens += n_prompt
        stats.tool_output_tokens += masked
        stats.response_tokens += len(input_ids) - n_prompt - masked
        examples.append({"input_ids": input_ids, "labels": labels})
    if stats.dropped_overlong:
        log.warning("dropped %d of %d examples longer than max_length=%s (never truncated), e.g. %s",
                    stats.dropped_overlong, stats.rows, max_length, ", ".join(stats.overlong_examples))
    return examples, stats
