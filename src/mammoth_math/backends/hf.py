"""The ``hf`` backend: transformers ``generate`` in batches, left-padded, with early stop strings.

Requests with the same sampling settings are batched together, sorted by prompt length so padding
stays small, and returned in request order. Chat prompts (message tuples) are rendered through the
tokenizer's chat template. Sampled generation draws each sample from its own random stream: sample i of a
request seeded s uses seed s + i (vLLM's rule for n > 1), so it is the same whether drawn alone, among n, or
in another batch; that is what lets ``eval --samples`` extend a run with only the missing samples.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, ClassVar

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
from mammoth_math.backends.options import option
from mammoth_math.files import COUNT
from mammoth_math.progress import bar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HFOptions:
    """The hf backend's options (``backend_options`` keys; ``eval``/``probe`` flags where marked)."""

    passes_extra: ClassVar[bool] = False
    batch_size: int = option(16, "prompts per generate call", flag=True, bound=COUNT)
    device: str | None = option(None, "cuda when available, else cpu")
    dtype: str = option("auto", "torch dtype of the loaded weights")
    trust_remote_code: bool = option(False, "run the model folder's own code")


class HFBackend:
    """Batched transformers generation; pass a model path/id, or an already loaded model and tokenizer."""

    name = "hf"

    def __init__(self, model: Any, tokenizer: Any = None, options: HFOptions = HFOptions()):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.model_name = model if isinstance(model, str) else getattr(model, "name_or_path", "") or type(model).__name__
        if isinstance(model, str):
            trust = options.trust_remote_code
            tokenizer = tokenizer or AutoTokenizer.from_pretrained(model, trust_remote_code=trust)
            model = AutoModelForCausalLM.from_pretrained(model, dtype=options.dtype, trust_remote_code=trust)
        if tokenizer is None:
            raise ValueError("a loaded model needs its tokenizer: HFBackend(model, tokenizer)")
        device = options.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.tokenizer.padding_side = "left"  # decoder-only batches must end where generation starts
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.batch_size = options.batch_size
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
        per_prompt = first.n if sample else 1  # greedy: one sequence per prompt, copied n times below
        # sampling is done by _SeededSampler; generate itself only takes its (forced) argmax
        kwargs: dict[str, Any] = {"max_new_tokens": first.max_new_tokens, "do_sample": False, "temperature": None,
                                  "top_p": None, "top_k": None, "pad_token_id": self.tokenizer.pad_token_id}
        if sample:
            seeds = [_sample_seed(r.seed, j, text) for r, text in zip(requests, texts) for j in range(first.n)]
            kwargs["logits_processor"] = [_SeededSampler(seeds, first.temperature, first.top_p,
                                                         getattr(self.model.generation_config, "top_k", None))]
        inputs = enc.to(self.device)
        if first.stop:
            kwargs.update(stop_strings=list(first.stop), tokenizer=self.tokenizer)
        try:
            with torch.inference_mode(), ExitStack() as stack:
                if sample and first.n > 1:  # n samples of each prompt from one pass over it
                    from mammoth_math.backends.hf_shared import shared_prompt

                    inputs = stack.enter_context(shared_prompt(self.model, inputs, first.n, first.max_new_tokens))
                out = self.model.generate(**inputs, **kwargs)
        except Exception as e:  # a failed batch is recorded per request, never raised into the run
            log.warning("hf generation failed for a batch of %d: %s", len(requests), e)
            return [error_completion(r, f"{type(e).__name__}: {e}") for r in requests]
        seconds = (time.perf_counter() - started) / len(requests)
        new_tokens = out[:, enc["input_ids"].shape[1]:]
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


def _batch_key(r: GenerationRequest) -> tuple:
    return (r.max_new_tokens, r.temperature, r.top_p, r.n, r.stop)  # seeds are per row (_SeededSampler)


def _sample_seed(seed: int | None, sample: int, prompt: str) -> int | None:
    """Sample ``sample``'s stream: seed + sample (vLLM's rule), mixed with the prompt so that the problems of
    one request batch, which share a seed, do not share their random draws. None: unseeded."""
    if seed is None:
        return None
    digest = hashlib.sha256(f"{seed + sample}\0{prompt}".encode()).digest()
    return int.from_bytes(digest[:8], "little")


class _SeededSampler:
    """A logits processor that samples every row from its own stream and forces that token.

    transformers draws all rows of a batch from one global generator, so a sample depends on its batch
    (its neighbours, n, the order). Here row r takes one uniform number per step from ``Random(seeds[r])``
    and picks its token by the inverse CDF of the warped distribution (temperature, the model's top-k as
    ``generate`` applies it, top-p); greedy decoding then takes that token.
    """

    def __init__(self, seeds: list[int | None], temperature: float, top_p: float, top_k: int | None):
        from transformers.generation.logits_process import (
            TemperatureLogitsWarper,
            TopKLogitsWarper,
            TopPLogitsWarper,
        )

        self._streams = [random.Random(seed) for seed in seeds]
        self._warpers: list[Any] = [TemperatureLogitsWarper(temperature)]
        if top_k:
            self._warpers.append(TopKLogitsWarper(top_k))
        if top_p < 1.0:
            self._warpers.append(TopPLogitsWarper(top_p))

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        for warper in self._warpers:
            scores = warper(input_ids, scores)
        cdf = scores.softmax(-1).cumsum(-1)
        draws = torch.tensor([s.random() for s in self._streams], dtype=cdf.dtype, device=cdf.device)
        picks = torch.searchsorted(cdf, (draws * cdf[:, -1])[:, None], right=True).clamp(max=cdf.shape[-1] - 1)
        return torch.full_like(scores, float("-inf")).scatter_(1, picks, 0.0)


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
