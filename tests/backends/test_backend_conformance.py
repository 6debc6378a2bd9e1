"""One contract, every backend: the same tests run against hf, openai (a real `transformers serve`) and vllm.

The tiny model has random weights, so its greedy text is gibberish but fixed: the tests compare a
backend with itself (batched vs one by one, with and without a stop string), never with hard-coded text.
"""

from __future__ import annotations

import re

from mammoth_math.backends import GenerationRequest
from mammoth_math.prompts import build_prompt

PROMPTS = [
    build_prompt("Janet's ducks lay 16 eggs per day. She eats three. How many are left?"),
    build_prompt("What is 2+2?", "pot"),
    "A train travels 120 km in 2 hours.",
    "print(",
    build_prompt("If x = 3, what is 2x?\nAnswer Choices: (A) 5 (B) 6"),
]


def _greedy(prompt, **kw) -> GenerationRequest:
    return GenerationRequest(prompt, max_new_tokens=kw.pop("max_new_tokens", 24), **kw)


def test_order_is_preserved_and_batching_changes_nothing(backend) -> None:
    together = backend.generate([_greedy(p) for p in PROMPTS])
    alone = [backend.generate([_greedy(p)])[0] for p in PROMPTS]
    assert [c.texts for c in together] == [c.texts for c in alone]
    assert len({c.texts[0] for c in together}) == len(PROMPTS), "different prompts should give different text"
    assert all(c.error is None for c in together)


def test_greedy_is_deterministic(backend) -> None:
    first = backend.generate([_greedy(PROMPTS[0]), _greedy(PROMPTS[2])])
    again = backend.generate([_greedy(PROMPTS[0]), _greedy(PROMPTS[2])])
    assert [c.texts for c in first] == [c.texts for c in again]


def test_n_samples_per_request(backend) -> None:
    out = backend.generate([GenerationRequest(PROMPTS[0], max_new_tokens=12, temperature=1.0, n=3, seed=7),
                            _greedy(PROMPTS[1], n=2)])
    assert [len(c.texts) for c in out] == [3, 2] and [len(c.finish_reasons) for c in out] == [3, 2]
    assert out[1].texts[0] == out[1].texts[1], "greedy samples are identical"
    assert all(t for c in out for t in c.texts)


def test_token_counts_are_reported(backend) -> None:
    (c,) = backend.generate([_greedy(PROMPTS[0], max_new_tokens=10)])
    assert c.prompt_tokens > 10 and 0 < c.completion_tokens <= 10 and c.seconds > 0


def test_stop_strings_cut_the_text_and_end_generation(backend) -> None:
    (full,) = backend.generate([_greedy(PROMPTS[2], max_new_tokens=40)])
    text = full.texts[0]
    # an ASCII stop string that first occurs well inside the text
    match = next(m for m in re.finditer(r"[A-Za-z0-9]{3}", text) if m.start() >= 5 and text.find(m.group()) == m.start())
    (cut,) = backend.generate([_greedy(PROMPTS[2], max_new_tokens=40, stop=(match.group(), "never-seen"))])
    assert cut.texts[0] == text[:match.start()]
    assert cut.finish_reasons == ["stop"]
    assert cut.completion_tokens < full.completion_tokens, "generation should stop early, not be cut afterwards"


def test_bad_requests_come_back_as_errors_not_exceptions(backend) -> None:
    out = backend.generate([_greedy(PROMPTS[0]), _greedy(PROMPTS[1], max_new_tokens=0), _greedy(PROMPTS[2])])
    assert out[1].error and "max_new_tokens" in out[1].error and out[1].texts == [""]
    assert out[0].error is None and out[2].error is None and out[0].texts[0] and out[2].texts[0]


def test_chat_messages_are_accepted(backend) -> None:
    messages = build_prompt("What is 2+2?", chat=True, system="You are a calculator.")
    (c,) = backend.generate([_greedy(messages, max_new_tokens=8)])
    assert c.error is None and c.texts[0] and c.prompt_tokens > 5


def test_a_final_assistant_message_is_continued_not_answered(backend) -> None:
    """A TIR answer goes on after a tool's output: the model continues the assistant message (no new turn), so it
    writes what it writes after the same rendered text. ``transformers serve``'s chat endpoint cannot (422, a
    backend error); its completions endpoint can, with the template rendered by the client."""
    from mammoth_math.backends import make_backend

    messages = (*build_prompt("What is 2+2?", chat=True), {"role": "assistant", "content": "Let me see"})
    rendered = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\nLet me see"  # the tiny template
    (as_text,) = backend.generate([_greedy(rendered, max_new_tokens=8)])
    if backend.name == "openai":
        (refused,) = backend.generate([_greedy(messages, max_new_tokens=8)])
        assert refused.error and "continue_final_message" in refused.error
        backend = make_backend("openai", backend.model, base_url=backend.base_urls, endpoint="completions")
    (continued,) = backend.generate([_greedy(messages, max_new_tokens=8)])
    assert continued.error is None and continued.texts == as_text.texts


def test_info_records_backend_model_versions_and_sampling(backend) -> None:
    backend.generate([_greedy(PROMPTS[3], max_new_tokens=3)])
    info = backend.info()
    assert info["backend"] == backend.name and info["model"]
    assert {"torch", "transformers", "vllm"} <= set(info["versions"])
    assert {"max_new_tokens": 3, "temperature": 0.0, "top_p": 1.0, "n": 1, "stop": [], "seed": None} in info["sampling"]
