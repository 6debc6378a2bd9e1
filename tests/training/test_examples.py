"""The completion-only mask: -100 exactly on the prompt's tokens, ids exactly on response + EOS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mammoth_math.files import InputError
from mammoth_math.prompts import alpaca_prompt
from mammoth_math.training.examples import IGNORE, AlpacaRow, encode, encode_rows, load_rows
from mammoth_math.training.tiny import train_bpe_tokenizer

from .conftest import alpaca_rows

ROWS = alpaca_rows()
TEXTS = [alpaca_prompt(r["instruction"]) + r["output"] for r in ROWS]


def sentencepiece_tokenizer():
    """SentencePiece-style (Metaspace, no pre-splitting on punctuation) BPE trained so tokens merge across
    ``### Response:`` + response when they are joined without a separator: the known off-by-one."""
    from tokenizers import SentencePieceBPETokenizer
    from transformers import PreTrainedTokenizerFast

    core = SentencePieceBPETokenizer()
    core.train_from_iterator(TEXTS * 5, vocab_size=400, special_tokens=["<unk>", "<s>", "</s>"])
    return PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


TOKENIZERS = {"byte-level-bpe": lambda: train_bpe_tokenizer(TEXTS, 400), "sentencepiece": sentencepiece_tokenizer}


@pytest.mark.parametrize("kind", TOKENIZERS)
def test_mask_covers_exactly_the_prompt(kind: str) -> None:
    tok = TOKENIZERS[kind]()
    for row in ROWS:
        prompt = alpaca_prompt(row["instruction"])
        input_ids, labels = encode(tok, prompt, row["output"])
        prompt_ids = tok(prompt)["input_ids"]  # what generation sees
        n = len(prompt_ids)
        assert input_ids[:n] == prompt_ids
        assert labels[:n] == [IGNORE] * n
        assert labels[n:] == input_ids[n:]  # response and EOS trained, nothing else masked
        assert input_ids[-1] == tok.eos_token_id and labels[-1] == tok.eos_token_id
        assert tok.decode(input_ids[n:-1]) == row["output"]
        assert tok.decode(input_ids[:-1], skip_special_tokens=True) == tok.decode(
            tok(prompt + row["output"])["input_ids"], skip_special_tokens=True)


def test_sentencepiece_fixture_reproduces_the_off_by_one() -> None:
    """Guard that the SentencePiece case really merges across the join (else the test above proves little)."""
    tok = sentencepiece_tokenizer()
    merged = 0
    for row in ROWS:
        prompt = alpaca_prompt(row["instruction"])
        prompt_ids, full_ids = tok(prompt)["input_ids"], tok(prompt + row["output"])["input_ids"]
        merged += full_ids[: len(prompt_ids)] != prompt_ids
    assert merged > 0


def test_overlong_rows_are_dropped_and_counted_never_cut() -> None:
    tok = train_bpe_tokenizer(TEXTS, 400)
    rows = [AlpacaRow(r["instruction"], "", r["output"], f"x.jsonl:{i + 1}") for i, r in enumerate(ROWS)]
    rows.append(AlpacaRow("Long one.", "", "print(1)\n" * 200, "x.jsonl:41"))
    examples, stats = encode_rows(tok, rows, max_length=128)
    assert stats.dropped_overlong == 1 and stats.kept == len(ROWS) == len(examples)
    assert stats.overlong_examples == ["x.jsonl:41"]
    assert all(ex["labels"][-1] == tok.eos_token_id for ex in examples)  # kept programs end whole
    with pytest.raises(InputError, match=r"x.jsonl:41: field 'output'"):
        encode_rows(tok, rows, max_length=128, overlong="error")


def test_bad_rows_name_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + json.dumps({"instruction": "q"}) + "\n")
    with pytest.raises(InputError, match=r"bad.jsonl:2: field 'output'"):
        load_rows([str(path)])
    path.write_text(json.dumps({"instruction": "q", "output": 3}) + "\n")
    with pytest.raises(InputError, match=r"bad.jsonl:1: field 'output': expected a string"):
        load_rows([str(path)])


def test_alpaca_json_list_and_jsonl_read_the_same(tmp_path: Path, export_file: Path) -> None:
    as_json = tmp_path / "export.json"
    as_json.write_text(json.dumps(ROWS))
    a, b = load_rows([str(as_json)]), load_rows([str(export_file)])
    assert [(r.instruction, r.output) for r in a] == [(r.instruction, r.output) for r in b]
    assert len(a) == len(ROWS)
