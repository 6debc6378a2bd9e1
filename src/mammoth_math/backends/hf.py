"""The ``hf`` backend: transformers ``generate`` in batches, left-padded, with early stop strings.

Requests with the same sampling settings are batched together, sorted by prompt length so padding
stays small, and returned in request order. Chat prompts (message tuples) are rendered through the
tokenizer's chat template. Sampled generation is seeded per batch from the request's ``seed``.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from mammoth_math.backends.base import (
    Completion,
    GenerationRequest,
    SamplingLog,
    cut_at_stop,
    error_completion,
    invalid_reason,
    library_versions,
    render_chat,
)
from mammoth_math.progress import bar

log = logging.getLogger(__name__)


class HFBackend:
    """Batched transformers generation; pass a model path/id, or an already loaded model and tokenizer."""

    name = "hf"

    def __init__(self, model: Any, tokenizer: Any = None, batch_size: int = 16, device: str | None = None,
                 dtype: str = "auto", trust_remote_code: bool = False):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_name = model if isinstance(model, str) else getattr(model, "name_or_path", "") or type(model).__name__
        if isinstance(model, str):
            tokenizer = tokenizer or AutoTokenizer.from_pretrained(model, trust_remote_code=trust_remote_code)
            model = AutoModelForCausalLM.from_pretrained(model, dtype=dtype, trust_remote_code=trust_remote_code)
        if tokenizer is None:
            raise ValueError("a loaded model needs its tokenizer: HFBackend(model, tokenizer)")
        device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = "left"  # decoder-only batches must end where generation starts
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.batch_size = batch_size
        self.device = device
        self.max_context = getattr(model.config, "max_position_embeddings", None)
        self._sampling = SamplingLog()

    def chat_template(self) -> str | None:
        return getattr(self.tokenizer, "chat_template", None) or None

    def close(self) -> None:
        """Nothing to release but memory, which goes with the object."""

    def info(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model_name, "batch_size": self.batch_size, "device": self.device,
                "dtype": str(self.model.dtype), "versions": library_versions(), "sampling": self._sampling.settings()}

    def generate(self, requests: Sequence[GenerationRequest], progress: bool = False) -> list[Completion]:
        self._sampling.add(requests)
        results: list[Completion | None] = [None] * len(requests)
        groups: dict[tuple, list[int]] = defaultdict(list)
        for i, request in enumerate(requests):
            reason = invalid_reason(request)
            if reason:
                results[i] = error_completion(request, reason)
            else:
                groups[_batch_key(request)].append(i)
        texts = [render_chat(self.tokenizer, r.prompt) for r in requests]
        with bar("generating (hf)", len(requests), enabled=progress) as b:
            b.advance(sum(r is not None for r in results))
            for indices in groups.values():
                indices.sort(key=lambda i: len(texts[i]), reverse=True)  # similar lengths share a batch
                for start in range(0, len(indices), self.batch_size):
                    batch = indices[start:start + self.batch_size]
                    for i, completion in zip(batch, self._generate_batch([requests[i] for i in batch],
                                                                         [texts[i] for i in batch])):
                        results[i] = completion
                    b.advance(len(batch))
        return [r for r in results if r is not None]

    def _generate_batch(self, requests: list[GenerationRequest], texts: list[str]) -> list[Completion]:
        import torch

        first = requests[0]  # the batch shares sampling settings (see _batch_key)
        started = time.perf_counter()
        enc = self.tokenizer(texts, return_tensors="pt", padding=True,
                             add_special_tokens=_adds_bos(self.tokenizer, texts))
        prompt_lens = enc["attention_mask"].sum(dim=1).tolist()
        too_long = [self.max_context is not None and n + r.max_new_tokens > self.max_context
                    for n, r in zip(prompt_lens, requests)]
        if any(too_long):  # only those fail; the rest are generated on their own
            ok = [i for i, bad in enumerate(too_long) if not bad]
            done = dict(zip(ok, self._generate_batch([requests[i] for i in ok], [texts[i] for i in ok]))) if ok else {}
            return [done[i] if i in done else error_completion(
                requests[i], f"prompt ({prompt_lens[i]} tokens) + max_new_tokens ({requests[i].max_new_tokens}) "
                             f"exceeds the model's context of {self.max_context}") for i in range(len(requests))]
        sample = first.temperature > 0
        kwargs: dict[str, Any] = {"max_new_tokens": first.max_new_tokens, "do_sample": sample,
                                  "pad_token_id": self.tokenizer.pad_token_id}
        inputs = enc.to(self.device)
        if sample:
            kwargs.update(temperature=first.temperature, top_p=first.top_p)
            if first.seed is not None:
                torch.manual_seed(first.seed)
        else:  # greedy: one sequence per prompt, copied n times below
            kwargs.update(temperature=None, top_p=None, top_k=None)
        if first.stop:
            kwargs.update(stop_strings=list(first.stop), tokenizer=self.tokenizer)
        try:
            with torch.inference_mode():
                if sample and first.n > 1:  # n samples of each prompt
                    inputs = self._shared_prompts(inputs, first.n)
                out = self.model.generate(**inputs, **kwargs)
        except Exception as e:  # a failed batch is recorded per request, never raised into the run
            log.warning("hf generation failed for a batch of %d: %s", len(requests), e)
            return [error_completion(r, f"{type(e).__name__}: {e}") for r in requests]
        seconds = (time.perf_counter() - started) / len(requests)
        new_tokens = out[:, enc["input_ids"].shape[1]:]
        per_prompt = first.n if sample else 1
        completions = []
        for k, request in enumerate(requests):
            rows = new_tokens[k * per_prompt:(k + 1) * per_prompt]
            texts_k, reasons, tokens = [], [], []
            for row in rows:
                ids = _until_eos(row.tolist(), self.tokenizer.eos_token_id, self.tokenizer.pad_token_id)
                text, stopped = cut_at_stop(self.tokenizer.decode(ids, skip_special_tokens=True), request.stop)
                ended = stopped or len(ids) < len(row) or (ids and ids[-1] == self.tokenizer.eos_token_id)
                texts_k.append(text)
                reasons.append("stop" if ended else "length")
                tokens.append(len(ids))
            if not sample:
                texts_k, reasons, tokens = texts_k * request.n, reasons * request.n, tokens * request.n
            completions.append(Completion(texts_k, prompt_tokens=int(prompt_lens[k]), completion_tokens=sum(tokens),
                                          seconds=seconds, finish_reasons=reasons, sample_tokens=tokens))
        return completions


    def _shared_prompts(self, enc: Any, n: int) -> dict[str, Any]:
        """Inputs for n samples of each prompt whose prompt is run through the model once, not n times.

        ``num_return_sequences`` copies each prompt n times before the forward pass, so the prompt's keys and
        values are computed n times over; here they are computed once (all but the last token) and the cache
        is repeated. Positions follow the left padding as ``generate`` computes them, so greedy output is the
        same token for token.
        """
        import torch
        from transformers import DynamicCache

        ids, mask = enc["input_ids"], enc["attention_mask"]
        if ids.shape[1] < 2:  # nothing before the last token to share
            return {**enc, "num_return_sequences": n}
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        name = "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"  # 5.x
        try:
            cache = DynamicCache(config=self.model.config)
            with torch.inference_mode():
                self.model(input_ids=ids[:, :-1], attention_mask=mask[:, :-1], position_ids=positions[:, :-1],
                           use_cache=True, **{name: cache})
            cache.batch_repeat_interleave(n)
        except Exception as e:  # an older transformers or a model with a cache of its own: the plain way
            log.debug("hf: prompt pass not shared across samples (%s: %s)", type(e).__name__, e)
            return {**enc, "num_return_sequences": n}
        return {"input_ids": ids.repeat_interleave(n, 0), "attention_mask": mask.repeat_interleave(n, 0), name: cache}


def _batch_key(r: GenerationRequest) -> tuple:
    return (r.max_new_tokens, r.temperature, r.top_p, r.n, r.stop, r.seed if r.temperature > 0 else None)


def _adds_bos(tokenizer: Any, texts: list[str]) -> bool:
    """Add special tokens unless the text already starts with BOS (a rendered chat template often does)."""
    bos = tokenizer.bos_token
    return not (bos and all(t.startswith(bos) for t in texts))


def _until_eos(ids: list[int], eos: int | None, pad: int | None) -> list[int]:
    """Generated ids up to and including the first EOS; trailing padding of finished rows dropped."""
    if eos is not None and eos in ids:
        return ids[:ids.index(eos) + 1]
    if pad is not None and pad != eos:
        while ids and ids[-1] == pad:
            ids = ids[:-1]
    return ids
