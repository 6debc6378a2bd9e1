"""What only the hf backend does: load by path, refuse prompts past the context, agree with `transformers serve`."""

from __future__ import annotations

from pathlib import Path

import pytest

from mammoth_math.backends import BACKENDS, GenerationRequest, make_backend
from mammoth_math.prompts import build_prompt


def test_registry_names_and_unknown_backend() -> None:
    assert set(BACKENDS) == {"hf", "openai", "vllm"}
    with pytest.raises(ValueError, match="unknown backend 'tgi'"):
        make_backend("tgi", "m")


def test_loads_a_saved_model_by_path_and_matches_the_loaded_one(tiny_model_dir: Path, tiny_model) -> None:
    by_path = make_backend("hf", str(tiny_model_dir), batch_size=2)
    model, tokenizer = tiny_model
    loaded = make_backend("hf", model, tokenizer=tokenizer, batch_size=8)
    requests = [GenerationRequest(build_prompt(q), max_new_tokens=16) for q in ("1+1?", "What is 12*12?", "Q")]
    assert [c.texts for c in by_path.generate(requests)] == [c.texts for c in loaded.generate(requests)]
    assert by_path.info()["model"] == str(tiny_model_dir)


def test_prompt_past_the_context_is_an_error_for_that_request_only(tiny_model) -> None:
    model, tokenizer = tiny_model
    backend = make_backend("hf", model, tokenizer=tokenizer)
    out = backend.generate([GenerationRequest("12 " * 1100, max_new_tokens=4), GenerationRequest("12", max_new_tokens=4)])
    assert "exceeds the model's context of 1024" in out[0].error
    assert out[1].error is None and out[1].completion_tokens == 4


def test_seeded_sampling_is_reproducible(tiny_model) -> None:
    model, tokenizer = tiny_model
    backend = make_backend("hf", model, tokenizer=tokenizer)
    request = GenerationRequest("A train", max_new_tokens=12, temperature=1.0, n=4, seed=3)
    first, again = backend.generate([request])[0], backend.generate([request])[0]
    assert first.texts == again.texts and len(set(first.texts)) > 1


def test_sample_i_of_a_request_seeded_s_is_drawn_with_seed_s_plus_i(tiny_model) -> None:
    """vLLM's rule, so that more samples extend a run: sample i is the same drawn alone (seed s + i), among n,
    or beside other prompts of the batch."""
    model, tokenizer = tiny_model
    backend = make_backend("hf", model, tokenizer=tokenizer)

    def ask(n: int, seed: int, prompt: str = "A train") -> GenerationRequest:
        return GenerationRequest(prompt, max_new_tokens=10, temperature=1.0, top_p=0.9, n=n, seed=seed)

    four, other = backend.generate([ask(4, 3), ask(4, 3, "What is 12*12?")])
    alone = [backend.generate([ask(1, 3 + i)])[0].texts[0] for i in range(4)]
    assert four.texts == alone and len(set(alone)) > 1
    assert backend.generate([ask(2, 5)])[0].texts == four.texts[2:]  # samples 2..3: seed 3 + 2
    assert other.texts != four.texts  # prompts sharing a seed do not share their draws


def test_n_samples_share_one_prompt_pass_and_continue_it_exactly(tiny_model) -> None:
    """The n samples of a prompt reuse one pass over it and attend to one copy of its keys and values: from
    those inputs greedy decoding writes exactly what it writes from n plain copies of the (left-padded) prompts,
    and the model's attention is restored after."""
    import torch

    from mammoth_math.backends.hf_shared import ATTENTION, shared_prompt

    model, tokenizer = tiny_model
    make_backend("hf", model, tokenizer=tokenizer)  # left padding
    enc = tokenizer([build_prompt(q) for q in ("1+1?", "What is 12*12?", "Q")], return_tensors="pt", padding=True)
    greedy = {"do_sample": False, "max_new_tokens": 12, "pad_token_id": tokenizer.pad_token_id}
    before = model.config._attn_implementation
    with torch.inference_mode():
        plain = model.generate(input_ids=enc["input_ids"].repeat_interleave(3, 0),
                               attention_mask=enc["attention_mask"].repeat_interleave(3, 0), **greedy)
        with shared_prompt(model, enc, 3, 12) as inputs:
            assert model.config._attn_implementation == ATTENTION and "num_return_sequences" not in inputs
            shared = model.generate(**inputs, **greedy)
    assert torch.equal(plain, shared) and model.config._attn_implementation == before
    backend = make_backend("hf", model, tokenizer=tokenizer)
    out = backend.generate([GenerationRequest(build_prompt("1+1?"), max_new_tokens=8, temperature=1.0, n=3, seed=1)])
    assert len(out[0].texts) == 3 and len(out[0].sample_tokens) == 3 and out[0].error is None


def test_hf_and_transformers_serve_agree_on_greedy_text(tiny_model, served_tiny_model) -> None:
    """Same weights, same greedy decoding: the in-process and the served backend return the same text."""
    model, tokenizer = tiny_model
    hf = make_backend("hf", model, tokenizer=tokenizer)
    api = make_backend("openai", served_tiny_model.model, base_url=served_tiny_model.base_url)
    requests = [GenerationRequest(build_prompt(q, "pot"), max_new_tokens=20) for q in ("2+2?", "How many eggs?")]
    assert [c.texts for c in hf.generate(requests)] == [c.texts for c in api.generate(requests)]
