"""TIR rows: the completion-only mask also covers the tool's output (content and closing fence of every
```output block), never the prose, the code or the model's own "```output" opening, under both tokenizer kinds."""

from __future__ import annotations

import pytest

from mammoth_math.prompts import build_prompt, code_block, output_block
from mammoth_math.training.examples import IGNORE, AlpacaRow, encode, encode_rows, response_pieces
from mammoth_math.training.tiny import train_bpe_tokenizer

from .test_examples import TEXTS


def tir_rows(n: int = 12) -> list[tuple[str, str, list[str]]]:
    """(prompt, response, outputs shown) for TIR answers of 1-3 tool calls: one line, several, a traceback."""
    rows = []
    for i in range(n):
        a, b = 120 + 7 * i, 13 + i
        outputs = [f"{a}\n{b}\n{a * b}"] if i % 4 == 1 else [str(a * b)]
        response = "We compute it with Python.\n" + code_block(f"x = {a} * {b}\nprint(x)") + output_block(outputs[0])
        if i % 3 == 0:
            outputs.append(str(a * b - b))
            response += f"So x is {a * b}.\n" + code_block(f"print(x - {b})") + output_block(outputs[-1])
        if i % 5 == 0:
            outputs.append("NameError: name 'y' is not defined")
            response += "That failed.\n" + code_block("print(y)") + output_block(outputs[-1])
        response += f"The answer is {a * b - b if i % 3 == 0 else a * b}."
        rows.append((build_prompt(f"What is {a} times {b}?", "tir"), response, outputs))
    return rows


ROWS = tir_rows()
CORPUS = TEXTS + [p + r for p, r, _ in ROWS] * 3  # trained on TIR text too, so merges across the fences exist


def sentencepiece_tir():
    """SentencePiece-style BPE (Metaspace, no split at newlines): whole code-fence-output runs become single
    tokens when the text is tokenized in one go, the hard case for a token-exact mask."""
    from tokenizers import SentencePieceBPETokenizer
    from transformers import PreTrainedTokenizerFast

    core = SentencePieceBPETokenizer()
    core.train_from_iterator(CORPUS * 3, vocab_size=500, special_tokens=["<unk>", "<s>", "</s>"])
    return PreTrainedTokenizerFast(tokenizer_object=core, bos_token="<s>", eos_token="</s>", unk_token="<unk>")


TOKENIZERS = {"byte-level-bpe": lambda: train_bpe_tokenizer(CORPUS, 500), "sentencepiece": sentencepiece_tir}


def _masked_runs(labels: list[int], start: int) -> list[tuple[int, int]]:
    """Maximal runs of -100 from ``start`` on, as (first, end)."""
    runs: list[tuple[int, int]] = []
    for i in range(start, len(labels)):
        if labels[i] == IGNORE:
            if runs and runs[-1][1] == i:
                runs[-1] = (runs[-1][0], i + 1)
            else:
                runs.append((i, i + 1))
    return runs


@pytest.mark.parametrize("kind", TOKENIZERS)
def test_labels_are_masked_exactly_over_tool_output(kind: str) -> None:
    tok = TOKENIZERS[kind]()
    for prompt, response, outputs in ROWS:
        input_ids, labels = encode(tok, prompt, response)
        n = len(tok(prompt)["input_ids"])
        assert input_ids[:n] == tok(prompt)["input_ids"] and labels[:n] == [IGNORE] * n
        assert input_ids[-1] == labels[-1] == tok.eos_token_id
        runs = _masked_runs(labels, n)
        # One masked run per output block: exactly its content and closing fence, nothing before or after.
        assert [tok.decode(input_ids[a:b]) for a, b in runs] == [f"{shown}\n```\n" for shown in outputs]
        trained = [i for i, label in zip(input_ids[n:-1], labels[n:-1]) if label != IGNORE]
        assert trained == [label for label in labels[n:-1] if label != IGNORE]  # trained labels are the ids
        # Everything else of the response is trained: prose, code, and the model's own "```output\n" opening.
        model_text = "".join(text for text, tool in response_pieces(response) if not tool)
        assert tok.decode(trained).replace(" ", "") == model_text.replace(" ", "")
        assert model_text.count("```output\n") == len(outputs) and "The answer is" in model_text
        # The pieces join into the same text as tokenizing the whole at once.
        assert tok.decode(input_ids[:-1], skip_special_tokens=True) == tok.decode(
            tok(prompt + response)["input_ids"], skip_special_tokens=True)


def test_response_pieces() -> None:
    assert response_pieces("6 * 7 = 42. The answer is 42.") == [("6 * 7 = 42. The answer is 42.", False)]
    tir = "Go.\n" + code_block("print(6 * 7)") + output_block("42") + "The answer is 42."
    assert response_pieces(tir) == [("Go.\n```python\nprint(6 * 7)\n```\n```output\n", False), ("42\n```\n", True),
                                    ("The answer is 42.", False)]
    # An output block that never closes is tool output to the end; a fence inside a line does not close it.
    assert response_pieces("```output\n1 ``` 2\n3") == [("```output\n", False), ("1 ``` 2\n3", True)]


def test_encode_rows_counts_tool_output_apart() -> None:
    tok = train_bpe_tokenizer(CORPUS, 500)
    rows = [AlpacaRow(p.split("### Instruction:\n")[1].split("\n\n### Response:")[0], "", r, f"x.jsonl:{i + 1}")
            for i, (p, r, _) in enumerate(ROWS)]
    examples, stats = encode_rows(tok, rows, max_length=None)
    masked = sum(ex["labels"].count(IGNORE) for ex in examples)
    assert stats.tool_output_tokens > 0 and stats.prompt_tokens + stats.tool_output_tokens == masked
    assert stats.tokens == sum(len(ex["input_ids"]) for ex in examples)
    assert stats.response_tokens == sum(len(ex["labels"]) for ex in examples) - masked
