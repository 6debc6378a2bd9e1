"""``sdpa_varlen`` on a padding-free row gives each example exactly the logits it gets alone."""

from __future__ import annotations

import torch
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling

from mammoth_math.training import tiny_llama, train_bpe_tokenizer


def test_padding_free_row_equals_examples_run_alone() -> None:
    tok = train_bpe_tokenizer(["a = 1\nb = 2\nprint(a + b)", "Tom has 3 apples. The answer is 3."] * 5, 300)
    texts = ["a = 1\nb = 2\nprint(a + b)", "Tom has 3 apples.", "The answer is 3 apples and 2 pears."]
    examples = [{"input_ids": tok(t)["input_ids"]} for t in texts]
    batch = DataCollatorForLanguageModeling(pad_token_id=tok.pad_token_id, padding_free=True)(examples)
    model = tiny_llama(tok, hidden_size=32, attn_implementation="sdpa_varlen").eval()
    reference = tiny_llama(tok, hidden_size=32, attn_implementation="sdpa").eval()
    with torch.no_grad():
        packed = model(**batch).logits[0]
        alone = torch.cat([reference(torch.tensor([e["input_ids"]])).logits[0] for e in examples])
        leaky = reference(input_ids=batch["input_ids"]).logits[0]  # one causal row: examples see each other
    assert torch.allclose(packed, alone, atol=1e-5)
    assert not torch.allclose(leaky, alone, atol=1e-3)
    padded = tok(texts, padding=True, return_tensors="pt")
    with torch.no_grad():  # without boundaries it is plain sdpa, padding mask included
        assert torch.allclose(model(**padded).logits, reference(**padded).logits, atol=1e-6)


def test_padding_free_gradients_equal_those_of_the_examples_run_alone() -> None:
    tok = train_bpe_tokenizer(["a = 1\nb = 2\nprint(a + b)", "Tom has 3 apples. The answer is 3."] * 5, 300)
    texts = ["a = 1\nb = 2\nprint(a + b)", "Tom has 3 apples.", "The answer is 3 apples and 2 pears."]
    examples = [{"input_ids": tok(t)["input_ids"]} for t in texts]
    batch = DataCollatorForLanguageModeling(pad_token_id=tok.pad_token_id, padding_free=True)(examples)
    model = tiny_llama(tok, hidden_size=32, attn_implementation="sdpa_varlen")
    reference = tiny_llama(tok, hidden_size=32, attn_implementation="sdpa")
    generator = torch.Generator().manual_seed(0)
    weights = torch.randn(batch["input_ids"].shape[1], model.config.vocab_size, generator=generator)
    (model(**batch).logits[0] * weights).sum().backward()
    alone = torch.cat([reference(torch.tensor([e["input_ids"]])).logits[0] for e in examples])
    (alone * weights).sum().backward()
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        assert torch.allclose(p.grad, q.grad, atol=1e-4), name
